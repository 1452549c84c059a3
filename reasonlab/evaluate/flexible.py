"""Strict and flexible scores per group of samples (``verifiers/flexible.py`` defines them).

Each sample line carries ``format_ok`` (the completion has the strict block its verifier reads)
and ``flexible`` (the flexible verdict: status, score, parsed), written when the sample is
verified. Lines of runs made before these existed get them here, when the run is summarized.
"""

from __future__ import annotations

from typing import Any

from reasonlab.evaluate import metrics as M

UNDECIDED = ("error", "timeout")


def verdict_fields(pairs: list[tuple[Any, str]], strict: list[Any]) -> list[dict[str, Any]]:
    """``format_ok`` and ``flexible`` for each (item, completion) given its strict verdict."""
    from reasonlab.verifiers.flexible import flexible_verdicts, has_format

    flexible = flexible_verdicts(pairs, strict)
    return [{"format_ok": has_format(item, completion),
             "flexible": {"status": v.status, "score": v.score, "parsed": v.parsed}}
            for (item, completion), v in zip(pairs, flexible, strict=True)]


def annotate(rows: list[dict[str, Any]]) -> None:
    """Add the two fields to lines that lack them (verified lines of older runs), in place."""
    from reasonlab.core.errors import InputError
    from reasonlab.core.item import Item
    from reasonlab.core.verdict import Verdict

    todo, pairs, strict = [], [], []
    for row in rows:
        if "flexible" in row or row.get("finish_reason") == "error" or not row.get("verdict"):
            continue
        try:
            item = Item.from_dict(row)
            verdict = Verdict.from_dict(row["verdict"])
        except (InputError, KeyError, TypeError, ValueError):
            continue      # not an item line: nothing to read it against
        todo.append(row)
        pairs.append((item, row.get("completion") or ""))
        strict.append(verdict)
    if todo:
        for row, fields in zip(todo, verdict_fields(pairs, strict), strict=True):
            row.update(fields)


def _status(row: dict[str, Any]) -> str:
    return (row.get("verdict") or {}).get("status", "error")


def flexible_block(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``format_rate`` over the decided samples; ``flexible_accuracy`` (with its clustered
    Wilson interval, samples of one item together) over the samples whose flexible verdict is
    decided. Each is None when it has no sample to be computed on."""
    decided = [r for r in rows if _status(r) not in UNDECIDED and "format_ok" in r]
    flex = [r for r in rows if (r.get("flexible") or {}).get("status", "error") not in UNDECIDED]
    clusters: dict[Any, list[int]] = {}
    for k, r in enumerate(flex):
        cell = clusters.setdefault(M.cluster_key(r, k), [0, 0])
        cell[0] += r["flexible"]["status"] == "correct"
        cell[1] += 1
    correct = sum(c for c, _ in clusters.values())
    ci = M.clustered_wilson_interval([(c, m) for c, m in clusters.values()])
    return {
        "format_rate": sum(bool(r["format_ok"]) for r in decided) / len(decided)
        if decided else None,
        "flexible_accuracy": correct / len(flex) if flex else None,
        "flexible_ci95": list(ci) if ci else None,
        "flexible_correct": correct if flex else None,
    }
