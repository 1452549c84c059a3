"""The one loader of settings: a YAML document (or a mapping from a JSONL line) becomes a typed
dataclass, field by field from its type hints. Recipes, eval suites, task configs and per-item
``meta.verify`` options all go through ``build``, so they refuse the same mistakes the same way:
an unknown key, a missing required field or a value of the wrong type fails with
``file:line: field 'a.b[2].c': message``.

Field types understood: ``int``, ``float`` (an int is accepted), ``str``, ``bool``, ``dict``,
``list[T]``, ``X | None`` and unions, ``Literal[...]``, and nested dataclasses. A field's
``metadata={"min": m}`` refuses a number below ``m`` (``must be at least m``), so a bound is
declared once with the field instead of in a separate check.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from reasonlab.core.errors import ConfigError
from reasonlab.core.yamlfile import line_of, load_yaml

T = TypeVar("T")
Fail = Callable[[str, str], ConfigError]


def locator(source: str | None, lines: dict[str, int] | None = None, *,
            line: int | None = None, prefix: str = "") -> Fail:
    """A ``fail(field, message)`` that locates ``field`` in ``source``: by the YAML line of the
    field (``lines``) or, for a mapping read from one JSONL line, that ``line``. ``prefix`` is
    prepended to field paths (``meta.verify``)."""
    lines = lines or {}

    def fail(where: str, message: str) -> ConfigError:
        path = join(prefix, where) if where != "(top level)" else (prefix or where)
        # Lines of a whole file are keyed by full paths (``eval.suite.tasks[0]``), those of a
        # document of its own by paths within it.
        found = line if line is not None else (line_of(lines, path) or line_of(lines, where))
        return ConfigError(message, file=source or None, line=found, field=path)

    return fail


UNKNOWN = "unknown field; known: {known}"


def build(cls: type[T], raw: Any, fail: Fail, *, where: str = "",
          skip: frozenset[str] | set[str] = frozenset(), unknown: str = UNKNOWN) -> T:
    """``cls(**raw)`` with every key known and every value of its field's type. ``unknown`` is
    the message for a key ``cls`` lacks, formatted with ``key`` and ``known`` (a suite says
    "unknown suite field", a task "AdditionConfig has no setting 'x'")."""
    if not isinstance(raw, dict):
        raise fail(where or "(top level)", f"must be a mapping, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    known = [f for f in dataclasses.fields(cls) if f.name not in skip and f.init]
    names = {f.name for f in known}
    for key in raw:
        if key not in names:
            listing = ", ".join(sorted(names)) or "none"
            raise fail(join(where, str(key)), unknown.format(key=key, known=listing))
    values = {}
    for f in known:
        path = join(where, f.name)
        if f.name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise fail(path, "is required")
            continue
        value = values[f.name] = coerce(hints[f.name], raw[f.name], path, fail)
        minimum = f.metadata.get("min")
        if minimum is not None and value is not None and value < minimum:
            raise fail(path, f"must be at least {minimum}, got {value!r}")
    return cls(**values)


def join(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def coerce(hint: Any, value: Any, path: str, fail: Fail) -> Any:
    """``value`` as type ``hint``, or a located error saying what was expected."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return coerce(option, value, path, fail)
            except ConfigError:
                continue
        want = " or ".join("null" if o is type(None) else _name(o) for o in options)
        raise fail(path, f"must be {want}, got {type(value).__name__} {value!r}")
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if not any(value == a and type(value) is type(a) for a in allowed):
            raise fail(path, f"must be one of {', '.join(map(repr, allowed))}, got {value!r}")
        return value
    if origin is list:
        (inner,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise fail(path, f"must be a list, got {type(value).__name__}")
        return [coerce(inner, v, f"{path}[{i}]", fail) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise fail(path, f"must be a mapping, got {type(value).__name__}")
        return value
    if dataclasses.is_dataclass(hint):
        return build(hint, value, fail, where=path)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is typing.Any:
        return value
    if hint in (int, float, str, bool, dict):
        if isinstance(value, bool) and hint is not bool or not isinstance(value, hint):
            raise fail(path, f"must be {hint.__name__}, got {type(value).__name__} {value!r}")
        return value
    raise fail(path, f"unsupported field type {hint}")


def _name(hint: Any) -> str:
    if typing.get_origin(hint) is typing.Literal:
        return " or ".join(map(repr, typing.get_args(hint)))
    return getattr(hint, "__name__", str(hint))


def load(cls: type[T], path: str | Path, **build_args: Any) -> tuple[T, dict[str, int]]:
    """Read a YAML file into ``cls``; returns the object and the line of every field."""
    raw, lines = load_yaml(path)
    return build(cls, raw, locator(str(path), lines), **build_args), lines


def builtin_names(folder: str) -> list[str]:
    """The built-in YAML files shipped in ``reasonlab/<folder>/`` (recipes, suites), by name."""
    root = resources.files("reasonlab") / folder
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir()
                  if p.name.endswith(".yaml"))


def builtin_or_file(name_or_path: str, folder: str, *, what: str,
                    field: str | None = None) -> Path:
    """A built-in file named ``name`` (``smoke``, or ``suites/smoke.yaml`` when no such file
    exists here), else an existing YAML file; anything else is an error listing the built-ins."""
    names = builtin_names(folder)
    path = Path(name_or_path)
    is_yaml = path.suffix in (".yaml", ".yml")
    name = name_or_path if name_or_path in names else path.stem
    if name_or_path in names or (not path.exists() and is_yaml and path.stem in names
                                 and path.parent.name in (folder, "")):
        return Path(str(resources.files("reasonlab") / folder / f"{name}.yaml"))
    if path.is_file():
        return path
    listing = ", ".join(names)
    if is_yaml or path.exists():
        raise ConfigError(f"no such {what} file (built-in {what}s: {listing})", file=str(path),
                          field=field)
    raise ConfigError(f"unknown {what} {name_or_path!r}; built-in: {listing} (or a path to a "
                      f".yaml file)", field=field)
