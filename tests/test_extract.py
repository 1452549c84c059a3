"""Answer extraction: strict by default (the last closed <answer> block after the reasoning),
\\boxed{} inside the block or for math sources, leniency only when a task opts in."""

from __future__ import annotations

import pytest

from reasonlab.core.answer import (
    MAX_ANSWER_CHARS,
    after_thinking,
    extract_answer,
    last_boxed,
    normalize_whitespace,
)
from reasonlab.tasks import Item
from reasonlab.verifiers.rules import extract_for


@pytest.mark.parametrize(("completion", "expected"), [
    ("<think>so 3</think><answer>42</answer>", "42"),
    ("<answer>42</answer>", "42"),
    ("<think>a</think>\n<answer>\n  42 \n</answer>\n", "42"),
    ("<answer>1</answer> then <answer>2</answer>", "2"),  # only the last block counts
    ("<think>t</think><answer>the value is \\boxed{\\frac{1}{2}}</answer>", "\\frac{1}{2}"),
    ("<answer>\\boxed{\\{1, 2\\}}</answer>", "\\{1, 2\\}"),  # escaped braces stay balanced
    ("<think><answer>7</answer> maybe</think><answer>8</answer>", "8"),  # inside thinking: no
])
def test_strict_extraction_finds_the_last_answer_block(completion, expected):
    got = extract_answer(completion)
    assert got.ok and got.text == expected, got


@pytest.mark.parametrize(("completion", "reason"), [
    ("The answer is 42.", "no <answer>"),
    ("\\boxed{42}", "no <answer>"),  # a box counts only for math sources
    ("<answer>42", "not closed"),
    ("<answer>1</answer><answer>2", "not closed"),  # the last block is open: no fallback to 1
    ("<think>I think <answer>42</answer>", "unterminated <think>"),
    ("<answer></answer>", "empty answer"),
    ("<answer>   \n </answer>", "empty answer"),
    ("<answer>\\boxed{}</answer>", "empty answer"),
    ("<think>x</think>", "no <answer>"),
    ("", "no <answer>"),
])
def test_strict_extraction_refuses_what_is_not_an_answer_block(completion, reason):
    got = extract_answer(completion)
    assert not got.ok and got.text is None
    assert reason in got.reason


@pytest.mark.parametrize("block", ["\\boxed{4} or \\boxed{3}",
                                   "\\boxed{3}, \\boxed{4}, \\boxed{3}"])
def test_several_different_boxes_in_the_block_are_a_hedge(block):
    for lenient in (False, True):  # no lenient second chance either
        got = extract_answer(f"<answer>{block}</answer>", lenient=lenient)
        assert not got.ok and "several different" in got.reason


def test_repeated_or_nested_boxes_are_one_answer():
    assert extract_answer("<answer>\\boxed{3} so \\boxed{ 3 }</answer>").text == "3"
    assert extract_answer("<answer>\\boxed{\\boxed{3}}</answer>").text == "3"


def test_non_text_completion_is_reported_not_raised():
    got = extract_answer(None)  # type: ignore[arg-type]
    assert not got.ok and "NoneType" in got.reason


def test_boxed_sources_take_the_last_box_after_thinking():
    assert extract_answer("<think>\\boxed{1}</think> so \\boxed{2}", boxed=True).text == "2"
    assert not extract_answer("<think>\\boxed{1}", boxed=True).ok  # reasoning never ended
    # An answer block still wins over a box outside it.
    assert extract_answer("\\boxed{1} <answer>3</answer>", boxed=True).text == "3"


def test_length_cap_stops_pathological_answers():
    long = "9" * (MAX_ANSWER_CHARS + 1)
    got = extract_answer(f"<answer>{long}</answer>")
    assert not got.ok and "over the" in got.reason
    assert extract_answer(f"<answer>{long}</answer>", max_chars=10_000).text == long


@pytest.mark.parametrize(("completion", "expected"), [
    ("work... The final answer is 17.", "17"),
    ("Answer: 17", "17"),
    ("#### 17", "17"),
    ("so it is \\boxed{17} indeed", "17"),
    ("blah\n17", "17"),  # the last line, as a last resort
])
def test_lenient_extraction_is_opt_in(completion, expected):
    assert not extract_answer(completion).ok
    assert extract_answer(completion, lenient=True).text == expected


def test_lenient_with_boxed_source_accepts_only_a_box():
    assert extract_answer("The final answer is 17", lenient=True, boxed=True).text is None


def test_helpers():
    assert last_boxed("\\boxed{a} \\boxed{b{c}}") == "b{c}"
    assert last_boxed("\\fbox{x}") == "x"
    assert last_boxed("\\boxed{unclosed") is None
    assert after_thinking("<think>a</think>b") == "b"
    assert after_thinking("<think>a") is None
    assert after_thinking("plain") == "plain"
    assert normalize_whitespace("  a \n\t b ") == "a b"


def item(**meta) -> Item:
    return Item(id="x", task="t", domain="d", difficulty=1, prompt="p", answer="1", meta=meta)


def test_item_options_drive_extraction():
    assert extract_for(item(), "\\boxed{5}").text is None
    assert extract_for(item(source="math"), "\\boxed{5}").text == "5"
    assert extract_for(item(verify={"boxed": True}), "\\boxed{5}").text == "5"
    assert extract_for(item(verify={"lenient": True}), "Answer: 5").text == "5"
    assert extract_for(item(verify={"max_answer_chars": 3}), "<answer>1234</answer>").text is None
