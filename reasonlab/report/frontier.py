"""The cost of thinking: accuracy against what it cost, one point per model (and per thinking
budget of a budget sweep), the Pareto-optimal ones joined.

Each point is computed from a run's sample lines on the task × difficulty cells every point
shares (runs from different suites are compared on their shared cells, which the section
names): accuracy over decided samples with its Wilson interval clustered by prompt (as the
summaries compute it), mean generated tokens per sample (the completion's tokens, thinking and
answer), and with ``--prices IN,OUT`` (USD per 1M input/output tokens) the mean cost per sample.
A point is Pareto-optimal when no other point is at least as accurate for at most the cost and
better on one of the two. Cost per correct answer = total cost / correct answers (null with
none).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonlab.core.errors import InputError
from reasonlab.evaluate import metrics as M

UNDECIDED = ("error", "timeout")


@dataclass(frozen=True)
class Point:
    label: str
    accuracy: float | None
    ci95: list[float] | None
    n: int
    correct: int
    tokens: float | None       # mean generated tokens per sample; None when not recorded
    dollars: float | None      # mean cost per sample, with prices (and token counts)

    @property
    def tokens_per_correct(self) -> float | None:
        if self.tokens is None or not self.correct:
            return None
        return self.tokens * self.n / self.correct

    @property
    def dollars_per_correct(self) -> float | None:
        if self.dollars is None or not self.correct:
            return None
        return self.dollars * self.n / self.correct


def cells_of(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(str(r.get("task")), str(r.get("difficulty"))) for r in rows}


def point(label: str, rows: list[dict[str, Any]], cells: set[tuple[str, str]],
          prices: tuple[float, float] | None) -> Point:
    """One run's point on ``cells``."""
    kept = [r for r in rows if (str(r.get("task")), str(r.get("difficulty"))) in cells
            and r.get("finish_reason") != "error"]
    decided = [r for r in kept if (r.get("verdict") or {}).get("status") not in UNDECIDED]
    clusters: dict[Any, list[int]] = {}
    for k, r in enumerate(decided):
        cell = clusters.setdefault(M.cluster_key(r, k), [0, 0])
        cell[0] += (r.get("verdict") or {}).get("status") == "correct"
        cell[1] += 1
    correct = sum(c for c, _ in clusters.values())
    ci = M.clustered_wilson_interval(list(map(tuple, clusters.values())))
    # A run whose lines lack token counts (an endpoint that reports none) has no cost: left
    # off the frontier rather than drawn at 0 tokens, where it would beat every other point.
    counted = kept and all(r.get("completion_tokens") is not None for r in kept)
    tokens = dollars = None
    if counted:
        tokens = sum(float(r["completion_tokens"]) for r in kept) / len(kept)
        if prices is not None and all(r.get("prompt_tokens") is not None for r in kept):
            spent = [M.cost(int(r["prompt_tokens"]), int(r["completion_tokens"]), *prices)
                     for r in kept]
            dollars = sum(spent) / len(spent)
    return Point(label, correct / len(decided) if decided else None,
                 list(ci) if ci else None, len(decided), correct, tokens, dollars)


def pareto(points: list[Point], cost: str = "tokens") -> list[Point]:
    """The points no other point dominates (at least as accurate at most as costly, better in
    one), ordered by cost; points without an accuracy or a cost are left out."""
    usable = [p for p in points if p.accuracy is not None and getattr(p, cost) is not None]

    def dominated(p: Point) -> bool:
        return any(q is not p and q.accuracy >= p.accuracy
                   and getattr(q, cost) <= getattr(p, cost)
                   and (q.accuracy > p.accuracy or getattr(q, cost) < getattr(p, cost))
                   for q in usable)

    return sorted([p for p in usable if not dominated(p)], key=lambda p: getattr(p, cost))


def with_budgets(label: str, folder: Path) -> list[tuple[str, Path]]:
    """A run folder and its thinking-budget sweep (``budget-<B>/``), one point each."""
    out = [(label, folder)]
    budgets = sorted((int(p.name.removeprefix("budget-")), p)
                     for p in folder.glob("budget-*") if p.name.removeprefix("budget-").isdigit())
    out += [(f"{label}@{b}", p) for b, p in budgets]
    return out


def frontier_points(runs: list[tuple[str, list[dict[str, Any]]]],
                    prices: tuple[float, float] | None) -> tuple[list[Point], list[str]]:
    """The points of ``runs`` (label, sample lines) on their shared cells, and those cells
    (``task dD``). Runs that share no cell are refused."""
    if not runs:
        return [], []
    shared = set.intersection(*(cells_of(rows) for _, rows in runs))
    if not shared:
        raise InputError("the runs share no task × difficulty cell: a cost frontier needs the "
                         "same items (" + "; ".join(label for label, _ in runs) + ")",
                         field="runs")
    points = [point(label, rows, shared, prices) for label, rows in runs]
    return points, [f"{t} d{d}" for t, d in sorted(shared)]
