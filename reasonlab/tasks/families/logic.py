"""Logic: evaluating boolean formulas by rewriting, and deriving facts by forward chaining over
if-then rules. Harder = more operators to reduce / a longer chain of rules (plus distractors)."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig
from reasonlab.tasks.families.common import level
from reasonlab.tasks.registry import register

# A formula is a tree of tuples: ("var", "A"), ("lit", 1), ("!", child), (op, left, right).
Formula = tuple[Any, ...]
_BINARY = {"&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b}


def render(node: Formula, top: bool = True) -> str:
    """Binary sub-formulas are always parenthesized, so no precedence rules are needed."""
    kind = node[0]
    if kind in ("var", "lit"):
        return str(node[1])
    if kind == "!":
        return "!" + render(node[1], top=False)
    text = render(node[1], top=False) + kind + render(node[2], top=False)
    return text if top else f"({text})"


def reduce_once(node: Formula) -> Formula:
    """Evaluate the leftmost operator whose operands are all values (one rewriting step)."""
    kind = node[0]
    if kind == "!":
        child = node[1]
        return ("lit", 1 - child[1]) if child[0] == "lit" else ("!", reduce_once(child))
    left, right = node[1], node[2]
    if left[0] != "lit":
        return (kind, reduce_once(left), right)
    if right[0] != "lit":
        return (kind, left, reduce_once(right))
    return ("lit", _BINARY[kind](left[1], right[1]))


@dataclass
class BooleanConfig(TaskConfig):
    base_ops: int = 1            # binary operators at difficulty 1
    ops_per_level: int = 1       # each level adds this many
    max_variables: int = 4       # distinct variables (A, B, ...) at most
    not_percent: int = 25        # chance (in %) that a sub-formula is negated

    def validate(self) -> None:
        self.check(1 <= self.base_ops <= 30, "base_ops", "must be in 1..30")
        self.check(0 <= self.ops_per_level <= 4, "ops_per_level", "must be in 0..4")
        self.check(1 <= self.max_variables <= 26, "max_variables", "must be in 1..26")
        self.check(0 <= self.not_percent <= 60, "not_percent", "must be in 0..60")


@register
class Boolean(ProceduralTask):
    """Evaluate a formula over 0/1 variables with & | ^ !, rewriting one operator per line."""

    name = "boolean"
    domain = "logic"
    version = 1
    verifier = "exact"
    config_class = BooleanConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        ops = level(c.base_ops, c.ops_per_level, difficulty)
        return {"ops": ops, "variables": min(ops + 1, c.max_variables),
                "not_percent": c.not_percent}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        names = string.ascii_uppercase[:params["variables"]]
        values = {name: rng.randint(0, 1) for name in names}
        want = rng.randint(0, 1)  # aim for balanced answers, so guessing one value gets ~50%
        for _ in range(20):
            formula = self._formula(rng, params["ops"], names, params["not_percent"])
            if _value(formula, values) == want:
                break
        current = _substitute(formula, values)
        steps = [render(current)]
        while current[0] != "lit":
            current = reduce_once(current)
            steps.append(render(current))
        answer = str(current[1])
        used = sorted(_variables(formula))
        assignment = " ".join(f"{n}={values[n]}" for n in used)
        prompt = (f"Let {assignment}. Evaluate {render(formula)} where & is and, | is or, "
                  "^ is xor, ! is not. Answer 1 or 0.")
        return Problem(prompt=prompt, answer=answer, steps=steps,
                       meta={"formula": render(formula)})

    def _formula(self, rng: random.Random, ops: int, names: str, not_percent: int) -> Formula:
        if ops == 0:
            node: Formula = ("var", rng.choice(names))
        else:
            left = rng.randint(0, ops - 1)
            node = (rng.choice("&|^"), self._formula(rng, left, names, not_percent),
                    self._formula(rng, ops - 1 - left, names, not_percent))
        return ("!", node) if rng.randrange(100) < not_percent else node


def _substitute(node: Formula, values: dict[str, int]) -> Formula:
    if node[0] == "var":
        return ("lit", values[node[1]])
    return (node[0], *(_substitute(child, values) for child in node[1:]))


def _variables(node: Formula) -> set[str]:
    if node[0] == "var":
        return {node[1]}
    return set().union(*(_variables(child) for child in node[1:] if isinstance(child, tuple)))


def _value(node: Formula, values: dict[str, int]) -> int:
    node = _substitute(node, values)
    while node[0] != "lit":
        node = reduce_once(node)
    return node[1]


@dataclass
class DeductionConfig(TaskConfig):
    base_chain: int = 1          # rules to chain from a fact to the question at difficulty 1
    chain_per_level: int = 1     # each level lengthens the chain by this many rules
    distractors_every: int = 1   # one more irrelevant rule every this many levels (1 at level 1)
    and_every: int = 3           # one more two-premise rule in the chain every this many levels

    def validate(self) -> None:
        self.check(1 <= self.base_chain <= 12, "base_chain", "must be in 1..12")
        self.check(0 <= self.chain_per_level <= 2, "chain_per_level", "must be in 0..2")
        self.check(1 <= self.distractors_every <= 10, "distractors_every", "must be in 1..10")
        self.check(1 <= self.and_every <= 10, "and_every", "must be in 1..10")
        # Propositions are the letters a..z; check the hardest level fits.
        top = Deduction.max_difficulty
        letters = _letters_needed(_deduction_sizes(self, top))
        self.check(letters <= 26, "base_chain",
                   f"with chain_per_level, distractors_every and and_every needs {letters} "
                   f"letters at difficulty {top}, over the 26 letters a..z")


def _deduction_sizes(c: DeductionConfig, difficulty: int) -> dict[str, int]:
    chain = level(c.base_chain, c.chain_per_level, difficulty)
    return {"chain": chain, "distractors": 1 + (difficulty - 1) // c.distractors_every,
            "and_rules": min(chain, (difficulty - 1) // c.and_every)}


def _letters_needed(sizes: dict[str, int]) -> int:
    # chain letters (chain + 1), one side fact per two-premise rule, one conclusion per
    # distractor, the letter that breaks a "no" chain, and one unrelated letter.
    return sizes["chain"] + 1 + sizes["and_rules"] + sizes["distractors"] + 2


@register
class Deduction(ProceduralTask):
    """Can a letter be derived from facts and if-then rules? Forward chaining, one rule a line."""

    name = "deduction"
    domain = "logic"
    version = 1
    verifier = "exact"
    config_class = DeductionConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        return _deduction_sizes(self.config, difficulty)

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        length, n_and, n_distract = params["chain"], params["and_rules"], params["distractors"]
        letters = iter(rng.sample(string.ascii_lowercase, _letters_needed(params)))
        chain = [next(letters) for _ in range(length + 1)]
        target, facts = chain[-1], [chain[0]]
        rules: list[tuple[list[str], str]] = []
        two_premise = set(rng.sample(range(length), n_and))
        for i in range(length):
            premises = [chain[i]]
            if i in two_premise:
                premises.append(next(letters))
                facts.append(premises[-1])
            rules.append((premises, chain[i + 1]))
        derivable = rng.random() < 0.5
        if not derivable:
            # Break one link in the last third (so a "no" takes about as much work to find as a
            # "yes"): its premise becomes a letter that nothing gives.
            broken = rng.randrange(length - max(1, length // 3), length)
            rules[broken][0][0] = next(letters)
        pool = list(dict.fromkeys(chain[:-1] + facts + [next(letters)]))
        for _ in range(n_distract):
            # Conclusions are fresh letters that nothing else uses, so a distractor may fire (one
            # more line of work) but never changes the answer.
            rules.append(([rng.choice(pool)], next(letters)))
        rng.shuffle(rules)
        rng.shuffle(facts)
        texts = [f"{'&'.join(premises)}->{conclusion}" for premises, conclusion in rules]
        steps, answer = self._chain_forward(rules, texts, facts, target)
        assert (answer == "yes") == derivable
        prompt = (f"Facts: {' '.join(facts)}. Rules: {' '.join(texts)}. "
                  f"Can {target} be derived? Answer yes or no.")
        return Problem(prompt=prompt, answer=answer, steps=steps,
                       meta={"target": target, "verify": {"ignore_case": True}})

    @staticmethod
    def _chain_forward(rules: list[tuple[list[str], str]], texts: list[str], facts: list[str],
                       target: str) -> tuple[list[str], str]:
        known = set(facts)
        steps = [f"known: {' '.join(sorted(known))}"]
        fired = True
        while fired:
            fired = False
            for (premises, conclusion), text in zip(rules, texts, strict=True):
                if conclusion in known or not all(p in known for p in premises):
                    continue
                known.add(conclusion)
                fired = True
                steps.append(f"{text} gives {conclusion}")
                if conclusion == target:
                    steps.append(f"{target} is derived: yes")
                    return steps, "yes"
        steps.append(f"nothing more follows, {target} is not derived: no")
        return steps, "no"
