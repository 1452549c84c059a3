"""Test-time scaling: accuracy as more compute is spent at inference.

Two axes. **Samples**: with K samples per item, pass@k (any of k right; the Codex estimator),
maj@k (majority vote of k) and best-of-N (a selector picks one of k: the verifier's score, or the
model's own confidence) for k = 1, 2, 4, … K — computed from one run's samples. **Thinking
budget** (local backends): the suite is rerun with thinking capped at B tokens and the answer
then forced (``budget_mode: exact`` also extends a shorter think with "Wait" up to B), one run
folder per budget, and the accuracies are collected here into a curve.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reasonlab.core.summary import BudgetPoint, Summary
from reasonlab.evaluate import metrics as M
from reasonlab.evaluate.boundary import bootstrap_mean


def _ks(max_n: int) -> list[int]:
    ks, k = [], 1
    while k < max_n:
        ks.append(k)
        k *= 2
    return ks + [max_n]


def _parsed(row: dict[str, Any]) -> str | None:
    verdict = row.get("verdict") or {}
    if verdict.get("status") == "unparsable" or verdict.get("parsed") is None:
        return None
    return str(verdict["parsed"]).strip()


def samples_curve(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """pass@k (with its bootstrap interval over items), maj@k and best-of-N vs k, averaged over
    items (each item uses its decided samples; an item with fewer than k of them is left out at
    that k, and ``items`` says how many counted)."""
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if (row.get("verdict") or {}).get("status") not in ("error", "timeout", None):
            by_item[str(row["id"])].append(row)
    if not by_item:
        return {"k": [], "items": [], "pass_at_k": [], "pass_at_k_ci95": [], "maj_at_k": [],
                "best_of_n": [], "best_of_n_confidence": []}
    groups = [sorted(g, key=lambda r: int(r["sample"])) for g in by_item.values()]
    curve: dict[str, list[Any]] = {"k": [], "items": [], "pass_at_k": [], "pass_at_k_ci95": [],
                                   "maj_at_k": [], "best_of_n": [], "best_of_n_confidence": []}
    for k in _ks(max(len(g) for g in groups)):
        usable = [g for g in groups if len(g) >= k]
        passes, majs, bests, confs = [], [], [], []
        for g in usable:
            correct = [(r.get("verdict") or {}).get("status") == "correct" for r in g]
            passes.append(M.pass_at_k(len(g), sum(correct), k))
            majs.append(M.maj_at_k([_parsed(r) for r in g], correct, k))
            bests.append(M.best_of_n([float((r.get("verdict") or {}).get("score", 0.0))
                                      for r in g], correct, k))
            confs.append(M.best_of_n([r.get("confidence") for r in g], correct, k))
        curve["k"].append(k)
        curve["items"].append(len(usable))
        curve["pass_at_k_ci95"].append(bootstrap_mean(passes))
        for name, values in (("pass_at_k", passes), ("maj_at_k", majs), ("best_of_n", bests),
                             ("best_of_n_confidence", confs)):
            curve[name].append(sum(values) / len(values))
    return curve


def budget_curve(summaries: list[tuple[int | None, Summary]]) -> list[BudgetPoint]:
    """Accuracy vs thinking budget from the summaries of the budget runs (``None`` = the
    unforced run), ordered by budget with the unforced run last."""
    points = []
    for budget, summary in summaries:
        overall = summary.overall
        points.append(BudgetPoint(
            thinking_budget=budget, accuracy=overall.accuracy, ci95=overall.ci95,
            n=overall.n, errors=overall.errors, timeouts=overall.timeouts,
            mean_thinking_tokens=overall.mean_thinking_tokens,
            by_task={name: t.accuracy for name, t in summary.tasks.items()}))
    return sorted(points, key=lambda p: (p.thinking_budget is None, p.thinking_budget or 0))
