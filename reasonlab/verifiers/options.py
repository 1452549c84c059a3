"""Per-item verifier options, typed: ``item.meta["verify"]`` read as a dataclass.

Each verifier declares the keys it reads as a dataclass (its ``options_type``) and reads them
with ``verify_options(item, cls)``, built by the one settings loader (``core.spec.build``). An
unknown key (``ignorecase`` for ``ignore_case``) or a value of the wrong type is an
``OptionsError`` naming ``meta.verify.<key>``, never a silent default: ``reasonlab.verifiers.
load_items`` refuses such an item with its file and line; any other path (procedural tasks, the
Python API) gets that item's ``error`` verdict.

The keys an item may carry are the union over the verifiers its ``verifier`` spec names
(``"0.9*math+0.1*format"``: math's and format's), since every part reads the same mapping, and
over the verifiers registered to run on any item (the judge's ``judge_mode``…).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from reasonlab.core.answer import MAX_ANSWER_CHARS
from reasonlab.core.errors import ConfigError
from reasonlab.core.item import Item
from reasonlab.core.spec import build, join
from reasonlab.verifiers.registry import NoOptions, OptionsError, any_item_verifiers, options_type
from reasonlab.verifiers.spec import parse_spec

T = TypeVar("T")
PREFIX = "meta.verify"


@dataclass(frozen=True)
class ExtractOptions:
    """How the answer is taken from a completion (``reasonlab.core.answer.extract_answer``)."""

    lenient: bool = False            # fall back to a box, "the answer is …", the last line
    boxed: bool | None = None        # the last \\boxed{} counts without tags; None: math sources
    max_answer_chars: int = MAX_ANSWER_CHARS

    def boxed_for(self, item: Item) -> bool:
        return self.boxed if self.boxed is not None else item.meta.get("source") == "math"


@dataclass(frozen=True)
class ExactOptions(ExtractOptions):
    ignore_case: bool = False


@dataclass(frozen=True)
class NumericOptions(ExtractOptions):
    rel_tol: float = 1e-6
    abs_tol: float = 1e-9

    def validate(self, fail) -> None:
        for name in ("rel_tol", "abs_tol"):
            if getattr(self, name) < 0:
                raise fail(name, f"must be >= 0, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class MathOptions(ExtractOptions):
    timeout_s: float | None = None   # seconds per check; None: the verifier's own

    def validate(self, fail) -> None:
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise fail("timeout_s", f"must be a positive number, got {self.timeout_s!r}")


@dataclass(frozen=True)
class GymOptions(ExtractOptions):
    partial_credit: bool = False     # score = the gym scorer's partial score


def _fail(where: str, message: str) -> OptionsError:
    return OptionsError(message, field=join(PREFIX, where) if where != "(top level)" else PREFIX)


def _fields(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if f.init)


def _anywhere() -> tuple[list[type], frozenset[str]]:
    """The options dataclasses of the verifiers that run on any item (the judge), and the keys
    they declare themselves: those keys are allowed in every item's ``meta.verify``. Keys they
    inherit (the judge's extraction options) stay the item's own verifier's to allow."""
    types = [t for t in map(options_type, any_item_verifiers()) if t is not None]
    own = frozenset(name for t in types for name in _fields(t)
                    if name in vars(t).get("__annotations__", {}))
    return types, own


def _spec_types(spec: str | None, also: Iterable[str] = ()) -> list[type]:
    """The options dataclasses of the verifiers ``spec`` (and ``also``) name; an unknown or
    malformed spec contributes none (it is refused on its own, as ``verifier``)."""
    names = list(also)
    if spec:
        try:
            names += [name for _, name in parse_spec(spec)]
        except ConfigError:
            pass
    found = (options_type(name) for name in dict.fromkeys(names))
    return [t for t in found if t is not None]


def raw_options(item: Item) -> dict[str, Any]:
    raw = item.meta.get("verify") if isinstance(item.meta, dict) else None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _fail("(top level)", f"must be a mapping, got {type(raw).__name__}")
    return raw


def _read(raw: dict[str, Any], cls: type[T], known: frozenset[str] | None) -> T:
    for key in raw:
        if known is not None and key not in known:
            raise _fail(str(key), f"unknown field; known: {', '.join(sorted(known)) or 'none'}")
    own = _fields(cls)
    opts = build(cls, {k: v for k, v in raw.items() if k in own}, _fail)
    validate = getattr(opts, "validate", None)
    if validate is not None:
        validate(_fail)
    return opts


_cache: dict[tuple, Any] = {}


def verify_options(item: Item, cls: type[T], *, strict: bool = True) -> T:
    """The item's ``meta.verify`` as ``cls``; keys that other verifiers of the item's spec read
    are allowed and left to them. Raises ``OptionsError`` naming the field. ``strict=False``
    leaves unknown keys to the caller's own strict read: a part that every verifier shares
    (extraction) cannot tell which verifier runs it (``verify_many(verifier=...)``)."""
    raw = raw_options(item)
    if not raw:
        key: tuple | None = (cls,)
    else:
        try:
            # With each value's type: True == 1 and 1 == 1.0, but only one of each is valid.
            key = (cls, strict, item.verifier,
                   *((k, type(v), v) for k, v in sorted(raw.items())))
            hash(key)
        except TypeError:  # a list or mapping value: read it uncached
            key = None
    if key is not None and key in _cache:
        return _cache[key]
    known = (_fields(cls).union(_anywhere()[1], *(_fields(t) for t in _spec_types(item.verifier)))
             if strict else None)
    opts = _read(raw, cls, known)
    if key is not None:
        if len(_cache) > 4096:
            _cache.clear()
        _cache[key] = opts
    return opts


def check_options(item: Item, also: Iterable[str] = ()) -> None:
    """Refuse an item whose ``meta.verify`` no verifier of its spec (or of ``also``: a verifier
    a command runs instead of the item's own) can read; ``OptionsError`` names the field."""
    raw = raw_options(item)
    if not raw:
        return
    types = _spec_types(item.verifier, also) or [NoOptions]
    anywhere, anywhere_keys = _anywhere()
    known = anywhere_keys.union(*(_fields(t) for t in types))
    for cls in types:
        _read(raw, cls, known)
    for cls in anywhere:   # their own keys are typed too
        _read({k: v for k, v in raw.items() if k in anywhere_keys}, cls, None)
