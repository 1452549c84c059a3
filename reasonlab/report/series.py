"""Numbers the report derives from loaded runs: per-cell and think-rate differences with
Newcombe's interval (the method ``transfer`` uses per task), the confidence pairs behind the
calibration figure, and the series of logged training scalars."""

from __future__ import annotations

from typing import Any

from reasonlab.core.summary import Cell, Group, Summary
from reasonlab.evaluate import metrics as M
from reasonlab.report.load import EvalRun, level_key


def difficulties(*summaries: Summary, task: str) -> list[str]:
    levels: set[str] = set()
    for s in summaries:
        block = s.tasks.get(task)
        if block is not None:
            levels |= set(block.by_difficulty)
    return sorted(levels, key=level_key)


def cell_deltas(base: Summary, run: Summary) -> dict[str, dict[str, Any]]:
    """Per task × difficulty, rl − base accuracy with Newcombe's interval (the method
    ``transfer`` uses per task), from each cell's decided count and correct count."""
    out: dict[str, dict[str, Any]] = {}
    for task, block in run.tasks.items():
        prior_task = base.tasks.get(task)
        before = prior_task.by_difficulty if prior_task is not None else {}
        cells: dict[str, Any] = {}
        for level, cell in block.by_difficulty.items():
            prior = before.get(level)
            if prior is None or cell.accuracy is None or prior.accuracy is None:
                continue
            ci = M.difference_interval(prior.correct_count(), int(prior.n),
                                       cell.correct_count(), int(cell.n))
            cells[level] = {"delta": cell.accuracy - prior.accuracy,
                            "ci95": list(ci) if ci else None,
                            "base": prior.accuracy, "run": cell.accuracy}
        if cells:
            out[task] = cells
    return out


def rate_change(before: Cell | Group | None, after: Cell | Group | None,
                key: str = "think_rate") -> dict[str, Any] | None:
    """after − before of a share of decided samples (``think_rate``) with Newcombe's interval
    from the counts it implies (share × decided ``n``), as ``cell_deltas`` does for accuracy;
    None when either side has no value. With several samples per item the samples of an item
    are not independent, and the summary has no clustered count for the rate: the interval is
    then built on the number of items (``n_items``), which can only make it wider than the
    clustered one (a design effect is at most the samples per item)."""
    old = getattr(before, key, None) if before is not None else None
    new = getattr(after, key, None) if after is not None else None
    if old is None or new is None:
        return None

    def size(block: Group) -> int:
        n = int(block.n or 0)
        items = block.n_items
        return min(n, int(items)) if isinstance(items, int) and items > 0 else n

    n0, n1 = size(before), size(after)
    if not n0 or not n1:
        return None
    ci = M.difference_interval(round(old * n0), n0, round(new * n1), n1)
    return {"base": old, "run": new, "delta": new - old, "ci95": list(ci) if ci else None}


def confidence_pairs(run: EvalRun, source: str | None = None) -> list[tuple[float, bool]]:
    """(confidence, correct) of the decided samples that carry one — the pairs the summary's
    calibration block was computed from; with ``source``, only that confidence: the stated
    one (``verbalized``) or the answer tokens' probability (``tokens``), as the summary's
    ``by_source`` splits them."""
    from reasonlab.evaluate.summary import is_correct, is_decided

    decided = [r for r in run.samples if is_decided(r)]
    if source == "tokens":
        return [(float(r["token_confidence"]), is_correct(r)) for r in decided
                if r.get("token_confidence") is not None]
    if source == "verbalized":
        return [(float(r["confidence"]), is_correct(r)) for r in decided
                if r.get("confidence") is not None
                and r.get("confidence_source") == "verbalized"]
    return [(float(r["confidence"]), is_correct(r)) for r in decided
            if r.get("confidence") is not None]


def metric_series(rows: list[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """(steps, values) of one logged scalar, skipping rows without it (e.g. the final summary
    row TRL logs, which carries train_runtime instead)."""
    steps, values = [], []
    for row in rows:
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and "step" in row:
            steps.append(float(row["step"]))
            values.append(float(value))
    return steps, values


def metric_keys(rows: list[dict[str, Any]], prefix: str, suffix: str = "") -> list[str]:
    keys: list[str] = []
    for row in rows:
        for key in row:
            if key.startswith(prefix) and key.endswith(suffix) and key not in keys:
                keys.append(key)
    return keys
