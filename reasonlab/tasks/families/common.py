"""Pieces shared by the built-in families: a config base that checks the type of every setting
(so ``--set digits=abc`` is a clear ``ConfigError``, not a ``TypeError`` deep in ``validate``) and
the per-level arithmetic that turns a difficulty into a count."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from reasonlab.errors import ConfigError
from reasonlab.tasks.base import TaskConfig

# Annotations are strings under ``from __future__ import annotations``; these are the ones our
# configs use, with what a value must be and how to say so.
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "int": ((int,), "an integer"),
    "float": ((int, float), "a number"),
    "bool": ((bool,), "true or false"),
    "str": ((str,), "a string"),
}


@dataclass
class FamilyConfig(TaskConfig):
    """Subclasses call ``super().validate()`` first, then check ranges with ``self.check``."""

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            declared = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
            if declared not in _TYPES:
                continue
            allowed, words = _TYPES[declared]
            value = getattr(self, f.name)
            # bool is a subclass of int, but `digits=true` is a mistake, not 1.
            if isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed):
                raise ConfigError(f"{type(self).__name__}.{f.name} must be {words} "
                                  f"(got {value!r})", field=f.name)


def level(base: int, per_level: int, difficulty: int) -> int:
    """``base`` at difficulty 1, plus ``per_level`` for each level above it."""
    return base + per_level * (difficulty - 1)
