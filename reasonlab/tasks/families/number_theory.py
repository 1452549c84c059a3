"""Number theory by hand: greatest common divisor by Euclid's algorithm, and modular
exponentiation by repeated squaring. Harder = more division steps / more exponent bits."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig
from reasonlab.tasks.families.common import level
from reasonlab.tasks.registry import register


@dataclass
class GcdConfig(TaskConfig):
    base_steps: int = 2        # division steps Euclid's algorithm takes at difficulty 1
    steps_per_level: int = 1   # each level adds this many
    max_gcd: int = 12          # the answer is drawn from 1..max_gcd
    max_quotient: int = 3      # quotients in the division chain are drawn from 1..max_quotient

    def validate(self) -> None:
        self.check(1 <= self.base_steps <= 20, "base_steps", "must be in 1..20")
        self.check(0 <= self.steps_per_level <= 3, "steps_per_level", "must be in 0..3")
        self.check(1 <= self.max_gcd <= 1000, "max_gcd", "must be in 1..1000")
        self.check(2 <= self.max_quotient <= 9, "max_quotient", "must be in 2..9")


@register
class Gcd(ProceduralTask):
    """Greatest common divisor by Euclid's algorithm, one division per line."""

    name = "gcd"
    domain = "number_theory"
    version = 1
    verifier = "exact"
    config_class = GcdConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"steps": level(c.base_steps, c.steps_per_level, difficulty),
                "max_gcd": c.max_gcd, "max_quotient": c.max_quotient}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        # Build the remainder chain backwards from the gcd, so Euclid takes exactly `steps`
        # divisions: r[k-1] = q*r[k] + r[k+1], ending in r = q*gcd + 0 with q >= 2.
        g = rng.randint(1, params["max_gcd"])
        chain = [0, g]
        for i in range(params["steps"]):
            q = rng.randint(2 if i == 0 else 1, params["max_quotient"])
            chain.append(q * chain[-1] + chain[-2])
        a, b = chain[-1], chain[-2]
        steps = []
        x, y = a, b
        while y:
            steps.append(f"{x} = {x // y}*{y} + {x % y}")
            x, y = y, x % y
        assert x == g == math.gcd(a, b)
        steps.append(f"remainder 0, so gcd({a}, {b}) = {g}")
        prompt = f"What is the greatest common divisor of {a} and {b}? Answer with the number."
        return Problem(prompt=prompt, answer=str(g), steps=steps, meta={"numbers": [a, b]})


@dataclass
class ModexpConfig(TaskConfig):
    base_bits: int = 2         # bits of the exponent at difficulty 1
    bits_per_level: int = 1    # each level adds this many (one more squaring each)
    min_modulus: int = 5
    max_modulus: int = 40

    def validate(self) -> None:
        self.check(2 <= self.base_bits <= 30, "base_bits", "must be in 2..30")
        self.check(0 <= self.bits_per_level <= 4, "bits_per_level", "must be in 0..4")
        self.check(3 <= self.min_modulus <= 10 ** 6, "min_modulus", "must be in 3..1000000")
        self.check(self.min_modulus <= self.max_modulus <= 10 ** 6, "max_modulus",
                   "must be in min_modulus..1000000")


@register
class Modexp(ProceduralTask):
    """Modular exponentiation b^e mod m by repeated squaring: write e as a sum of powers of two,
    square b that many times (reducing mod m), multiply the needed squares together."""

    name = "modexp"
    domain = "number_theory"
    version = 1
    verifier = "exact"
    config_class = ModexpConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"bits": level(c.base_bits, c.bits_per_level, difficulty),
                "min_modulus": c.min_modulus, "max_modulus": c.max_modulus}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        bits = params["bits"]
        m = rng.randint(params["min_modulus"], params["max_modulus"])
        # A base prime to the modulus keeps every power non-zero (else answers are mostly 0).
        b = rng.randint(2, m - 1)
        while math.gcd(b, m) != 1:  # m - 1 always qualifies, so this ends quickly
            b = rng.randint(2, m - 1)
        e = rng.randint(2 ** (bits - 1), 2 ** bits - 1)
        powers = [1 << k for k in reversed(range(bits)) if e >> k & 1]
        steps = [f"{e} = {'+'.join(map(str, powers))}", f"{b}^1 = {b}"]
        square = {1: b}
        for k in range(1, bits):
            prev = square[1 << (k - 1)]
            square[1 << k] = prev * prev % m
            steps.append(f"{b}^{1 << k} = {prev}*{prev} = {prev * prev} -> {square[1 << k]}")
        result = square[powers[0]]
        for p in powers[1:]:
            product = result * square[p]
            steps.append(f"times {b}^{p}: {result}*{square[p]} = {product} -> {product % m}")
            result = product % m
        assert result == pow(b, e, m)
        steps.append(f"so {b}^{e} mod {m} = {result}")
        prompt = f"Compute {b}^{e} mod {m}. Answer with the number."
        return Problem(prompt=prompt, answer=str(result), steps=steps,
                       meta={"base": b, "exponent": e, "modulus": m})
