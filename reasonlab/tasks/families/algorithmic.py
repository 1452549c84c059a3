"""Algorithms run by hand: sorting by repeated selection of the smallest remaining number.
Harder = a longer list, so one more selection step per level."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig
from reasonlab.tasks.families.common import level
from reasonlab.tasks.registry import register


@dataclass
class SortingConfig(TaskConfig):
    base_count: int = 3        # numbers to sort at difficulty 1
    count_per_level: int = 1   # each level adds this many numbers
    max_value: int = 99        # numbers are drawn from 0..max_value (repeats allowed)

    def validate(self) -> None:
        self.check(2 <= self.base_count <= 30, "base_count", "must be in 2..30")
        self.check(0 <= self.count_per_level <= 5, "count_per_level", "must be in 0..5")
        self.check(1 <= self.max_value <= 10 ** 6, "max_value", "must be in 1..1000000")


@register
class Sorting(ProceduralTask):
    """Sort numbers ascending, taking the smallest remaining number one step at a time."""

    name = "sorting"
    domain = "algorithmic"
    version = 1
    verifier = "exact"
    config_class = SortingConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"count": level(c.base_count, c.count_per_level, difficulty),
                "max_value": c.max_value}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        numbers = [rng.randint(0, params["max_value"]) for _ in range(params["count"])]
        remaining, taken = list(numbers), []
        steps = []
        while len(remaining) > 1:
            smallest = min(remaining)
            steps.append(f"{' '.join(map(str, remaining))}: take {smallest}")
            remaining.remove(smallest)
            taken.append(smallest)
        taken += remaining
        answer = " ".join(map(str, taken))
        steps.append(f"last {remaining[0]}, sorted: {answer}")
        prompt = (f"Sort these numbers in ascending order: {' '.join(map(str, numbers))}. "
                  "Answer with the sorted numbers separated by spaces.")
        return Problem(prompt=prompt, answer=answer, steps=steps, meta={"numbers": numbers})
