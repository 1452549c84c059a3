"""Verifiers: turn (item, completion) into a Verdict. The item's ``verifier`` field picks one by
name, or a weighted mix such as ``"0.9*math+0.1*format"``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial

from reasonlab.core.answer import Extraction, extract_answer
from reasonlab.core.item import Item
from reasonlab.core.item import load_items as _load_items
from reasonlab.core.verdict import STATUSES, Verdict
from reasonlab.core.verdict import error as error_verdict
from reasonlab.verifiers.base import (
    Verifier,
    make_verifier,
    register_verifier,
    safe_check,
    unknown_verifier,
    verifier_names,
)
from reasonlab.verifiers.code import CodeVerifier
from reasonlab.verifiers.compose import WeightedVerifier
from reasonlab.verifiers.countdown import CountdownVerifier
from reasonlab.verifiers.gym import GymVerifier
from reasonlab.verifiers.math import MathVerifier
from reasonlab.verifiers.options import check_options, verify_options
from reasonlab.verifiers.rules import ExactVerifier, FormatVerifier, NumericVerifier
from reasonlab.verifiers.spec import parse_spec

# Built-in verifiers, one line each (name as items write it in their ``verifier`` field).
register_verifier("exact", ExactVerifier)
register_verifier("numeric", NumericVerifier)
register_verifier("format", FormatVerifier)
register_verifier("math", MathVerifier)
register_verifier("countdown", CountdownVerifier)
register_verifier("gym", GymVerifier)
register_verifier("code", CodeVerifier)

_cache: dict[str, Verifier] = {}


def get_verifier(spec: str) -> Verifier:
    """The verifier for a ``verifier`` field value; instances are shared (pools start once)."""
    if spec not in _cache:
        terms = parse_spec(spec)
        if len(terms) == 1 and terms[0][0] == 1.0:
            _cache[spec] = make_verifier(terms[0][1])
        else:
            _cache[spec] = WeightedVerifier.from_spec(spec, get_verifier)
    return _cache[spec]


def check_spec(spec: str) -> None:
    """Refuse a ``verifier`` field that names no registered verifier (a typo such as ``exactt``)
    before anything runs: otherwise every such item would end as an ``error`` verdict."""
    for _, name in parse_spec(spec):
        if name not in verifier_names():
            raise unknown_verifier(name)


def load_items(path: str, *, also: Iterable[str] = ()) -> list[Item]:
    """Read an items JSONL file, refusing (file, line and field) an item whose ``verifier``
    names no registered verifier, or whose ``meta.verify`` holds a key none of its verifiers
    reads or a value of the wrong type: otherwise its every completion would end as ``error``,
    or a typo would silently change nothing. ``also`` names verifiers a command runs instead of
    the items' own (``reasonlab judge``: ``judge``), whose options the items may carry too."""
    extra = [name for spec in also for _, name in parse_spec(spec)]
    return _load_items(path, check_verifier=check_spec,
                       check_item=partial(check_options, also=extra))


def check_task(task) -> None:
    """Refuse a task configured with a verifier nobody registered (``file:`` tasks take a
    ``verifier`` setting)."""
    spec = getattr(task, "verifier", None)
    if spec:
        check_spec(spec)


def close_all() -> None:
    for verifier in _cache.values():
        verifier.close()
    _cache.clear()


def verify(item: Item, completion: str, verifier: str | None = None) -> Verdict:
    """Check one completion; never raises for a verifier crash (that is an ``error`` verdict)."""
    return verify_many([(item, completion)], verifier=verifier)[0]


def verify_many(pairs: Sequence[tuple[Item, str]], *, verifier: str | None = None,
                progress: bool = False) -> list[Verdict]:
    """Check many (item, completion) pairs, batching per verifier so pools are used; the result
    is in the order of ``pairs``. ``verifier`` overrides each item's own field."""
    groups: dict[str, list[int]] = {}
    for index, (item, _) in enumerate(pairs):
        groups.setdefault(verifier or item.verifier, []).append(index)
    results: list[Verdict | None] = [None] * len(pairs)
    bar = _progress(len(pairs)) if progress else None
    for spec, indices in groups.items():
        try:
            impl = get_verifier(spec)
        except Exception as exc:  # noqa: BLE001  (an unknown verifier is an error verdict)
            for i in indices:
                results[i] = error_verdict(pairs[i][0].id, str(exc))
            continue
        for start in range(0, len(indices), 256):
            chunk = indices[start:start + 256]
            try:
                verdicts = impl.check_many([pairs[i] for i in chunk])
            except Exception as exc:  # noqa: BLE001
                verdicts = [error_verdict(pairs[i][0].id, f"{spec} verifier crashed: {exc!r}")
                            for i in chunk]
            for i, verdict in zip(chunk, verdicts, strict=True):
                results[i] = verdict
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()
    return results  # type: ignore[return-value]


def _progress(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="verify", unit="completion", disable=total < 200,
                dynamic_ncols=True)


def verifier_versions(specs: Iterable[str]) -> dict[str, str]:
    """Versions of the verifiers behind these specs, for run summaries."""
    out: dict[str, str] = {}
    for spec in set(specs):
        out.update(get_verifier(spec).versions())
    return out


__all__ = ["STATUSES", "Extraction", "Verdict", "Verifier", "WeightedVerifier", "check_spec",
           "check_task", "close_all", "load_items", "check_options", "verify_options",
           "extract_answer", "get_verifier", "make_verifier", "register_verifier", "safe_check",
           "verifier_names", "verifier_versions", "verify", "verify_many"]
