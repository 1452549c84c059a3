"""Algebra: solve a linear equation in x by undoing its operations one at a time, outermost first.
Harder = more nested operations wrapped around x, so one more undo step per level."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig
from reasonlab.tasks.families.common import level
from reasonlab.tasks.registry import register

_LEAF, _PRODUCT, _SUM = 3, 2, 1  # precedence of what an expression is, outermost


def _signed(value: int) -> str:
    """A number as the right operand of an operator: negatives in parentheses."""
    return f"({value})" if value < 0 else str(value)


@dataclass
class LinearEquationConfig(TaskConfig):
    base_ops: int = 1          # operations around x at difficulty 1
    ops_per_level: int = 1     # each level wraps this many more
    max_solution: int = 20     # x is drawn from -max_solution..max_solution
    max_constant: int = 9      # constants are drawn from 1..max_constant (2.. for * and /)
    max_magnitude: int = 500   # no intermediate value exceeds this in absolute value

    def validate(self) -> None:
        self.check(1 <= self.base_ops <= 20, "base_ops", "must be in 1..20")
        self.check(0 <= self.ops_per_level <= 3, "ops_per_level", "must be in 0..3")
        self.check(0 <= self.max_solution <= 10 ** 6, "max_solution", "must be in 0..1000000")
        self.check(2 <= self.max_constant <= 1000, "max_constant", "must be in 2..1000")
        self.check(10 * self.max_constant <= self.max_magnitude <= 10 ** 7, "max_magnitude",
                   "must be in 10*max_constant..10000000")


@register
class LinearEquation(ProceduralTask):
    """Solve for x, e.g. 3*(x+4)-5 = 16, undoing the outermost operation each step."""

    name = "linear_equation"
    domain = "algebra"
    version = 1
    verifier = "numeric"
    config_class = LinearEquationConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"ops": level(c.base_ops, c.ops_per_level, difficulty),
                "max_solution": c.max_solution, "max_constant": c.max_constant,
                "max_magnitude": c.max_magnitude}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        k_max, limit = params["max_constant"], params["max_magnitude"]
        x = rng.randint(-params["max_solution"], params["max_solution"])
        # (expression text, its precedence, its value for our x) after each operation
        stages: list[tuple[str, int, int]] = [("x", _LEAF, x)]
        undo: list[tuple[str, int]] = []  # how to undo each op: ("-", 5) means subtract 5
        last = ""
        for _ in range(params["ops"]):
            text, prec, value = stages[-1]
            options = ["*", "rsub"] + ([] if last in "+-" and last else ["+", "-"])
            divisors = [k for k in range(2, k_max + 1) if value and value % k == 0]
            if divisors:
                options.append("/")
            op = rng.choice(options)
            if op == "*" and abs(value) * 2 > limit:
                op = "-" if last not in "+-" or not last else "rsub"
            if op == "+":
                k = rng.randint(1, k_max)
                stages.append((f"{text}+{k}", _SUM, value + k))
                undo.append(("-", k))
            elif op == "-":
                k = rng.randint(1, k_max)
                stages.append((f"{text}-{k}", _SUM, value - k))
                undo.append(("+", k))
            elif op == "*":
                k = rng.randint(2, max(2, min(k_max, limit // max(1, abs(value)))))
                inner = text if prec == _LEAF else f"({text})"
                stages.append((f"{k}*{inner}", _PRODUCT, value * k))
                undo.append(("/", k))
            elif op == "/":
                k = rng.choice(divisors)
                inner = text if prec == _LEAF else f"({text})"
                stages.append((f"{inner}/{k}", _PRODUCT, value // k))
                undo.append(("*", k))
            else:  # k - (expression): undone by k - rhs
                k = rng.randint(1, 2 * k_max)
                inner = text if prec > _SUM else f"({text})"
                stages.append((f"{k}-{inner}", _SUM, k - value))
                undo.append(("rsub", k))
            last = op
        lhs, _, rhs = stages[-1]
        steps = []
        for (inner, _, inner_value), (op, k) in zip(reversed(stages[:-1]), reversed(undo),
                                                        strict=True):
            if op == "rsub":
                work, new = f"{k}-{_signed(rhs)}", k - rhs
            else:
                work = f"{rhs}{op}{k}"  # k > 0, so no sign to bracket
                new = {"+": rhs + k, "-": rhs - k, "*": rhs * k, "/": rhs // k}[op]
            assert new == inner_value
            steps.append(f"{inner} = {work} = {new}")
            rhs = new
        assert rhs == x
        prompt = f"Solve for x: {lhs} = {stages[-1][2]}. Answer with the value of x."
        return Problem(prompt=prompt, answer=str(x), steps=steps,
                       meta={"equation": f"{lhs} = {stages[-1][2]}"})
