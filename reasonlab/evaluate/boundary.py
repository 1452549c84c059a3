"""The reasoning boundary (Yue et al. 2025, arXiv 2504.13837): pass@k against k, out to large k,
for the model before and after RL. RL that only sharpens what the base model could already
sample wins at k = 1 and is caught up with, or overtaken, at large k; RL that found new
solutions stays above at every k.

- ``pass_at_k_curve``: per k = 1, 2, 4, …, K, the mean over items of the unbiased (Codex)
  estimator from each item's n decided samples (an item with fewer than k decided samples is
  left out at that k), with a 95 % percentile interval from a bootstrap over items: items are
  resampled with replacement (``RESAMPLES`` times, a fixed seed, so a curve is reproducible) and
  the mean recomputed on each resample, the per-item values held fixed.
- ``crossover``: the smallest k at which the model that was below at k = 1 reaches the other
  (pass@k at least as high), or None when it never does; measured on the point estimates, and
  stated with both curves so a reader can see the intervals.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from reasonlab.evaluate import metrics as M

RESAMPLES = 1000


def powers(max_n: int) -> list[int]:
    """1, 2, 4, … up to and including ``max_n``."""
    ks, k = [], 1
    while k < max_n:
        ks.append(k)
        k *= 2
    return ks + [max_n] if max_n >= 1 else []


def item_counts(rows: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """(decided samples, correct) per distinct item (``metrics.cluster_key``)."""
    groups: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for k, row in enumerate(rows):
        status = (row.get("verdict") or {}).get("status")
        if status in (None, "error", "timeout"):
            continue
        cell = groups[M.cluster_key(row, k)]
        cell[0] += 1
        cell[1] += status == "correct"
    return [(n, c) for n, c in groups.values()]


def bootstrap_mean(values: Sequence[float], resamples: int = RESAMPLES,
                   seed: int = 0) -> list[float] | None:
    """95 % percentile interval of the mean of ``values`` over resamples with replacement;
    None for no values."""
    if not values:
        return None
    rng = random.Random(f"boundary|{seed}|{len(values)}")
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n
                   for _ in range(resamples))
    lo = means[int(0.025 * (resamples - 1))]
    hi = means[int(round(0.975 * (resamples - 1)))]
    return [lo, hi]


def pass_at_k_curve(counts: Sequence[tuple[int, int]], max_k: int | None = None,
                    seed: int = 0) -> dict[str, list]:
    """``{"k", "pass_at_k", "ci95", "items"}`` from (samples, correct) per item."""
    counts = [(n, c) for n, c in counts if n > 0]
    top = max((n for n, _ in counts), default=0)
    if max_k is not None:
        top = min(top, max_k)
    curve: dict[str, list] = {"k": [], "pass_at_k": [], "ci95": [], "items": []}
    for k in powers(top):
        values = [M.pass_at_k(n, c, k) for n, c in counts if n >= k]
        if not values:
            continue
        curve["k"].append(k)
        curve["pass_at_k"].append(sum(values) / len(values))
        curve["ci95"].append(bootstrap_mean(values, seed=seed))
        curve["items"].append(len(values))
    return curve


def crossover(low: dict[str, list], high: dict[str, list]) -> int | None:
    """The smallest k at which ``low`` (below ``high`` at k = 1) reaches ``high``; None when it
    never does, or when ``low`` is not below at k = 1 (then there is nothing to catch up)."""
    at_low = dict(zip(low.get("k", []), low.get("pass_at_k", []), strict=True))
    at_high = dict(zip(high.get("k", []), high.get("pass_at_k", []), strict=True))
    shared = sorted(set(at_low) & set(at_high))
    if not shared or shared[0] != 1 or at_low[1] >= at_high[1]:
        return None
    return next((k for k in shared if at_low[k] >= at_high[k]), None)
