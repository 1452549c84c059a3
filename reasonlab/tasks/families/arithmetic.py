"""Column arithmetic: multi-digit addition with carries, and long multiplication. Harder = more
columns, addends or partial products, so the teacher trace has more lines."""

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
    # The last line restates the sum ("so 371 + 850 = 1221"); false: "so the sum is 1221".
    # Restating copies every operand in order, which a tiny model learns last; until it does,
    # each of its correct answers carries a false equation that RL then reinforces (measured:
    # docs/training.md "RL on a tiny model"). The demo turns it off.
    restate: bool = True

    def validate(self) -> None:
        self.check(1 <= self.base_digits <= 20, "base_digits", "must be in 1..20")
        self.check(0 <= self.digits_per_level <= 5, "digits_per_level", "must be in 0..5")
        self.check(1 <= self.addends_every <= 20, "addends_every", "must be in 1..20")


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
        steps.append(f"so {' + '.join(map(str, numbers))} = {total}" if self.config.restate
                     else f"so the sum is {total}")
        prompt = f"What is {' + '.join(map(str, numbers))}? Answer with the number."
        return Problem(prompt=prompt, answer=str(total), steps=steps,
                       meta={"numbers": numbers})


@dataclass
class MultiplicationConfig(TaskConfig):
    top_digits: int = 2          # digits of the first factor at difficulty 1
    bottom_digits: int = 1       # digits of the second factor at difficulty 1
    top_every: int = 2           # the first factor gains a digit every this many levels
    bottom_every: int = 2        # the second factor (one more partial product) likewise

    def validate(self) -> None:
        self.check(1 <= self.top_digits <= 12, "top_digits", "must be in 1..12")
        self.check(1 <= self.bottom_digits <= 12, "bottom_digits", "must be in 1..12")
        self.check(1 <= self.top_every <= 20, "top_every", "must be in 1..20")
        self.check(1 <= self.bottom_every <= 20, "bottom_every", "must be in 1..20")


@register
class Multiplication(ProceduralTask):
    """Long multiplication: one partial product per digit of the second factor, worked one digit
    a line with carries, then the partial products summed."""

    name = "multiplication"
    domain = "arithmetic"
    version = 1
    verifier = "exact"
    config_class = MultiplicationConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        # The two factors grow on alternate levels, so each level adds either a digit step to
        # every partial product or a whole partial product (and a sum).
        return {"top_digits": c.top_digits + difficulty // c.top_every,
                "bottom_digits": c.bottom_digits + (difficulty - 1) // c.bottom_every}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        top = _random_number(rng, params["top_digits"])
        bottom = _random_number(rng, params["bottom_digits"])
        steps: list[str] = []
        partials: list[int] = []
        for place, digit in enumerate(int(ch) for ch in reversed(str(bottom))):
            shift = "0" * place
            partial = top * digit * 10 ** place
            partials.append(partial)
            if digit == 0:
                steps.append(f"{top}*0{shift} = 0")
                continue
            # One line per digit of the first factor; the carry shows up as "+c" on the next.
            carry = 0
            for top_digit in (int(ch) for ch in reversed(str(top))):
                value = top_digit * digit + carry
                steps.append(f"{top_digit}*{digit}" + (f"+{carry}" if carry else "") + f"={value}")
                carry = value // 10
            if bottom >= 10:  # with one row, the row is the product: the last line says it
                steps.append(f"{top}*{digit}{shift} = {partial}")
        running = partials[0]
        for partial in partials[1:]:
            steps.append(f"{running}+{partial}={running + partial}")
            running += partial
        product = top * bottom
        steps.append(f"so {top}*{bottom} = {product}")
        return Problem(prompt=f"What is {top} * {bottom}? Answer with the number.",
                       answer=str(product), steps=steps, meta={"numbers": [top, bottom]})


def _random_number(rng: random.Random, digits: int) -> int:
    # A leading digit of 1 and trailing zeros are allowed, but not a leading 0.
    return rng.randint(10 ** (digits - 1) if digits > 1 else 2, 10 ** digits - 1)
