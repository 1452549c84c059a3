"""Column arithmetic: multi-digit addition with carries. Harder = more columns and more addends,
so the teacher trace has one line per column per addend."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig
from reasonlab.tasks.registry import register


@dataclass
class AdditionConfig(TaskConfig):
    base_digits: int = 1        # digits per number at difficulty 1
    digits_per_level: int = 1   # each level adds this many columns
    addends_every: int = 3      # one more addend every this many levels (2 addends at level 1)

    def validate(self) -> None:
        self.check(1 <= self.base_digits <= 20, "base_digits", "must be in 1..20")
        self.check(0 <= self.digits_per_level <= 5, "digits_per_level", "must be in 0..5")
        self.check(self.addends_every >= 1, "addends_every", "must be at least 1")


@register
class Addition(ProceduralTask):
    """Add multi-digit numbers column by column, carrying."""

    name = "addition"
    domain = "arithmetic"
    version = 1
    verifier = "exact"
    config_class = AdditionConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"digits": c.base_digits + c.digits_per_level * (difficulty - 1),
                "addends": 2 + (difficulty - 1) // c.addends_every}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        digits, count = params["digits"], params["addends"]
        low = 10 ** (digits - 1) if digits > 1 else 0
        numbers = [rng.randint(low, 10 ** digits - 1) for _ in range(count)]
        total = sum(numbers)
        steps, carry = [], 0
        columns = [str(n)[::-1] for n in numbers]
        for col in range(digits):
            column_digits = [int(s[col]) if col < len(s) else 0 for s in columns]
            value = sum(column_digits) + carry
            terms = "+".join(str(d) for d in column_digits) + (f"+{carry}" if carry else "")
            steps.append(f"col {col + 1}: {terms}={value}, write {value % 10}, carry {value // 10}")
            carry = value // 10
        if carry:
            steps.append(f"final carry {carry}")
        steps.append(f"so {' + '.join(map(str, numbers))} = {total}")
        prompt = f"What is {' + '.join(map(str, numbers))}?"
        return Problem(prompt=prompt, answer=str(total), steps=steps,
                       meta={"numbers": numbers})
