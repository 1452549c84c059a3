"""Countdown: reach a target from given numbers, each used exactly once, with + - * /.

The generator builds a random expression tree first and asks for its value, so every item has a
solution; many expressions reach the same target, so items use the ``countdown`` verifier (which
checks the numbers used and the value) rather than comparing with the reference expression.
Harder = more numbers, so one more combining step per level.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig
from reasonlab.tasks.families.common import level
from reasonlab.tasks.registry import register

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_LEAF = 3


@dataclass
class CountdownConfig(TaskConfig):
    base_numbers: int = 2       # numbers to combine at difficulty 1
    numbers_per_level: int = 1  # each level adds this many numbers (one more step each)
    max_number: int = 10        # given numbers are drawn from 1..max_number
    max_value: int = 1000       # no product in the solution exceeds this

    def validate(self) -> None:
        self.check(2 <= self.base_numbers <= 8, "base_numbers", "must be in 2..8")
        self.check(0 <= self.numbers_per_level <= 2, "numbers_per_level", "must be in 0..2")
        self.check(2 <= self.max_number <= 1000, "max_number", "must be in 2..1000")
        self.check(2 * self.max_number <= self.max_value <= 10 ** 6, "max_value",
                   "must be in 2*max_number..1000000")


@dataclass(frozen=True)
class _Node:
    value: int
    text: str        # rendered with as few parentheses as the precedence rules allow
    precedence: int


def combine(left: _Node, op: str, right: _Node) -> _Node:
    """``left op right`` as a node; parenthesizes a child only where the rules of precedence
    (and the non-associativity of - and /) need it."""
    prec = _PRECEDENCE[op]
    left_text = f"({left.text})" if left.precedence < prec else left.text
    needs = right.precedence < prec or (right.precedence == prec and op in "-/")
    right_text = f"({right.text})" if needs else right.text
    value = {"+": left.value + right.value, "-": left.value - right.value,
             "*": left.value * right.value,
             "/": left.value // right.value if right.value else 0}[op]
    return _Node(value, f"{left_text}{op}{right_text}", prec)


def _choices(a: _Node, b: _Node, max_value: int) -> list[tuple[_Node, str, _Node]]:
    """The operations on a pair that keep every value a positive integer and are not trivial
    (no x*1, x/1 or x-x)."""
    big, small = (a, b) if a.value >= b.value else (b, a)
    out = [(a, "+", b)]
    if big.value != small.value:
        out.append((big, "-", small))
    if small.value > 1 and big.value * small.value <= max_value:
        out.append((a, "*", b))
    if small.value > 1 and big.value % small.value == 0:
        out.append((big, "/", small))
    return out


@register
class Countdown(ProceduralTask):
    """Make a target number from given numbers, each used once, with + - * / and parentheses."""

    name = "countdown"
    domain = "arithmetic"
    version = 1
    verifier = "countdown"
    config_class = CountdownConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"count": level(c.base_numbers, c.numbers_per_level, difficulty),
                "max_number": c.max_number, "max_value": c.max_value}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        numbers = [rng.randint(1, params["max_number"]) for _ in range(params["count"])]
        pool = [_Node(n, str(n), _LEAF) for n in numbers]
        steps: list[str] = []
        while len(pool) > 1:
            i, j = rng.sample(range(len(pool)), 2)
            left, op, right = rng.choice(_choices(pool[i], pool[j], params["max_value"]))
            node = combine(left, op, right)
            pool = [n for k, n in enumerate(pool) if k not in (i, j)] + [node]
            rest = " ".join(str(n.value) for n in pool)
            steps.append(f"{left.value}{op}{right.value}={node.value}"
                         + (f" (left: {rest})" if len(pool) > 1 else ""))
        solution = pool[0]
        steps.append(f"{solution.text} = {solution.value}")
        prompt = (f"Use the numbers {' '.join(map(str, numbers))} to make {solution.value}. "
                  "Use each number exactly once with + - * / and parentheses. "
                  "Answer with the expression.")
        return Problem(prompt=prompt, answer=solution.text, steps=steps,
                       meta={"numbers": numbers, "target": solution.value})
