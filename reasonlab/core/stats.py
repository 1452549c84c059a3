"""The binomial interval every stage reports with: evaluation accuracies, judge agreement and
training curves all quote 95 % Wilson intervals, so the formula lives once, at the bottom."""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion; None when ``n == 0``.

    centre = (p + z²/2n) / (1 + z²/n), half = z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n).
    """
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in 0..{n}, got {successes}")
    return _wilson(successes / n, n, z)


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # In exact arithmetic the interval holds p (and is [0, ·] at p = 0); rounding can leave the
    # bound 1e-17 on the wrong side, which plots then read as a negative error bar.
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))
