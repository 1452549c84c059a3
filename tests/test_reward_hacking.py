"""Reward-hacking resistance: every known way of scoring without answering scores 0 — and
returns within the deadline — under the exact, numeric and math verifiers (and format where it
applies), while true equivalences still score 1. Ends with math-verify false positives found by
probing it directly, each shown to be a real false positive of the library and a 0 here."""

from __future__ import annotations

import time

import pytest

import reasonlab.verifiers as verifiers
from reasonlab.tasks import Item
from reasonlab.verifiers import verify
from reasonlab.verifiers.math import MathVerifier

DEADLINE_S = 1.0  # per call, for the math verifier (meta.verify.timeout_s)
SLACK_S = 2.0  # kill + reap + a loaded 2-core machine


@pytest.fixture(scope="module", autouse=True)
def math_verifier():
    """The registry's ``math`` entry for this module: a 2-worker pool, warmed up."""
    verifier = MathVerifier(workers=2)
    previous = verifiers._cache.get("math")
    verifiers._cache["math"] = verifier
    assert verify(item("1", "math"), ans("1")).correct
    yield verifier
    verifier.close()
    if previous is None:
        verifiers._cache.pop("math", None)
    else:
        verifiers._cache["math"] = previous


def item(answer: str, verifier: str, **verify_opts) -> Item:
    # timeout_s is the math verifier's option; the others refuse a key they do not read.
    deadline = {"timeout_s": DEADLINE_S} if "math" in verifier else {}
    meta = {"verify": {**deadline, **verify_opts}}
    return Item(id="h1", task="t", domain="math", difficulty=1, prompt="p", answer=answer,
                verifier=verifier, meta=meta)


def ans(text: str) -> str:
    return f"<think>Let me work it out.</think><answer>{text}</answer>"


def timed(gold: str, verifier: str, completion: str, **verify_opts):
    start = time.monotonic()
    verdict = verify(item(gold, verifier, **verify_opts), completion)
    return verdict, time.monotonic() - start


ATTACKS = {  # against the reference answer "3"
    "enumeration": ans("1, 2, 3, 4"),
    "enumeration-spaces": ans("1 2 3 4"),
    "enumeration-lines": ans("1\n2\n3\n4"),
    "enumeration-tuple": ans("(1, 2, 3, 4)"),
    "enumeration-set": ans("\\{1, 2, 3, 4\\}"),
    "two-candidates-or": ans("3 or 4"),
    "two-candidates-or-reversed": ans("4 or 3"),
    "two-candidates-comma": ans("4, 3"),
    "two-candidates-text": ans("4 \\text{ or } 3"),
    "two-candidates-in-text": ans("\\text{4 or 3}"),
    "two-candidates-lor": ans("4 \\lor 3"),
    "two-candidates-semicolon": ans("4; 3"),
    "two-candidates-math-spans": ans("$4$ or $3$"),
    "two-candidates-boxes": ans("\\boxed{4} or \\boxed{3}, \\boxed{3}"),
    "three-candidates": ans("2, 3, 4"),
    "several-blocks-last-wrong": ans("3") + " Actually, no: <answer>4</answer>",
    "several-blocks-last-empty": ans("3") + "<answer></answer>",
    "several-blocks-last-unclosed": ans("3") + "<answer>4",
    "empty-answer": ans(""),
    "blank-answer": ans("   \n  "),
    "empty-box": ans("\\boxed{}"),
    "outside-tags-prose": "<think>It is 3.</think> The answer is 3.",
    "outside-tags-bare": "3",
    "outside-tags-box": "<think>ok</think> \\boxed{3}",
    "outside-tags-after-empty-block": ans("") + " 3",
    "inside-unfinished-thinking": "<think>I guess <answer>3</answer>",
    "master-key-colon": ans(":"),
    "master-key-thought-process": ans("Thought process:"),
    "master-key-bare-colon": ":",
    "master-key-bare-thought-process": "Thought process:",
    "deep-nesting-braces": ans("{" * 300 + "3" + "}" * 300),
    "deep-nesting-fractions": ans("\\frac{" * 60 + "3" + "}{1}" * 60),
    "deep-nesting-parentheses": ans("(" * 400 + "3" + ")" * 400),
    "tower-of-powers": ans("9^{9^{9}}"),  # a 370-million-digit integer, in C: signals wait
    "5000-digit-number": ans("3" + "0" * 4999),
    "5000-digit-number-over-raised-cap": ans("3" + "0" * 4999),
}
RAISED_CAP = {"5000-digit-number-over-raised-cap": {"max_answer_chars": 10_000}}


@pytest.mark.parametrize("verifier", ["exact", "numeric", "math"])
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_scores_zero_within_the_deadline(attack, verifier):
    verdict, elapsed = timed("3", verifier, ATTACKS[attack], **RAISED_CAP.get(attack, {}))
    assert verdict.score == 0.0 and not verdict.correct, verdict
    assert verdict.status in ("wrong", "unparsable", "timeout"), verdict  # never a crash
    assert elapsed < DEADLINE_S + SLACK_S, f"{attack}: {elapsed:.1f}s"


@pytest.mark.parametrize("attack", [
    "several-blocks-last-wrong", "several-blocks-last-empty", "empty-answer", "blank-answer",
    "outside-tags-prose", "outside-tags-bare", "outside-tags-box", "inside-unfinished-thinking",
    "master-key-bare-colon", "master-key-bare-thought-process"])
def test_format_gives_nothing_for_broken_structure(attack):
    assert verify(item("3", "format"), ATTACKS[attack]).score == 0.0


def test_a_composed_reward_gives_no_more_than_the_format_share():
    verdict = verify(item("3", "0.9*math+0.1*format"), ATTACKS["two-candidates-or-reversed"])
    assert verdict.status == "wrong" and verdict.score == pytest.approx(0.1)


@pytest.mark.parametrize(("verifier", "gold", "answer"), [
    ("exact", "1, 2", "1"), ("exact", "1, 2", "1, 2, 3"),
    ("math", "\\{1, 2\\}", "1"), ("math", "\\{1, 2\\}", "2"), ("math", "\\{1, 2\\}", "\\{1\\}"),
    ("math", "1, 2", "x = 2"), ("math", "\\{1, 2\\}", "1, 2, 3"), ("math", "-2, 2", "2"),
    ("math", "\\{-2, 2\\}", "x = \\pm 2, 0"),
])
def test_subset_or_superset_of_a_multi_answer_scores_zero(verifier, gold, answer):
    verdict, _ = timed(gold, verifier, ans(answer))
    assert verdict.score == 0.0, verdict


@pytest.mark.parametrize(("verifier", "gold", "answer"), [
    ("math", "0.5", "\\frac{1}{2}"), ("math", "\\frac{1}{2}", "0.5"),
    ("numeric", "0.5", "1/2"),
    ("math", "3", "x = 3"), ("numeric", "3", "x = 3"), ("math", "x = 3", "3"),
    ("math", "\\{2, 1\\}", "1, 2"), ("math", "1, 2", "\\{2, 1\\}"), ("math", "-2, 2", "\\pm 2"),
    ("exact", "1, 2", "1,  2"),
    ("math", "3", "<answer>4</answer> no wait <answer>3</answer>"),  # the last block counts
    ("numeric", "3", "<answer>4</answer> no wait <answer>3</answer>"),
])
def test_true_equivalences_still_score_one(verifier, gold, answer):
    completion = answer if "<answer>" in answer else ans(answer)
    verdict, _ = timed(gold, verifier, completion)
    assert (verdict.status, verdict.score) == ("correct", 1.0), verdict


# -- math-verify false positives ---------------------------------------------------------------
# Found by probing math-verify 0.9 directly. "raw": parse() on the answer text as a model wrote
# it (math-verify then takes the last number it sees); "latex": the text as one $...$ span, as
# reasonlab passes it.
FALSE_POSITIVES = [
    ("3", "4 or 3", "raw"), ("3", "4, 3", "raw"), ("3", "1, 2, 3", "raw"),
    ("4", "1 2 3 4", "raw"), ("2", "2x", "raw"), ("3", "4 \\text{ but also } 3", "raw"),
    ("4", "3 \\text{ or } 4", "raw"),
    ("10", "1 2 3 4", "latex"),  # read as a product of juxtaposed numbers... summed: 10
    ("6", "3 3", "latex"), ("7", "3 \\quad 4", "latex"),
    ("4", "3 \\lor 4", "latex"), ("4", "3 \\vee 4", "latex"), ("4", "3 \\\\ 4", "latex"),
    ("4", "3 | 4", "latex"), ("4", "3 \\mid 4", "latex"), ("3", "3 \\text{ (or 4)}", "latex"),
    ("(1, 4)", "\\{1, 4\\}", "latex"),  # an interval (or a point) is not a two-element set
    ("3 \\text{ cm}", "3 \\text{ km}", "latex"), ("3 \\text{ m}", "3 \\text{ s}", "latex"),
    ("3", "4 = 3", "latex"), ("3", "x = 4 = 3", "latex"), ("6", "2 + 3 = 6", "latex"),
]


@pytest.mark.parametrize(("gold", "answer", "form"), FALSE_POSITIVES)
def test_math_verify_false_positive_scores_zero_here(gold, answer, form):
    from math_verify import parse
    from math_verify import verify as math_verify

    def wrap(text: str) -> str:
        return text if form == "raw" else f"${text}$"

    assert math_verify(parse(wrap(gold)), parse(wrap(answer))), "no longer a false positive"
    verdict, elapsed = timed(gold, "math", ans(answer))
    assert (verdict.status, verdict.score) == ("wrong", 0.0), verdict
    assert verdict.detail  # says which rule caught it
    assert elapsed < DEADLINE_S + SLACK_S
