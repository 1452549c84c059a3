"""``code_functions``: write a small Python function from a one-line spec; checked by the ``code``
verifier against assert tests. Harder = specs that need more machinery (a branch, then a loop,
then nested loops, then dynamic programming), so a reference solution gets longer.

The reference solution is the teacher completion (``<think>…</think>`` then a ```` ```python ````
block); the expected values of the tests come from running that same reference here, on inputs
drawn from the item's own ``Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reasonlab.core.item import Item
from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig, item_id, item_rng
from reasonlab.tasks.registry import register


@dataclass(frozen=True)
class Spec:
    level: int
    name: str
    signature: str
    prompt: str           # formatted with the drawn parameters
    body: str             # formatted with the drawn parameters
    plan: str             # one line of reasoning for the teacher trace
    params: Callable[[random.Random], dict[str, Any]]
    inputs: Callable[[random.Random, dict[str, Any]], tuple]


def _ints(rng: random.Random, n: int, lo: int = -20, hi: int = 20) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(n)]


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("abcde") for _ in range(n))


SPECS: list[Spec] = [
    Spec(1, "affine", "x", "returns {a} * x + {b}", "    return {a} * x + {b}\n",
         "multiply by {a}, then add {b}",
         lambda r: {"a": r.randint(2, 9), "b": r.randint(-9, 9)},
         lambda r, p: (r.randint(-50, 50),)),
    Spec(1, "clamp", "x", "returns x limited to the range {lo}..{hi}",
         "    return max({lo}, min({hi}, x))\n", "take the larger of {lo} and min({hi}, x)",
         lambda r: {"lo": r.randint(-10, 0), "hi": r.randint(1, 10)},
         lambda r, p: (r.randint(-20, 20),)),
    Spec(2, "step", "x", "returns x // {k} if x is divisible by {k}, otherwise {m} * x + 1",
         "    if x % {k} == 0:\n        return x // {k}\n    return {m} * x + 1\n",
         "branch on x % {k}", lambda r: {"k": r.randint(2, 5), "m": r.randint(2, 5)},
         lambda r, p: (r.randint(-40, 40),)),
    Spec(2, "sign_label", "x", "returns 'neg', 'zero' or 'pos' for x below, equal to or above {t}",
         "    if x < {t}:\n        return 'neg'\n    if x == {t}:\n        return 'zero'\n"
         "    return 'pos'\n", "compare x with {t} in three cases",
         lambda r: {"t": r.randint(-5, 5)}, lambda r, p: (r.randint(-8, 8),)),
    Spec(3, "sum_above", "xs", "returns the sum of the numbers in the list xs greater than {t}",
         "    return sum(x for x in xs if x > {t})\n", "filter by x > {t}, then add up",
         lambda r: {"t": r.randint(-5, 5)}, lambda r, p: (_ints(r, r.randint(0, 8)),)),
    Spec(3, "count_char", "s", "returns how many times the letter {c!r} occurs in the string s",
         "    count = 0\n    for ch in s:\n        if ch == {c!r}:\n            count += 1\n"
         "    return count\n", "scan s and count {c!r}",
         lambda r: {"c": r.choice("abcde")}, lambda r, p: (_word(r, r.randint(0, 12)),)),
    Spec(4, "running_best", "xs", "returns the list of running {kind}s of xs (same length)",
         "    out = []\n    for x in xs:\n"
         "        out.append(x if not out else {kind}(out[-1], x))\n"
         "    return out\n", "keep the {kind} so far and append it at each step",
         lambda r: {"kind": r.choice(["max", "min"])}, lambda r, p: (_ints(r, r.randint(0, 8)),)),
    Spec(4, "rle", "s", "returns the run-length encoding of s as a list of {order} tuples",
         "    runs = []\n    for ch in s:\n        if runs and runs[-1][0] == ch:\n"
         "            runs[-1][1] += 1\n        else:\n            runs.append([ch, 1])\n"
         "    return [{pair} for ch, n in runs]\n", "extend the last run or start a new one",
         lambda r: r.choice([{"order": "(char, count)", "pair": "(ch, n)"},
                             {"order": "(count, char)", "pair": "(n, ch)"}]),
         lambda r, p: (_word(r, r.randint(0, 10)).replace("e", "a"),)),
    Spec(5, "pairs_to", "xs", "returns how many pairs i < j have xs[i] + xs[j] == {k}",
         "    count = 0\n    for i in range(len(xs)):\n        for j in range(i + 1, len(xs)):\n"
         "            if xs[i] + xs[j] == {k}:\n                count += 1\n    return count\n",
         "check every pair i < j", lambda r: {"k": r.randint(-4, 4)},
         lambda r, p: (_ints(r, r.randint(0, 9), -5, 5),)),
    Spec(5, "collatz", "n", "returns the {what} of the sequence n -> n // 2 (even) or 3n + 1 "
         "(odd) until it reaches 1", "    {init}\n    while n != 1:\n"
         "        n = n // 2 if n % 2 == 0 else 3 * n + 1\n        {update}\n    return {out}\n",
         "iterate until n is 1, tracking the {what}",
         lambda r: r.choice([{"what": "number of steps", "init": "steps = 0",
                              "update": "steps += 1", "out": "steps"},
                             {"what": "largest value", "init": "top = n",
                              "update": "top = max(top, n)", "out": "top"}]),
         lambda r, p: (r.randint(1, 60),)),
    Spec(6, "distinct_windows", "s", "returns the number of distinct substrings of length {k} "
         "of s", "    return len({{s[i:i + {k}] for i in range(len(s) - {k} + 1)}})\n",
         "collect every window of length {k} in a set", lambda r: {"k": r.randint(2, 3)},
         lambda r, p: (_word(r, r.randint(0, 12)),)),
    Spec(6, "primes_below", "n", "returns the {what} of the primes below n",
         "    sieve = [True] * max(n, 0)\n    out = []\n    for i in range(2, n):\n"
         "        if sieve[i]:\n            out.append(i)\n"
         "            for j in range(i * i, n, i):\n                sieve[j] = False\n"
         "    return {out}\n", "sieve of Eratosthenes, then the {what}",
         lambda r: r.choice([{"what": "list", "out": "out"}, {"what": "count", "out": "len(out)"},
                             {"what": "sum", "out": "sum(out)"}]),
         lambda r, p: (r.randint(0, 60),)),
    Spec(7, "climb_ways", "n", "returns the number of ways to climb n stairs taking {a} or {b} "
         "steps at a time", "    ways = [1] + [0] * n\n    for i in range(1, n + 1):\n"
         "        for step in ({a}, {b}):\n            if i >= step:\n"
         "                ways[i] += ways[i - step]\n    return ways[n]\n",
         "dynamic programming over the number of stairs",
         lambda r: dict(zip("ab", sorted(r.sample(range(1, 5), 2)), strict=False)),
         lambda r, p: (r.randint(0, 25),)),
    Spec(7, "longest_run", "xs", "returns the length of the longest {kind} subsequence of xs",
         "    best = [1] * len(xs)\n    for i in range(len(xs)):\n"
         "        for j in range(i):\n            if xs[j] {op} xs[i]:\n"
         "                best[i] = max(best[i], best[j] + 1)\n    return max(best, default=0)\n",
         "best[i] = longest ending at i",
         lambda r: r.choice([{"kind": "strictly increasing", "op": "<"},
                             {"kind": "non-decreasing", "op": "<="},
                             {"kind": "strictly decreasing", "op": ">"}]),
         lambda r, p: (_ints(r, r.randint(0, 10), 0, 9),)),
    Spec(8, "edit_distance", "a, b", "returns the edit distance between strings a and b where "
         "inserting or deleting costs 1 and replacing costs {c}",
         "    prev = list(range(len(b) + 1))\n    for i, ca in enumerate(a, 1):\n"
         "        cur = [i]\n        for j, cb in enumerate(b, 1):\n"
         "            cur.append(min(prev[j] + 1, cur[j - 1] + 1,\n"
         "                           prev[j - 1] + (ca != cb) * {c}))\n"
         "        prev = cur\n    return prev[-1]\n", "row-by-row Levenshtein table",
         lambda r: {"c": r.choice([1, 2])},
         lambda r, p: (_word(r, r.randint(0, 6)), _word(r, r.randint(0, 6)))),
    Spec(8, "coin_change_min", "amount", "returns the fewest coins from {coins} that sum to "
         "amount, or -1 if impossible", "    inf = float('inf')\n    best = [0] + [inf] * amount\n"
         "    for x in range(1, amount + 1):\n        for c in {coins}:\n"
         "            if c <= x and best[x - c] + 1 < best[x]:\n"
         "                best[x] = best[x - c] + 1\n"
         "    return -1 if best[amount] == inf else best[amount]\n",
         "dynamic programming over amounts",
         lambda r: {"coins": sorted(r.sample(range(2, 12), 3))},
         lambda r, p: (r.randint(0, 40),)),
]


@dataclass
class CodeFunctionsConfig(TaskConfig):
    tests_base: int = 4       # asserts per item at difficulty 1
    tests_per_level: int = 0  # more asserts each level (harder specs already test more paths)

    def validate(self) -> None:
        self.check(1 <= self.tests_base <= 50, "tests_base", "must be in 1..50")
        self.check(0 <= self.tests_per_level <= 10, "tests_per_level", "must be in 0..10")


@register
class CodeFunctions(ProceduralTask):
    """Write a small Python function from a one-line spec (checked by running tests)."""

    name = "code_functions"
    domain = "code"
    version = 1
    verifier = "code"
    config_class = CodeFunctionsConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"level": difficulty, "tests": c.tests_base + c.tests_per_level * (difficulty - 1)}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        spec = rng.choice([s for s in SPECS if s.level == params["level"]])
        values = spec.params(rng)
        body = spec.body.format(**values)
        source = f"def {spec.name}({spec.signature}):\n{body}"
        namespace: dict[str, Any] = {}
        exec(compile(source, f"<reference {spec.name}>", "exec"), namespace)  # our own code
        function = namespace[spec.name]
        tests, seen = [], set()
        for _ in range(params["tests"] * 4):
            args = spec.inputs(rng, values)
            call = f"{spec.name}({', '.join(repr(a) for a in args)})"
            if call in seen:
                continue
            seen.add(call)
            tests.append(f"assert {call} == {function(*args)!r}")
            if len(tests) == params["tests"]:
                break
        prompt = (f"Write a Python function `{spec.name}({spec.signature})` that "
                  f"{spec.prompt.format(**values)}. Put the code in a ```python block.")
        steps = [f"I need {spec.name}({spec.signature}).", f"Plan: {spec.plan.format(**values)}.",
                 f"Check: {tests[0].removeprefix('assert ')}."]
        return Problem(prompt=prompt, answer=source, steps=steps,
                       meta={"function": spec.name, "spec": spec.name, "tests": tests})

    def item(self, index: int, difficulty: int, seed: int = 0) -> Item:
        self.check_difficulty(difficulty)
        params = self.params(difficulty)
        problem = self.generate(item_rng(self.name, difficulty, seed, index), params)
        tests = problem.meta.pop("tests")
        teacher = ("<think>\n" + "\n".join(problem.steps) + "\n</think>\n```python\n"
                   + problem.answer + "```")
        return Item(id=item_id(self.name, difficulty, seed, index), task=self.name,
                    domain=self.domain, difficulty=difficulty, prompt=problem.prompt,
                    answer=problem.answer, verifier=self.verifier,
                    meta={"seed": seed, "index": index, "version": self.version,
                          "params": params, **problem.meta},
                    teacher=teacher, tests=tests)
