"""Strings: applying a sequence of edits to a word, and counting a letter chunk by chunk.
Harder = more edits in sequence / a longer string, so one more line of work per level."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig
from reasonlab.tasks.families.common import level
from reasonlab.tasks.registry import register


@dataclass
class StringOpsConfig(TaskConfig):
    base_ops: int = 1            # edits to apply at difficulty 1
    ops_per_level: int = 1       # each level adds this many
    base_length: int = 4         # letters in the starting word at difficulty 1
    length_every: int = 2        # one more letter every this many levels

    def validate(self) -> None:
        self.check(1 <= self.base_ops <= 30, "base_ops", "must be in 1..30")
        self.check(0 <= self.ops_per_level <= 4, "ops_per_level", "must be in 0..4")
        self.check(3 <= self.base_length <= 20, "base_length", "must be in 3..20")
        self.check(1 <= self.length_every <= 10, "length_every", "must be in 1..10")


@register
class StringOps(ProceduralTask):
    """Apply edits (reverse, rotate, swap, replace, delete) to a word in order, one per line."""

    name = "string_ops"
    domain = "strings"
    version = 1
    verifier = "exact"
    config_class = StringOpsConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"ops": level(c.base_ops, c.ops_per_level, difficulty),
                "length": c.base_length + (difficulty - 1) // c.length_every}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(params["length"]))
        current, ops, steps = word, [], []
        previous = ""
        for _ in range(params["ops"]):
            kinds = ["reverse", "left", "right", "swap", "replace"] + (
                ["delete"] if len(current) > 3 else [])
            if previous in ("reverse", "left", "right"):
                # reverse twice or rotate back and forth would undo work, not add it
                kinds.remove(previous)
            kind = rng.choice(kinds)
            op, current = _apply(rng, kind, current)
            ops.append(op)
            steps.append(f"{op}: {current}")
            previous = kind
        prompt = (f"Start with {word}. Apply in order: {'; '.join(ops)}. Positions count from "
                  "1. Answer with the final string.")
        return Problem(prompt=prompt, answer=current, steps=steps, meta={"word": word})


def _apply(rng: random.Random, kind: str, s: str) -> tuple[str, str]:
    """A random edit of ``kind``: its instruction text and the edited string."""
    n = len(s)
    if kind == "reverse":
        return "reverse", s[::-1]
    if kind == "left":
        k = rng.randint(1, n - 1)
        return f"rotate left {k}", s[k:] + s[:k]
    if kind == "right":
        k = rng.randint(1, n - 1)
        return f"rotate right {k}", s[n - k:] + s[:n - k]
    if kind == "swap":
        i, j = sorted(rng.sample(range(n), 2))
        chars = list(s)
        chars[i], chars[j] = chars[j], chars[i]
        return f"swap {i + 1} {j + 1}", "".join(chars)
    if kind == "replace":
        old = rng.choice(s)
        new = rng.choice([c for c in string.ascii_lowercase if c != old])
        return f"replace {old} with {new}", s.replace(old, new)
    i = rng.randrange(n)
    return f"delete {i + 1}", s[:i] + s[i + 1:]


@dataclass
class CountingConfig(TaskConfig):
    base_length: int = 6         # letters in the string at difficulty 1
    length_per_level: int = 4    # each level adds this many (one more chunk of work)
    alphabet: int = 3            # letters drawn from the first `alphabet` of a..z
    chunk: int = 4               # the teacher counts this many letters per line

    def validate(self) -> None:
        self.check(1 <= self.base_length <= 200, "base_length", "must be in 1..200")
        self.check(0 <= self.length_per_level <= 20, "length_per_level", "must be in 0..20")
        self.check(2 <= self.alphabet <= 26, "alphabet", "must be in 2..26")
        self.check(1 <= self.chunk <= 10, "chunk", "must be in 1..10")


@register
class Counting(ProceduralTask):
    """How many times does a letter occur in a string? Counted a few letters per line."""

    name = "counting"
    domain = "strings"
    version = 1
    verifier = "exact"
    config_class = CountingConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"length": level(c.base_length, c.length_per_level, difficulty),
                "alphabet": c.alphabet, "chunk": c.chunk}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        letters = string.ascii_lowercase[:params["alphabet"]]
        text = "".join(rng.choice(letters) for _ in range(params["length"]))
        letter = rng.choice(letters)
        size, total, steps = params["chunk"], 0, []
        for start in range(0, len(text), size):
            piece = text[start:start + size]
            total += piece.count(letter)
            steps.append(f"{piece}: {piece.count(letter)}, total {total}")
        steps.append(f"so {letter} appears {total} times")
        prompt = (f"How many times does the letter {letter} appear in {text}? "
                  "Answer with a number.")
        return Problem(prompt=prompt, answer=str(total), steps=steps, meta={"letter": letter})
