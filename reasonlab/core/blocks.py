"""Typed JSON blocks: a dataclass read from a JSON object field by field from its type hints,
and written back as the same object.

Unlike ``spec.build`` (settings a person writes, where an unknown key is a typo), a block is
a file a program wrote: keys this code does not model are kept in ``extra`` and written back,
and numbers are checked but never converted, so a block read and written again is the same
JSON: a field the file did not have (it predates the field) is not added while it keeps its
default. A value of the wrong type raises ``InputError`` naming the file and the field path.

Field types understood: ``int``, ``float`` (an int is accepted and kept), ``str``, ``bool``,
``Any``, ``dict`` and ``list`` (any contents), ``list[T]``, ``dict[str, T]``, ``X | None``
and nested ``Block`` subclasses.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from reasonlab.core.errors import InputError
from reasonlab.core.spec import join

B = TypeVar("B", bound="Block")
# A parser: (value, field path, source file) -> the value as the field holds it.
Parse = Callable[[Any, str, "str | None"], Any]


@dataclasses.dataclass(kw_only=True)
class Block:
    """Base of every typed block. ``extra`` holds the keys of the JSON object that no field
    models, so they survive a round trip."""

    extra: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    # Fields left out of the JSON when None (keys that only some files have).
    omit_when_none: ClassVar[frozenset[str]] = frozenset()
    # Fields written before the others (inheritance puts a subclass's fields last).
    lead: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_dict(cls: type[B], raw: Any, *, source: str | None = None, where: str = "") -> B:
        """The block of the JSON object ``raw``; ``source`` (the file) and ``where`` (the field
        path of ``raw`` in it) locate errors."""
        if not isinstance(raw, dict):
            raise InputError(f"must be a JSON object, got {_kind(raw)}", file=source,
                             field=where or None)
        parsers, required = _parsers(cls)
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in raw.items():
            parse = parsers.get(key)
            if parse is None:
                extra[key] = value
            else:
                values[key] = parse(value, join(where, key), source)
        for name in required:
            if name not in values:
                raise InputError("is required", file=source, field=join(where, name))
        block = cls(**values, extra=extra)
        # Keys the file lacked (it predates them) stay out of it when written back unchanged.
        block._absent = frozenset(name for name in parsers if name not in raw)
        return block

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: the fields in order (``lead`` first), then ``extra``."""
        fields = {f.name: f for f in dataclasses.fields(self) if f.name != "extra"}
        absent = getattr(self, "_absent", frozenset())
        out: dict[str, Any] = {}
        for name in (*self.lead, *(n for n in fields if n not in self.lead)):
            value = getattr(self, name)
            if value is None and name in self.omit_when_none:
                continue
            if name in absent and value == _default(fields[name]):
                continue
            out[name] = _dump(value)
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _dump(value: Any) -> Any:
    if isinstance(value, Block):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    text = repr(value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"{type(value).__name__} {shown}" if not isinstance(value, (dict, list)) \
        else type(value).__name__


@functools.cache
def _parsers(cls: type[Block]) -> tuple[dict[str, Parse], tuple[str, ...]]:
    """Each field's parser, and the fields without a default; built once per class."""
    hints = typing.get_type_hints(cls)
    parsers, required = {}, []
    for f in dataclasses.fields(cls):
        if f.name == "extra":
            continue
        parsers[f.name] = _parser(hints[f.name])
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    return parsers, tuple(required)


def _fail(expected: str, value: Any, path: str, source: str | None) -> InputError:
    return InputError(f"must be {expected}, got {_kind(value)}", file=source, field=path)


def _parser(hint: Any) -> Parse:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [o for o in typing.get_args(hint) if o is not type(None)]
        if len(options) != 1:
            raise TypeError(f"unsupported block field type {hint}")
        inner = _parser(options[0])
        return lambda v, p, s: None if v is None else inner(v, p, s)
    if origin is list:
        (item,) = typing.get_args(hint)
        each = _parser(item)

        def parse_list(v: Any, p: str, s: str | None) -> list[Any]:
            if not isinstance(v, list):
                raise _fail("a list", v, p, s)
            return [each(x, f"{p}[{i}]", s) for i, x in enumerate(v)]
        return parse_list
    if origin is dict:
        _, value_hint = typing.get_args(hint)
        each = _parser(value_hint)

        def parse_dict(v: Any, p: str, s: str | None) -> dict[str, Any]:
            if not isinstance(v, dict):
                raise _fail("a JSON object", v, p, s)
            return {k: each(x, join(p, k), s) for k, x in v.items()}
        return parse_dict
    if isinstance(hint, type) and issubclass(hint, Block):
        return lambda v, p, s: hint.from_dict(v, source=s, where=p)
    if hint is Any:
        return lambda v, p, s: v
    return _leaf(hint)


def _leaf(hint: Any) -> Parse:
    if hint is float:
        def check(v: Any) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        expected = "a number"
    elif hint is int:
        def check(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)
        expected = "an integer"
    elif hint in (str, bool, dict, list):
        def check(v: Any) -> bool:
            return isinstance(v, hint)
        expected = {str: "a string", bool: "true or false", dict: "a JSON object",
                    list: "a list"}[hint]
    else:
        raise TypeError(f"unsupported block field type {hint}")

    def parse(v: Any, p: str, s: str | None) -> Any:
        if not check(v):
            raise _fail(expected, v, p, s)
        return v
    return parse
