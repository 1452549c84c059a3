"""Intervals for a judge's agreement with the truth, and the paired comparison of two judges on
the same candidates.

A calibration report keeps, for every pair it compared or left out for the judge's sake, the
truth (``R`` right, ``W`` wrong) and what the judge said (``y``, ``n``, ``u`` unparsable, ``e``
error) as two strings of equal length, ``truth`` and ``said``. From them:

- accuracy, FPR and FNR get Wilson 95 % intervals;
- Cohen's κ gets a percentile bootstrap interval (pairs resampled with replacement, a fixed
  seed, so a report is reproducible); κ is computed on the resample's parsable verdicts, as the
  point estimate is;
- two judges on the same pairs (same ``truth`` string) get the bootstrap interval of κ(A) −
  κ(B), resampling pairs jointly (paired), which is narrower than comparing two intervals.

An interval that cannot be computed (no parsable verdict; κ undefined in too many resamples)
is None, never a made-up range.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

RESAMPLES = 2000


@dataclass(frozen=True)
class Confusion:
    """Judge (rows: said yes / no) against truth (correct / wrong)."""

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    def accuracy(self) -> float | None:
        return (self.tp + self.tn) / self.n if self.n else None

    def kappa(self) -> float | None:
        if not self.n:
            return None
        n = self.n
        observed = (self.tp + self.tn) / n
        expected = ((self.tp + self.fp) * (self.tp + self.fn)
                    + (self.fn + self.tn) * (self.fp + self.tn)) / (n * n)
        if expected == 1:
            return None
        return (observed - expected) / (1 - expected)

    def fpr(self) -> float | None:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else None

    def fnr(self) -> float | None:
        return self.fn / (self.fn + self.tp) if self.fn + self.tp else None


def confusion_of(truth: str, said: str, index: list[int] | range) -> Confusion:
    tp = fp = tn = fn = 0
    for i in index:
        s, t = said[i], truth[i]
        if s not in "yn":
            continue
        tp += s == "y" and t == "R"
        fp += s == "y" and t == "W"
        tn += s == "n" and t == "W"
        fn += s == "n" and t == "R"
    return Confusion(tp, fp, tn, fn)


def kappa_undefined(truth: str, said: str) -> str | None:
    """Why κ has no value on these pairs (None when it has one)."""
    c = confusion_of(truth, said, range(len(truth)))
    if not c.n:
        return f"no parsable verdict in {len(truth)} pairs"
    if c.kappa() is None:
        return (f"chance agreement is 1 on {c.n} parsable verdicts (the judge and the truth "
                "each said one thing every time)")
    return None


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    at = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[at]


def bootstrap(truth: str, saids: list[str], statistic, resamples: int = RESAMPLES,
              seed: int = 0) -> list[float] | None:
    """95 % percentile interval of ``statistic(confusions)`` over paired resamples; None when
    the statistic is undefined in more than 5 % of them."""
    n = len(truth)
    if n == 0:
        return None
    rng = random.Random(f"judge-bootstrap|{seed}")
    values: list[float] = []
    for _ in range(resamples):
        index = [rng.randrange(n) for _ in range(n)]
        value = statistic([confusion_of(truth, said, index) for said in saids])
        if value is not None:
            values.append(value)
    if len(values) < 0.95 * resamples:
        return None
    return [round(_percentile(values, 0.025), 4), round(_percentile(values, 0.975), 4)]


def intervals(truth: str, said: str) -> dict[str, Any]:
    """95 % intervals of accuracy, κ, FPR and FNR for one judge."""
    from reasonlab.core.stats import wilson_interval

    c = confusion_of(truth, said, range(len(truth)))

    def wilson(k: int, n: int) -> list[float] | None:
        ci = wilson_interval(k, n)
        return None if ci is None else [round(ci[0], 4), round(ci[1], 4)]

    return {"accuracy": wilson(c.tp + c.tn, c.n), "fpr": wilson(c.fp, c.fp + c.tn),
            "fnr": wilson(c.fn, c.fn + c.tp),
            "kappa": bootstrap(truth, [said], lambda cs: cs[0].kappa())}


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """κ(A) − κ(B) on the same pairs, with its paired bootstrap interval."""
    if a.get("truth") is None or a.get("truth") != b.get("truth"):
        raise ValueError("the two calibration reports are not on the same pairs (their truth "
                         "strings differ); calibrate both judges on the same --data file")
    truth = a["truth"]

    def difference(cs) -> float | None:
        ka, kb = cs[0].kappa(), cs[1].kappa()
        return None if ka is None or kb is None else ka - kb

    ka = confusion_of(truth, a["said"], range(len(truth))).kappa()
    kb = confusion_of(truth, b["said"], range(len(truth))).kappa()
    why = {key: reason for key, said in (("kappa_a", a["said"]), ("kappa_b", b["said"]))
           if (reason := kappa_undefined(truth, said)) is not None}
    return {"a": a.get("judge"), "b": b.get("judge"), "pairs": len(truth),
            "kappa_a": None if ka is None else round(ka, 4),
            "kappa_b": None if kb is None else round(kb, 4), "undefined": why,
            "difference": None if ka is None or kb is None else round(ka - kb, 4),
            "ci95": bootstrap(truth, [a["said"], b["said"]], difference)}
