"""Exact definitions of every evaluation metric, as pure functions (tests check each one against
its reference formula).

Conventions used throughout reasonlab's summaries:

- **Decided samples.** A verdict of ``error`` or ``timeout`` means the verifier could not decide,
  so it says nothing about the answer. Such samples are excluded from accuracy (and from every
  metric below that needs correctness); they are counted apart as ``errors`` and ``timeouts``.
  A summary's ``n`` is the number of decided samples and ``n_total`` the number generated
  (``n + errors + timeouts == n_total``). ``unparsable`` counts as
  wrong: the model failed to give an answer.
- **Fractions, not percentages.** Accuracies, intervals and calibration errors are in [0, 1].
- **Undefined is None.** A metric that has no value for its input (an interval of zero samples,
  Spearman of a constant, HLE calibration of fewer than ``2 * beta`` samples) returns ``None`` (or
  ``nan`` where numpy arithmetic wants a float), never a made-up number.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence

import numpy as np

from reasonlab.core.stats import Z95, _wilson, wilson_interval  # noqa: F401 (re-exported)


def cluster_key(row: dict, k: int) -> Hashable:
    """What makes samples one item: the same task and prompt (two ids with one prompt are one
    question asked twice, not two pieces of evidence); a line without a prompt, its id; a line
    with neither stands alone."""
    if row.get("prompt") is not None:
        return ("prompt", row.get("task"), row["prompt"])
    return ("id", row["id"]) if row.get("id") is not None else ("line", k)


def effective_sample_size(clusters: Sequence[tuple[int, int]]) -> float | None:
    """How many independent samples ``(successes, samples)`` per item are worth when samples of
    one item are correlated: n_eff = n / deff (Kish 1965's design effect). None for no samples.

    deff = Var_cluster(p̂) / Var_iid(p̂) with p̂ = Σs / Σm, Var_iid = p̂(1−p̂)/n, and Var_cluster
    the linearized (Taylor) variance of the ratio estimator over items, Σ(s_i − p̂·m_i)² / n²
    (Cochran 1977, *Sampling Techniques* §6.11, without finite-population or k/(k−1) factors,
    so that identical repeats of k items give deff = m and n_eff = k exactly). n / deff is the
    "effective sample size" Korn & Graubard (1998, Survey Methodology 24:193) plug into a
    binomial interval. Rules at the edges: one sample per item is plain n; p̂ of 0 or 1 carries
    no variance to compare, so the worst case ρ = 1 applies, n_eff = (Σm)² / Σm² (k for equal
    sizes); deff is floored at 1 so repeats never make the interval narrower than treating
    every sample as independent.
    """
    sizes = [m for _, m in clusters if m > 0]
    n = sum(sizes)
    if n == 0:
        return None
    if max(sizes) == 1:
        return float(n)
    successes = sum(s for s, m in clusters if m > 0)
    p = successes / n
    if p in (0.0, 1.0):
        return n * n / sum(m * m for m in sizes)
    var_cluster = sum((s - p * m) ** 2 for s, m in clusters if m > 0) / (n * n)
    deff = max(1.0, var_cluster / (p * (1 - p) / n))
    return n / deff


def clustered_wilson_interval(clusters: Sequence[tuple[int, int]],
                              z: float = Z95) -> tuple[float, float] | None:
    """Wilson interval of the pooled proportion Σs / Σm over items given as ``(successes,
    samples)``, on the effective sample size (see ``effective_sample_size``): the interval for
    several samples per item, which are not independent. With one sample per item it is
    exactly ``wilson_interval``; with identical repeats, the Wilson interval over items."""
    for s, m in clusters:
        if not 0 <= s <= m:
            raise ValueError(f"successes must be in 0..{m}, got {s}")
    n_eff = effective_sample_size(clusters)
    if n_eff is None:
        return None
    n = sum(m for _, m in clusters)
    successes = sum(s for s, _ in clusters)
    if n_eff == n:
        return wilson_interval(successes, n, z)
    return _wilson(successes / n, n_eff, z)


def difference_interval(s1: int, n1: int, s2: int, n2: int,
                        z: float = Z95) -> tuple[float, float] | None:
    """Interval for p2 − p1 of two independent proportions: Newcombe's hybrid score method
    (his "method 10"), built from the two Wilson intervals. None when either n is 0."""
    a, b = wilson_interval(s1, n1, z), wilson_interval(s2, n2, z)
    if a is None or b is None:
        return None
    return newcombe_difference(s1 / n1, a, s2 / n2, b)


def newcombe_difference(p1: float, ci1: Sequence[float], p2: float,
                        ci2: Sequence[float]) -> tuple[float, float]:
    """Newcombe's hybrid interval for p2 − p1 from each proportion's own interval. It needs
    only a good interval per side, so clustered Wilson intervals (several samples per item)
    give the clustered difference interval the same way plain ones give method 10."""
    (l1, u1), (l2, u2) = ci1, ci2
    delta = p2 - p1
    lower = delta - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = delta + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return max(-1.0, lower), min(1.0, upper)


# ---------------------------------------------------------------- many samples per item
def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of the Codex paper (Chen et al. 2021): 1 − C(n−c, k) / C(n, k), computed
    as their numerically stable product. ``n`` samples of which ``c`` are correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


# Exact expectation over every k-subset while there are at most this many; beyond, a fixed
# number of seeded random subsets (the estimate is then reproducible, not exact).
_MAX_SUBSETS = 256


def _mean_over_subsets(n: int, k: int, outcome: Callable[[tuple[int, ...]], float],
                       seed: int = 0) -> float:
    if not 1 <= k <= n:
        raise ValueError(f"k must be in 1..{n}, got {k}")
    if math.comb(n, k) <= _MAX_SUBSETS:
        subsets = list(itertools.combinations(range(n), k))
    else:
        rng = random.Random(seed)
        subsets = [tuple(sorted(rng.sample(range(n), k))) for _ in range(_MAX_SUBSETS)]
    return float(np.mean([outcome(s) for s in subsets]))


def majority_vote(answers: Sequence[Hashable | None], correct: Sequence[bool]) -> bool:
    """Self-consistency: the most frequent parsed answer wins (a tie goes to the answer seen
    first); samples without an answer (None) do not vote. True when the winner was correct;
    False when nobody voted."""
    votes = Counter(a for a in answers if a is not None)
    if not votes:
        return False
    top = max(votes.values())
    winner = next(a for a in answers if a is not None and votes[a] == top)
    return any(ok for a, ok in zip(answers, correct, strict=True) if a == winner)


def maj_at_k(answers: Sequence[Hashable | None], correct: Sequence[bool], k: int,
             seed: int = 0) -> float:
    """maj@k for one item: the expected majority-vote correctness over k-subsets of its n samples
    (exact when C(n, k) <= 256, else the mean over 256 seeded random subsets)."""
    if len(answers) != len(correct):
        raise ValueError("answers and correct differ in length")
    return _mean_over_subsets(
        len(answers), k,
        lambda s: float(majority_vote([answers[i] for i in s], [correct[i] for i in s])), seed)


def best_of_n(scores: Sequence[float | None], correct: Sequence[bool], k: int,
              seed: int = 0) -> float:
    """Best-of-N for one item: a selector (the verifier's score, or the model's confidence) picks
    the highest-scoring of k samples (ties and all-None go to the earliest sample); the value is
    the expected correctness of the pick over k-subsets, as in ``maj_at_k``."""
    if len(scores) != len(correct):
        raise ValueError("scores and correct differ in length")
    keyed = [(-math.inf if s is None else float(s)) for s in scores]

    def pick(subset: tuple[int, ...]) -> float:
        best = max(subset, key=lambda i: (keyed[i], -i))
        return float(correct[best])

    return _mean_over_subsets(len(scores), k, pick, seed)


# ---------------------------------------------------------------- calibration
def calibration_error(confidence: Sequence[float], correct: Sequence[bool], method: str = "hle",
                      beta: int = 100) -> float:
    """RMS calibration error, a fraction in [0, 1].

    ``hle`` is Humanity's Last Exam's published ``calib_err(p='2')`` (hle_eval/
    run_judge_results.py, from Hendrycks' outlier-exposure code): sort by confidence, cut into
    equal-count bins of ``beta`` (the last bin absorbs the remainder), and — as that code does,
    its loop stopping at ``len(bins) - 1`` — leave the last bin out of the sum while still
    dividing by all samples. ``all-bins`` is the same sum including the last bin. HLE feeds it
    confidences divided by 100 and prints the result ×100; here both sides are fractions.

    Returns ``nan`` where the method is undefined (``min_samples``): ``all-bins`` below ``beta``
    samples, where no full bin exists (HLE's code would fail on ``bins[-1]`` of an empty list),
    and ``hle`` below ``2 * beta``, where its one bin is the skipped last one and HLE's code
    returns 0.0 having measured nothing. From there on ``hle`` equals HLE's code.
    """
    if method not in ("hle", "all-bins"):
        raise ValueError(f"method must be 'hle' or 'all-bins', got {method!r}")
    if beta < 1:
        raise ValueError(f"beta must be >= 1, got {beta}")
    conf = np.asarray(confidence, dtype=float)
    corr = np.asarray(correct, dtype=float)
    if conf.shape != corr.shape:
        raise ValueError("confidence and correct differ in length")
    if len(conf) < min_samples(method, beta):
        return float("nan")
    idxs = np.argsort(conf)  # numpy's default sort, as HLE, so ties order identically
    conf, corr = conf[idxs], corr[idxs]
    bins = [[i * beta, (i + 1) * beta] for i in range(len(conf) // beta)]
    bins[-1] = [bins[-1][0], len(conf)]
    used = bins[:-1] if method == "hle" else bins
    total = len(conf)
    cerr = 0.0
    for lo, hi in used:
        difference = abs(np.nanmean(conf[lo:hi]) - np.nanmean(corr[lo:hi]))
        cerr += (hi - lo) / total * difference ** 2
    return float(math.sqrt(cerr))


def min_samples(method: str, beta: int = 100) -> int:
    """The fewest samples for which ``calibration_error(method, beta)`` is defined: ``hle`` sums
    every bin but the last, so it needs two bins; ``all-bins`` needs one."""
    return 2 * beta if method == "hle" else beta


def ece(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 15) -> float:
    """Expected calibration error with ``n_bins`` equal-width bins (Guo et al. 2017): bin *b*
    holds confidences in (b/B, (b+1)/B], and 0 joins the first bin. Sum over bins of
    |bin| / N · |mean confidence − accuracy|. ``nan`` for no samples."""
    conf = np.asarray(confidence, dtype=float)
    corr = np.asarray(correct, dtype=float)
    if len(conf) == 0:
        return float("nan")
    which = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        mask = which == b
        if mask.any():
            total += mask.sum() / len(conf) * abs(conf[mask].mean() - corr[mask].mean())
    return float(total)


def brier(confidence: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean squared difference between confidence and the 0/1 outcome; ``nan`` for none."""
    conf = np.asarray(confidence, dtype=float)
    corr = np.asarray(correct, dtype=float)
    return float(np.mean((conf - corr) ** 2)) if len(conf) else float("nan")


# ---------------------------------------------------------------- compute allocation
def average_ranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n, tied values sharing the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for j in range(start, end + 1):
            ranks[order[j]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's ρ: the Pearson correlation of average ranks (so ties are handled). None when
    fewer than 2 points or either side is constant (ρ is undefined)."""
    if len(x) != len(y):
        raise ValueError("x and y differ in length")
    if len(x) < 2:
        return None
    rx, ry = np.asarray(average_ranks(x)), np.asarray(average_ranks(y))
    dx, dy = rx - rx.mean(), ry - ry.mean()
    denom = math.sqrt(float((dx * dx).sum() * (dy * dy).sum()))
    if denom == 0:
        return None
    return float((dx * dy).sum() / denom)


# ---------------------------------------------------------------- reflection
REFLECTION_MARKERS: tuple[str, ...] = (
    "wait", "let me check", "let me verify", "let me re-check", "let me recheck",
    "double-check", "double check", "verify", "actually", "hmm", "on second thought",
    "i made a mistake", "re-evaluate", "reconsider", "let me try again", "alternatively",
)
_MARKER_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(m) for m in sorted(REFLECTION_MARKERS, key=len, reverse=True))
    + r")\b", re.IGNORECASE)


def count_reflection_markers(text: str) -> int:
    """How many reflection phrases (``REFLECTION_MARKERS``, whole words, any case) occur; a longer
    phrase is matched before a shorter one inside it, and matches do not overlap."""
    return len(_MARKER_RE.findall(text or ""))


def reflection_rate(texts: Sequence[str], thinking_tokens: Sequence[int]) -> float | None:
    """Reflection markers per 1,000 thinking tokens, pooled: 1000 · Σ markers / Σ tokens. None
    when there were no thinking tokens."""
    tokens = int(sum(thinking_tokens))
    if tokens <= 0:
        return None
    return 1000.0 * sum(count_reflection_markers(t) for t in texts) / tokens


# ---------------------------------------------------------------- transfer and cost
def relative_gain(base: float, trained: float) -> float | None:
    """(trained − base) / base; None when base is 0 (no finite relative change)."""
    return None if base == 0 else (trained - base) / base


def transferability_index(base_in: float, trained_in: float, base_out: float,
                          trained_out: float, min_in_gain: float = 1e-3) -> float | None:
    """Relative out-of-domain gain ÷ relative in-domain gain. Undefined (None) when the in-domain
    relative gain is ~0 (|gain| < ``min_in_gain``) or either relative gain is undefined: a ratio
    over nothing learned in domain carries no information."""
    rin, rout = relative_gain(base_in, trained_in), relative_gain(base_out, trained_out)
    if rin is None or rout is None or abs(rin) < min_in_gain:
        return None
    return rout / rin


def cost(prompt_tokens: int, completion_tokens: int, price_in: float | None,
         price_out: float | None) -> float | None:
    """Money for the given tokens at prices per 1M input / output tokens; None without prices."""
    if price_in is None or price_out is None:
        return None
    return (prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: undefined metrics are written as null."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)
