"""Judge quality on verifiable items: the judge's verdicts against rule-based ground truth.

Ground truth for each (item, completion) is the item's own rule-based verifier (exact, numeric,
math, ...). Pairs it cannot decide (error/timeout) or that have no extractable answer are left
out and counted: the judge's pre-filter would score those without asking, which would flatter the
judge. Without given completions, each item gets two: its teacher's (or a bare answer block with
the reference) and one with the answer changed (a number moved by one, other text altered),
so both classes are present. The judge works in reference mode; its ``unparsable`` and ``error``
verdicts are counted apart and kept out of the confusion matrix.

Metrics: accuracy; Cohen's κ = (p_o − p_e) / (1 − p_e) with p_e from the two raters' marginals
(undefined, None, when p_e = 1: both said the same thing every time); false-positive rate
FP / (FP + TN) (the judge accepted a wrong answer) and false-negative rate FN / (FN + TP).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from reasonlab.core.answer import parse_number
from reasonlab.core.item import Item
from reasonlab.judges.agreement import Confusion, intervals
from reasonlab.judges.judge import Case, Judge


def altered(answer: str) -> str:
    """A different answer of the same kind: numbers move by one, other text gains a letter."""
    number = parse_number(answer)
    if isinstance(number, Fraction):
        changed = number + 1
        return str(changed.numerator) if changed.denominator == 1 else str(changed)
    if isinstance(number, float):
        return repr(number + 1)
    return answer + "x" if answer else "x"


def synthesize(items: list[Item]) -> list[tuple[Item, str]]:
    """Two completions per item with an answer: a right one and an altered one."""
    pairs: list[tuple[Item, str]] = []
    for item in items:
        if item.answer is None:
            continue
        right = item.teacher or f"<think>\n</think>\n<answer>{item.answer}</answer>"
        pairs.append((item, right))
        pairs.append((item, f"<think>\n</think>\n<answer>{altered(item.answer)}</answer>"))
    return pairs


def calibrate(judge: Judge, pairs: list[tuple[Item, str]]) -> dict[str, Any]:
    """Judge every pair and compare with its rule-based verdict; returns the report."""
    from reasonlab.verifiers import verify_many

    if judge.settings.mode != "reference":
        raise ValueError("calibration compares reference-mode verdicts: make the judge with "
                         "JudgeSettings(mode='reference')")
    all_pairs = pairs
    # A judged item has no rule-based truth (and would have the judge grade itself).
    pairs = [(item, text) for item, text in all_pairs if "judge" not in item.verifier]
    truth = verify_many(pairs, progress=True)
    kept = [(p, t) for p, t in zip(pairs, truth, strict=True) if t.status in ("correct", "wrong")]
    skipped = {"truth_undecided": sum(not t.decided for t in truth),
               "truth_unparsable": sum(t.status == "unparsable" for t in truth),
               "not_rule_based": len(all_pairs) - len(pairs)}
    results = judge.judge_many([Case(item, text) for (item, text), _ in kept])
    tp = fp = tn = fn = 0
    judge_unparsable = judge_error = 0
    truth_codes, said_codes = [], []
    for (_, t), r in zip(kept, results, strict=True):
        truth_codes.append("R" if t.status == "correct" else "W")
        said_codes.append({"error": "e", "unparsable": "u", "correct": "y"}.get(
            r.verdict.status, "n"))
        if r.verdict.status == "error":
            judge_error += 1
            continue
        if r.verdict.status == "unparsable":
            judge_unparsable += 1
            continue
        said_yes, right = r.verdict.status == "correct", t.status == "correct"
        tp += said_yes and right
        fp += said_yes and not right
        tn += not said_yes and not right
        fn += not said_yes and right
    matrix = Confusion(tp, fp, tn, fn)

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    return {"judge": judge.model, "mode": "reference",
            "template": judge.template_for("reference").version,
            "pairs": len(all_pairs), "compared": matrix.n,
            "truth_correct": tp + fn, "truth_wrong": fp + tn,
            "accuracy": rounded(matrix.accuracy()), "kappa": rounded(matrix.kappa()),
            "fpr": rounded(matrix.fpr()), "fnr": rounded(matrix.fnr()),
            "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
            "judge_unparsable": judge_unparsable, "judge_error": judge_error, **skipped,
            "ci95": intervals("".join(truth_codes), "".join(said_codes)),
            # one character per compared-or-judge-failed pair, for intervals and for the
            # paired comparison of two judges (agreement.py)
            "truth": "".join(truth_codes), "said": "".join(said_codes)}


def format_calibration(report: dict[str, Any]) -> str:
    """The calibration report as plain text."""

    def show(value: float | None, pct: bool = True) -> str:
        if value is None:
            return "n/a"
        return f"{value:.1%}" if pct else f"{value:.3f}"

    def ci(name: str, pct: bool = True) -> str:
        bounds = (report.get("ci95") or {}).get(name)
        if report.get(name) is None:
            return ""
        if bounds is None:
            return " (95% CI n/a)"
        return f" [{show(bounds[0], pct)}, {show(bounds[1], pct)}]"

    c = report["confusion"]
    return "\n".join([
        f"judge calibration of {report['judge']} ({report['template']}) on "
        f"{report['compared']} of {report['pairs']} pairs with rule-based ground truth",
        f"  accuracy {show(report['accuracy'])}{ci('accuracy')}   Cohen's kappa "
        f"{show(report['kappa'], False)}{ci('kappa', False)}  (95% intervals)",
        f"  false-positive rate {show(report['fpr'])}{ci('fpr')} (accepted {c['fp']} of "
        f"{c['fp'] + c['tn']} wrong)   false-negative rate {show(report['fnr'])}{ci('fnr')} "
        f"(rejected "
        f"{c['fn']} of {c['fn'] + c['tp']} right)",
        f"  confusion: TP {c['tp']}  FP {c['fp']}  TN {c['tn']}  FN {c['fn']}",
        f"  left out: judge unparsable {report['judge_unparsable']}, judge error "
        f"{report['judge_error']}, truth unparsable {report['truth_unparsable']}, "
        f"truth undecided {report['truth_undecided']}, not rule-based "
        f"{report['not_rule_based']}",
    ])
