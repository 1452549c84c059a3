"""Tokens spent after the first correct answer, on hand-built completions whose answer is known
to appear at a known character (one token per character, as the tiny models tokenize)."""

from __future__ import annotations

import pytest

from reasonlab.core.item import Item
from reasonlab.evaluate import overthinking as O
from reasonlab.evaluate.suite import parse_suite
from reasonlab.evaluate.summary import summarize


def row(completion: str, *, answer: str = "15", verifier: str = "exact",
        prompt: str = "What is 8 + 7? Answer with the number.", status: str = "correct",
        item_id: str = "i1", thinking_tokens: int | None = None) -> dict:
    """An eval sample line; thinking tokens default to one per character of the think block
    (closing tag included), as the local backend counts them."""
    span = O.think_span(completion)
    item = Item(id=item_id, task="addition", domain="arithmetic", difficulty=1, prompt=prompt,
                answer=answer, verifier=verifier)
    return {**item.to_dict(), "model": "m", "sample": 0, "completion": completion,
            "thinking_tokens": span.counted_chars if thinking_tokens is None
            else thinking_tokens, "answer_tokens": 12, "finish_reason": "stop",
            "verdict": {"id": item_id, "score": float(status == "correct"), "status": status,
                        "parsed": None, "detail": ""}}


def test_tokens_after_the_first_correct_candidate_by_hand():
    think = "8 plus 7 makes 15. Check: 15 - 7 = 8, fine. So 15."
    r = row(f"<think>{think}</think><answer>15</answer>")
    (value,) = O.first_correct([r])
    after = len(think) - (think.index("15") + 2)       # everything after the first "15"
    assert value.tokens_after == pytest.approx(after)
    assert value.thinking_tokens == len(think) + len("</think>")
    # Tokens are counted from the row, characters only place the point: twice the tokens per
    # character, twice the tokens after.
    (double,) = O.first_correct([{**r, "thinking_tokens": 2 * r["thinking_tokens"]}])
    assert double.tokens_after == pytest.approx(2 * after)


def test_numbers_of_the_prompt_are_not_answers_but_a_claimed_result_is():
    prompt = "What is 5 + 0? Answer with the number."
    think = "5 + 0 = 5\nyes, adding zero changes nothing"
    (value,) = O.first_correct([row(f"<think>{think}</think><answer>5</answer>", answer="5",
                                    prompt=prompt)])
    assert value.tokens_after == pytest.approx(len("\nyes, adding zero changes nothing"))
    assert O.candidates("5 + 0 = 5\nok", prompt) == [(9, "5")]
    # In order of where they end; the "=" tail ends with the line.
    assert [c for _, c in O.candidates("x = 12, so 12.5 or -3 and 1,024 or 3/4")] == [
        "12", "12.5", "-3", "1,024", "3/4", "12, so 12.5 or -3 and 1,024 or 3/4"]
    assert [c for _, c in O.candidates("so \\boxed{\\frac{1}{2}} it is")] == [
        "1", "2", "\\frac{1}{2}"]


def test_answer_at_the_very_end_gives_zero_and_no_answer_gives_no_value():
    at_end = row("<think>adding the two numbers gives 15</think><answer>15</answer>")
    never = row("<think>adding the two numbers gives 16</think><answer>16</answer>",
                status="wrong")
    no_think = row("<answer>15</answer>", thinking_tokens=0)
    values = O.first_correct([at_end, never, no_think])
    assert values[0].tokens_after == 0 and values[1] is None and values[2] is None
    block = O.aggregate([at_end, never, no_think], values)
    assert block == {"mean": 0.0, "n": 1, "fraction_of_thinking": 0.0, "n_checked": 2,
                     "ended_wrong": 0}


def test_numeric_and_math_verifiers_judge_the_candidates_and_others_are_skipped():
    numeric = row("<think>half of one is 1/2, i.e. 0.5, done</think><answer>0.5</answer>",
                  answer="0.5", verifier="numeric", prompt="Half of one?")
    math = row("<think>so x = 2/4\nwhich is a half</think><answer>1/2</answer>",
               answer="\\frac{1}{2}", verifier="math", prompt="Solve 4x = 2.", item_id="i2")
    mixed = row("<think>15 it is, surely</think><answer>15</answer>",
                verifier="0.9*exact+0.1*format", item_id="i3")
    values = O.first_correct([numeric, math, mixed])
    assert values[0].tokens_after == pytest.approx(len(", i.e. 0.5, done"))
    assert values[1].tokens_after == pytest.approx(len("\nwhich is a half"))
    assert values[2] is None and not O.qualifies(mixed)


def test_aggregate_and_summary_blocks():
    think_a = "15 first, then ramble on for a while"       # 2 chars in, rest is after
    think_b = "hmm 16? no, it is 15"                        # found at the very end
    a = row(f"<think>{think_a}</think><answer>14</answer>", status="wrong")
    b = row(f"<think>{think_b}</think><answer>15</answer>", item_id="i2")
    values = O.first_correct([a, b])
    block = O.aggregate([a, b], values)
    after_a = len(think_a) - 2
    assert block["mean"] == pytest.approx(after_a / 2) and block["n"] == 2
    assert block["fraction_of_thinking"] == pytest.approx(
        after_a / (a["thinking_tokens"] + b["thinking_tokens"]))
    assert block["ended_wrong"] == 1 and block["n_checked"] == 2
    suite = parse_suite({"name": "unit", "items": 1, "samples": 1,
                         "tasks": [{"task": "addition", "difficulties": [1]}]}, source="u.yaml")
    summary = summarize([a, b], suite, model_info={"name": "m"}).to_dict()
    assert summary["tasks"]["addition"]["tokens_after_first_correct"] == block
    assert summary["overall"]["tokens_after_first_correct"] == block
    assert O.aggregate([], []) == {"mean": None, "n": 0, "fraction_of_thinking": None,
                                   "n_checked": 0, "ended_wrong": 0}
