"""The countdown verifier: any expression that uses exactly the given numbers and reaches the
target is correct; everything else scores 0 with the status that says why."""

from __future__ import annotations

import pytest

from reasonlab.tasks import Item, get_task
from reasonlab.verifiers import verifier_names, verify
from reasonlab.verifiers.countdown import MAX_EXPRESSION_CHARS


def make_item(numbers: list[int], target: int) -> Item:
    return Item(id="cd-1", task="countdown", domain="arithmetic", difficulty=1,
                prompt="...", answer=None, verifier="countdown",
                meta={"numbers": numbers, "target": target})


ITEM = make_item([7, 3, 4], 25)


def check(text: str, item: Item = ITEM, wrap: bool = True):
    return verify(item, f"<think>working</think><answer>{text}</answer>" if wrap else text)


def test_registered_and_used_by_the_family():
    assert "countdown" in verifier_names()
    assert get_task("countdown").item(0, 3).verifier == "countdown"


@pytest.mark.parametrize("expression", [
    "7*3+4", "4+3*7", "(7*3)+4", "3*7+4", " 4 + ( 3 * 7 ) ", "4--3*7", "-(-7*3-4)",
    "((((7))*3))+4", "7*3+4\n",
])
def test_valid_alternatives_are_correct(expression):
    verdict = check(expression)
    assert (verdict.status, verdict.score) == ("correct", 1.0), verdict
    assert verdict.parsed == expression.strip()


def test_exact_fractions_in_the_middle_are_fine():
    # 5*(5-1/5) = 24 needs 1/5 exactly: float arithmetic would give 24.000000000000004.
    assert check("5*(5-1/5)", make_item([1, 5, 5, 5], 24)).status == "correct"
    assert check("(3+3/7)*7", make_item([3, 3, 7, 7], 24)).status == "correct"


@pytest.mark.parametrize(("expression", "detail"), [
    ("7*3+4+3", "uses 3 2 times, given 1"),
    ("7*3+5-1", "uses 1, which is not given"),
    ("7*3", "does not use 4"),
    ("7+3+4", "value is 14, target 25"),
    ("7/3+4", "value is 19/3 (not an integer), target 25"),
    ("4/(7-7)*3", "uses 7 2 times"),
])
def test_wrong_numbers_or_value(expression, detail):
    verdict = check(expression)
    assert (verdict.status, verdict.score) == ("wrong", 0.0), verdict
    assert detail in verdict.detail, verdict.detail


def test_division_by_zero_is_wrong_with_detail():
    verdict = check("4/(3-3)", make_item([3, 3, 4], 1))
    assert (verdict.status, verdict.score) == ("wrong", 0.0)
    assert "division by zero" in verdict.detail


@pytest.mark.parametrize(("text", "why"), [
    ("7**3+4", "**"),
    ("3*7+2**2", "**"),
    ("7//3+4", "//"),
    ("__import__('os').system('true')", "only integers"),
    ("abs(-7)*3+4", "only integers"),
    ("x*3+4", "only integers"),
    ("(7).real*3+4", "only integers"),
    ("7.0*3+4", "only integers"),
    ("7_0*3+4", "only integers"),
    ("+7*3+4", "UnaryOp"),
    ("7*3+4, 4+3*7", "only integers"),
    ("7*3+4 or 4+3*7", "only integers"),
    ("7*3+4 = 25", "only integers"),
    ("twenty five", "only integers"),
    ("7*3+", "not an arithmetic expression"),
    ("()", "Tuple is not allowed"),
    ("07*3+4", "not an arithmetic expression"),
    ("1+" * 200 + "1", "characters, over"),
    ("9" * 13 + "*0+7*3+4", "digits"),
])
def test_not_an_allowed_expression_is_unparsable(text, why):
    verdict = check(text)
    assert (verdict.status, verdict.score) == ("unparsable", 0.0), verdict
    assert why in verdict.detail, verdict.detail


def test_deep_nesting_within_the_length_cap_is_handled():
    depth = (MAX_EXPRESSION_CHARS - 10) // 2
    assert check("(" * depth + "7*3+4" + ")" * depth).status == "correct"
    # An even number of unary minus signs on 7: still 7*3+4.
    assert check("-" * (MAX_EXPRESSION_CHARS - 6) + "7*3+4").status == "correct"
    assert check("-" * (MAX_EXPRESSION_CHARS - 7) + "7*3+4").status == "wrong"


@pytest.mark.parametrize("completion", [
    "7*3+4", "The answer is 7*3+4", "<answer></answer>", "<answer>7*3+4", "<think>7*3+4",
])
def test_no_answer_block_is_unparsable(completion):
    assert check(completion, wrap=False).status == "unparsable"


@pytest.mark.parametrize("meta", [{}, {"numbers": [1, 2]}, {"numbers": "1 2", "target": 3},
                                  {"numbers": [1, 2], "target": 3.0}])
def test_an_item_without_numbers_and_target_is_an_error_not_wrong(meta):
    item = make_item([1, 2], 3)
    item.meta = meta
    assert verify(item, "<answer>1+2</answer>").status == "error"


def test_every_generated_solution_verifies_and_alternatives_are_accepted():
    task = get_task("countdown")
    for difficulty in range(task.min_difficulty, task.max_difficulty + 1):
        for item in task.sample(10, difficulty, seed=5):
            assert check(item.answer, item).status == "correct"
            # Any extra literal breaks "each number exactly once", even one that keeps the value.
            assert check(f"({item.answer})*1", item).status == "wrong"
            assert check(f"{item.answer}+0", item).status == "wrong"
