"""Name → task. Built-in families register one line each; prefixes (``gym:``, ``file:``) resolve
families that come from elsewhere on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reasonlab.core.errors import ConfigError
from reasonlab.tasks.base import Task

_FAMILIES: dict[str, type[Task]] = {}


@dataclass(frozen=True)
class Prefix:
    """A namespace of tasks resolved lazily, e.g. ``gym:<dataset>``."""

    make: Callable[..., Task]            # (name after the prefix, **config) -> Task
    names: Callable[[], Iterable[str]]   # names after the prefix, for listing
    info: Callable[[str], TaskInfo] | None = None


_PREFIXES: dict[str, Prefix] = {}


@dataclass(frozen=True)
class TaskInfo:
    name: str
    domain: str
    min_difficulty: int
    max_difficulty: int
    description: str = ""


def register(cls: type[Task]) -> type[Task]:
    """Class decorator adding a family under ``cls.name``; a second family of that name is an
    error rather than a silent replacement."""
    name = getattr(cls, "name", None)
    if not name or not isinstance(name, str):
        raise ValueError(f"{cls.__qualname__} needs a string class attribute 'name'")
    if ":" in name:
        raise ValueError(f"task name {name!r} may not contain ':' (reserved for prefixes)")
    if name in _FAMILIES:
        raise ValueError(f"task {name!r} is already registered by {_FAMILIES[name].__qualname__}")
    _FAMILIES[name] = cls
    return cls


def unregister(name: str) -> None:
    """For tests that register throwaway families."""
    _FAMILIES.pop(name, None)


def register_prefix(prefix: str, resolver: Prefix) -> None:
    if prefix in _PREFIXES:
        raise ValueError(f"task prefix {prefix!r} is already registered")
    _PREFIXES[prefix] = resolver


def get_task(name: str, **config: Any) -> Task:
    """Instantiate the task called ``name`` with config overrides (validated by the family)."""
    if name in _FAMILIES:
        return _FAMILIES[name](**config)
    prefix, sep, rest = name.partition(":")
    if sep and prefix in _PREFIXES:
        return _PREFIXES[prefix].make(rest, **config)
    raise ConfigError(f"unknown task {name!r}; `reasonlab tasks list` shows the known ones",
                      field="task")


def entry_field(exc: ConfigError, where: str, config: dict[str, Any], *,
                name_key: str = "task") -> str:
    """The field of a suite's or recipe's task entry ``where`` that a ``get_task`` error is
    about: the setting (``tasks[1].config.max_digits``) when settings were given and the error
    names one, else the task's name (``tasks[1].task``), so the caller can give its line."""
    if exc.field == "task" or not config:
        return f"{where}.{name_key}"
    return f"{where}.config" + (f".{exc.field}" if exc.field else "")


def family_names() -> list[str]:
    """Built-in procedural families, sorted."""
    return sorted(_FAMILIES)


def prefixed_names(prefix: str) -> list[str]:
    if prefix not in _PREFIXES:
        return []
    return sorted(f"{prefix}:{n}" for n in _PREFIXES[prefix].names())


def task_info(name: str) -> TaskInfo:
    prefix, sep, rest = name.partition(":")
    if sep and prefix in _PREFIXES and _PREFIXES[prefix].info is not None:
        return _PREFIXES[prefix].info(rest)
    task = _FAMILIES.get(name) or get_task(name)
    return TaskInfo(task.name, task.domain, task.min_difficulty, task.max_difficulty,
                    (task.description or (task.__doc__ or "")).strip().split("\n")[0])


def list_tasks(include_prefixes: bool = True) -> list[TaskInfo]:
    """Every known task: the built-in families first, then prefixed ones (gym, ...)."""
    names = family_names()
    if include_prefixes:
        for prefix in sorted(_PREFIXES):
            names += prefixed_names(prefix)
    return [task_info(n) for n in names]
