"""Pieces shared by the built-in families: the per-level arithmetic that turns a difficulty into
a count."""

from __future__ import annotations


def level(base: int, per_level: int, difficulty: int) -> int:
    """``base`` at difficulty 1, plus ``per_level`` for each level above it."""
    return base + per_level * (difficulty - 1)
