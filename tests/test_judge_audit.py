"""The canary audit's false-positive rate counts parsable verdicts only: an unparsable or failed
judgment says neither yes nor no, so it must not pass for a "no" (44 unparsable of 44 once read
as a 0.0% false-positive rate). The judge's answers are stubbed; no server is started."""

from __future__ import annotations

import pytest

from reasonlab.judges.canaries import CANARIES, audit, default_items, format_audit, fpr_of
from reasonlab.judges.judge import Judge, JudgeSettings


def stub_judge(monkeypatch, answer) -> Judge:
    """A judge whose vote on the prompt at index i is ``answer(i)``: a canonical value,
    "unparsable" or "error"."""
    judge = Judge("openai:http://127.0.0.1:9/v1#stub", JudgeSettings(), retries=0)

    def ask(prepared):
        return {p.index: ([answer(p.index)], ["stubbed"], 0) for p in prepared}

    monkeypatch.setattr(judge, "ask", ask)
    return judge


def test_all_unparsable_is_not_a_zero_rate(monkeypatch):
    judge = stub_judge(monkeypatch, lambda i: "unparsable")
    report = audit(judge, default_items(4), CANARIES)
    overall = report["overall"]
    assert overall["n"] == 44 and overall["unparsable"] == 44
    assert overall["fpr"] is None and overall["parsable"] == 0
    assert overall["fpr_note"] == "n/a — 44/44 unparsable"
    for row in report["canaries"]:
        assert row["fpr"] is None and row["fpr_note"] == "n/a — 4/4 unparsable"
    text = format_audit(report)
    assert "overall false-positive rate n/a — 44/44 unparsable" in text
    assert "0.0%" not in text and " 0% " not in text


def test_rate_is_over_parsable_verdicts_only(monkeypatch):
    # Per canary (4 items): item 0 says yes, item 1 no, items 2 and 3 unparsable.
    votes = {0: "yes", 1: "no", 2: "unparsable", 3: "unparsable"}
    judge = stub_judge(monkeypatch, lambda i: votes[i % 4])
    report = audit(judge, default_items(4), CANARIES[:3])
    for row in report["canaries"]:
        assert (row["false_positives"], row["negatives"], row["unparsable"]) == (1, 1, 2)
        assert row["fpr"] == 0.5 and row["fpr_note"] == ""
    assert report["overall"]["fpr"] == 0.5 and report["overall"]["parsable"] == 6
    assert "overall false-positive rate 50.0% (3 of 6 parsable verdicts; 6 unparsable, " \
           "0 errors left out)" in format_audit(report)


@pytest.mark.parametrize(("counts", "expected"), [
    ((0, 0, 44, 0), (None, "n/a — 44/44 unparsable")),
    ((0, 0, 3, 1), (None, "n/a — 3/4 unparsable, 1/4 errors")),
    ((0, 0, 0, 2), (None, "n/a — 2/2 errors")),
    ((0, 0, 0, 0), (None, "n/a — no verdicts")),
    ((0, 5, 39, 0), (0.0, "")),
    ((2, 2, 40, 0), (0.5, "")),
])
def test_fpr_of(counts, expected):
    assert fpr_of(*counts) == expected
