"""exact, numeric and format verifiers, weighted composition, and dispatch by the item's verifier
field: a crash or an unknown verifier is an ``error`` verdict, never a silent ``wrong``."""

from __future__ import annotations

import pytest

import reasonlab.verifiers as verifiers
import reasonlab.verifiers.base as verifier_base
from reasonlab.core.answer import parse_number
from reasonlab.tasks import Item
from reasonlab.verifiers import Verdict, Verifier, WeightedVerifier, verify, verify_many
from reasonlab.verifiers.compose import parse_spec
from reasonlab.verifiers.rules import ExactVerifier


def make(answer: str | None, verifier: str = "exact", **verify_opts) -> Item:
    return Item(id="q1", task="t", domain="d", difficulty=1, prompt="p", answer=answer,
                verifier=verifier, meta={"verify": verify_opts} if verify_opts else {})


def ans(text: str) -> str:
    return f"<think>working it out</think><answer>{text}</answer>"


# -- exact -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("gold", "answer", "status"), [
    ("New York", "New York", "correct"),
    ("New York", "  New \n York ", "correct"),  # whitespace is normalized
    ("New York", "new york", "wrong"),  # case matters unless the item says otherwise
    ("New York", "New York City", "wrong"),
    ("42", "42.0", "wrong"),  # exact is exact
])
def test_exact(gold, answer, status):
    verdict = verify(make(gold), ans(answer))
    assert verdict.status == status
    assert verdict.score == (1.0 if status == "correct" else 0.0)
    assert verdict.parsed == answer.strip()


def test_exact_ignore_case_option():
    assert verify(make("New York", ignore_case=True), ans("NEW YORK")).status == "correct"
    assert verify(make("Straße", ignore_case=True), ans("STRASSE")).status == "correct"


def test_exact_without_answer_block_is_unparsable_and_without_gold_an_error():
    assert verify(make("a"), "a").status == "unparsable"
    verdict = verify(make(None), ans("a"))
    assert verdict.status == "error" and "no reference answer" in verdict.detail


# -- numeric ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("gold", "answer"), [
    ("1234", "1,234"), ("1234.5", "1,234.5"), ("-1234567", "-1,234,567"),
    ("0.75", "3/4"), ("3/4", "0.75"), ("0.5", "1/2"),
    ("3", "x = 3"), ("3", "3."), ("5", "$5"), ("100", "1e2"), ("3", "+3"), ("0.5", ".5"),
])
def test_numeric_equal_forms(gold, answer):
    verdict = verify(make(gold, "numeric"), ans(answer))
    assert verdict.status == "correct", verdict


@pytest.mark.parametrize(("gold", "answer", "detail"), [
    ("3", "4", "expected 3"),
    ("3", "3 or 4", "several candidates"),
    ("3", "3, 4", "several candidates"),
    ("3", "1, 2, 3, 4", "several candidates"),
    ("3", "three", "not a number"),
    ("3", "1/0", "not a number"),
    ("1234", "1,23,4", "several candidates"),  # not a thousands grouping
    ("3", "3%", "not a number"),
])
def test_numeric_wrong(gold, answer, detail):
    verdict = verify(make(gold, "numeric"), ans(answer))
    assert (verdict.status, verdict.score) == ("wrong", 0.0)
    assert detail in verdict.detail


def test_numeric_tolerance():
    pi = make("3.14159", "numeric")
    assert verify(pi, ans("3.14159")).correct
    assert not verify(pi, ans("3.1416")).correct  # default rel_tol is 1e-6
    assert verify(make("3.14159", "numeric", rel_tol=1e-4), ans("3.1416")).correct
    assert not verify(make("0", "numeric"), ans("1e-7")).correct  # abs_tol 1e-9
    assert verify(make("0", "numeric", abs_tol=1e-6), ans("1e-7")).correct
    assert verify(make("1/3", "numeric"), ans("0.333333333")).correct


def test_numeric_reference_must_be_a_number():
    verdict = verify(make("x+1", "numeric"), ans("2"))
    assert verdict.status == "error" and "not a number" in verdict.detail


def test_parse_number_refuses_huge_inputs_quickly():
    assert parse_number("9" * 5000) is None
    assert parse_number("12") == 12


# -- format ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("completion", "status"), [
    ("<think>a</think><answer>1</answer>", "correct"),
    ("  <think>a\nb</think>\n<answer> 1 </answer>\n", "correct"),
    ("<answer>1</answer>", "wrong"),
    ("<think>a</think>", "wrong"),
    ("<think>a</think><answer></answer>", "wrong"),
    ("<think>a</think><answer>1</answer><answer>2</answer>", "wrong"),
    ("<think>a</think><think>b</think><answer>1</answer>", "wrong"),
    ("preamble <think>a</think><answer>1</answer>", "wrong"),
    ("<think>a</think><answer>1</answer> trailing words", "wrong"),
])
def test_format(completion, status):
    assert verify(make("1", "format"), completion).status == status


# -- composition -----------------------------------------------------------------------------

def test_parse_spec():
    assert parse_spec("0.9*math + 0.1*format") == [(0.9, "math"), (0.1, "format")]
    assert parse_spec("exact") == [(1.0, "exact")]
    assert parse_spec(".5*exact+format") == [(0.5, "exact"), (1.0, "format")]


def test_weighted_scores_are_weighted_and_correct_only_when_every_part_is():
    item = make("7", "0.9*exact+0.1*format")
    full = verify(item, ans("7"))
    assert (full.status, full.score) == ("correct", 1.0)
    assert full.components == {"exact": 1.0, "format": 1.0}
    no_format = verify(item, "<answer>7</answer>")
    assert no_format.status == "wrong" and no_format.score == pytest.approx(0.9)
    only_format = verify(item, ans("8"))
    assert only_format.status == "wrong" and only_format.score == pytest.approx(0.1)
    assert only_format.parsed == "8"


def test_an_error_in_one_part_makes_the_whole_undecided():
    verdict = verify(make(None, "0.5*exact+0.5*format"), ans("7"))
    assert (verdict.status, verdict.score) == ("error", 0.0)
    assert verdict.components == {"exact": None, "format": 1.0}
    assert "no reference answer" in verdict.detail


class _Raises(Verifier):
    name = "raises"

    def check(self, item: Item, completion: str) -> Verdict:
        return {}["boom"]  # a bug in a verifier


class _ReturnsNone(Verifier):
    name = "returns-none"

    def check(self, item: Item, completion: str) -> Verdict:
        return None  # type: ignore[return-value]


@pytest.fixture
def broken_verifiers(monkeypatch):
    monkeypatch.setitem(verifier_base._FACTORIES, "raises", _Raises)
    monkeypatch.setitem(verifier_base._FACTORIES, "returns-none", _ReturnsNone)
    monkeypatch.setattr(verifiers, "_cache", {})


def test_a_verifier_that_raises_gives_an_error_verdict_naming_the_exception(broken_verifiers):
    verdict = verify(make("7", "raises"), ans("7"))
    assert (verdict.status, verdict.score) == ("error", 0.0)
    assert "raises verifier crashed" in verdict.detail and "KeyError" in verdict.detail
    assert "test_rule_verifiers.py" in verdict.detail  # where it crashed
    assert "returned NoneType" in verify(make("7", "returns-none"), ans("7")).detail


def test_a_crash_inside_a_composition_is_undecided(broken_verifiers):
    verdict = verify(make("7", "0.9*exact+0.1*raises"), ans("7"))
    assert verdict.status == "error" and "KeyError" in verdict.detail
    direct = WeightedVerifier([(1.0, ExactVerifier()), (1.0, _Raises())])
    assert direct.check(make("7"), ans("7")).status == "error"


@pytest.mark.parametrize("spec", ["nonexistent", "0.5*exact+0.5*nonexistent", "0.9*", "0*exact"])
def test_unknown_or_malformed_verifier_is_an_error_verdict(spec):
    verdict = verify(make("7", spec), ans("7"))
    assert (verdict.status, verdict.score) == ("error", 0.0)
    assert verdict.detail


def test_verify_many_keeps_order_mixes_verifiers_and_honours_the_override():
    pairs = [(make("7"), ans("7")), (make("2", "numeric"), ans("2.0")),
             (make("7", "nope"), ans("7")), (make("1", "format"), ans("1")), (make("7"), "x")]
    assert [v.status for v in verify_many(pairs)] == [
        "correct", "correct", "error", "correct", "unparsable"]
    assert [v.status for v in verify_many(pairs, verifier="format")] == [
        "correct", "correct", "correct", "correct", "wrong"]


def test_verdict_contract():
    verdict = Verdict("a", 1.0, "correct", "7", "")
    assert Verdict.from_dict(verdict.to_dict()) == verdict
    assert set(verdict.to_dict()) == {"id", "score", "status", "parsed", "detail"}
    with pytest.raises(ValueError):
        Verdict("a", 0.0, "maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Verdict("a", 1.5, "correct")
    assert not Verdict("a", 0.0, "timeout").decided and Verdict("a", 0.0, "wrong").decided
