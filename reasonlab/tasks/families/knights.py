"""Knights and knaves: knights always tell the truth, knaves always lie; from what each person
says, find who is which. The teacher reasons as a person would: a statement with one person left
unknown forces that person's kind; when nothing is forced, suppose someone is a knight and, on a
contradiction, conclude they are a knave. Harder = more people, so more deductions."""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks.base import Problem, ProceduralTask, TaskConfig
from reasonlab.tasks.families.common import level
from reasonlab.tasks.registry import register

# A statement is (kind, a, b): "is" / "isnt" about one person a (b unused), "and" / "or" /
# "same" / "diff" about two people; "and" reads "a is a knight and b is a knave".
Statement = tuple[str, int, int]
_KINDS_ONE, _KINDS_TWO = ("is", "isnt"), ("and", "or", "same", "diff")


def kind_name(knight: bool) -> str:
    return "knight" if knight else "knave"


def holds(statement: Statement, knights: Sequence[bool] | Mapping[int, bool]) -> bool:
    """Is the statement true when ``knights[i]`` says whether person i is a knight?"""
    kind, a, b = statement
    if kind == "is":
        return knights[a]
    if kind == "isnt":
        return not knights[a]
    if kind == "and":
        return knights[a] and not knights[b]
    if kind == "or":
        return knights[a] or knights[b]
    if kind == "same":
        return knights[a] == knights[b]
    return knights[a] != knights[b]


def describe(statement: Statement, names: str) -> str:
    kind, a, b = statement
    x, y = names[a], names[b]
    return {"is": f"{x} is a knight", "isnt": f"{x} is a knave",
            "and": f"{x} is a knight and {y} is a knave",
            "or": f"{x} is a knight or {y} is a knight",
            "same": f"{x} and {y} are the same kind",
            "diff": f"{x} and {y} are different kinds"}[kind]


def solutions(statements: list[Statement], limit: int = 2) -> list[tuple[bool, ...]]:
    """Up to ``limit`` consistent assignments. All 2^n assignments are checked at once: bit j of
    a mask stands for assignment j (person p a knight iff bit p of j is set)."""
    n = len(statements)
    knight = _knight_masks(n)
    every = (1 << (1 << n)) - 1
    fits = every
    for speaker, (kind, a, b) in enumerate(statements):
        if kind == "is":
            true = knight[a]
        elif kind == "isnt":
            true = every ^ knight[a]
        elif kind == "and":
            true = knight[a] & (every ^ knight[b])
        elif kind == "or":
            true = knight[a] | knight[b]
        elif kind == "same":
            true = every ^ knight[a] ^ knight[b]
        else:
            true = knight[a] ^ knight[b]
        fits &= every ^ true ^ knight[speaker]  # the claim is true exactly for a knight
    found = []
    while fits and len(found) < limit:
        j = (fits & -fits).bit_length() - 1
        found.append(tuple(bool(j >> p & 1) for p in range(n)))
        fits &= fits - 1
    return found


@functools.lru_cache(maxsize=16)
def _knight_masks(n: int) -> tuple[int, ...]:
    return tuple(sum(1 << j for j in range(1 << n) if j >> p & 1) for p in range(n))


@dataclass
class KnightsConfig(TaskConfig):
    base_people: int = 2         # people on the island at difficulty 1
    people_per_level: int = 1    # each level adds this many
    two_person_percent: int = 60  # share (in %) of statements about two people

    def validate(self) -> None:
        self.check(2 <= self.base_people <= 8, "base_people", "must be in 2..8")
        self.check(0 <= self.people_per_level <= 1, "people_per_level", "must be in 0..1")
        # One-person claims alone never pin the answer down (flipping everyone keeps them all
        # consistent), so puzzles need a fair share of two-person ones.
        self.check(20 <= self.two_person_percent <= 100, "two_person_percent",
                   "must be in 20..100")
        most = level(self.base_people, self.people_per_level, Knights.max_difficulty)
        self.check(most <= 10, "base_people",
                   f"with people_per_level makes {most} people at the top difficulty; at most 10 "
                   "(the search checks every assignment for a unique answer)")


@register
class Knights(ProceduralTask):
    """Knights always tell the truth, knaves always lie: who is which? Suppose, deduce, check."""

    name = "knights"
    domain = "logic"
    version = 1
    verifier = "exact"
    config_class = KnightsConfig
    min_difficulty, max_difficulty = 1, 8

    def params(self, difficulty: int) -> dict[str, Any]:
        c = self.config
        return {"people": level(c.base_people, c.people_per_level, difficulty),
                "two_person_percent": c.two_person_percent}

    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        n = params["people"]
        names = string.ascii_uppercase[:n]
        # Statements are drawn true for knights and false for knaves under a hidden assignment,
        # then repaired until that assignment is the only one that fits.
        two = params["two_person_percent"]
        # Half of the puzzles are solved by refuting a first supposition, half by confirming it,
        # independently of the answer, so the supposition a trace starts with never hints at it.
        refute = rng.random() < 0.5
        # A's kind is drawn once, outside the retries: which puzzles are kept would otherwise
        # tilt it (to ~60% knaves), and A is where every trace starts.
        a_is_knight = rng.random() < 0.5
        for _ in range(1000):
            truth = (a_is_knight, *(rng.random() < 0.5 for _ in range(n - 1)))
            first = truth[0] != refute  # the kind supposed first for A (nothing forces it)
            statements = [self._statement(rng, truth, i, n, two) for i in range(n)]
            # While another assignment also fits, redraw what someone it disagrees on says.
            for _ in range(20 * n):
                found = solutions(statements)
                if len(found) == 1:
                    break
                other = next(k for k in found if k != truth)
                speaker = rng.choice([i for i in range(n) if other[i] != truth[i]])
                statements[speaker] = self._statement(rng, truth, speaker, n, two)
            else:
                continue
            # Exactly the refutations wanted (one or none), wasting at most one line: a trace of
            # n..n+3 lines, so its length tracks the difficulty and fits a small context.
            steps = search_trace(statements, names, first)
            refuted = sum("contradiction" in line for line in steps)
            if len(steps) <= n + 3 and refuted == refute:
                break
        else:  # pragma: no cover  (a few draws suffice; kept so that no config can hang)
            raise RuntimeError("could not draw a knights puzzle with a unique solution")
        # Then check every claim against the answer, as a careful solver would.
        for speaker, statement in enumerate(statements):
            value = "true" if holds(statement, truth) else "false"
            steps.append(f"check {names[speaker]}: {value}, {kind_name(truth[speaker])} ok")
        answer = " ".join(f"{names[i]}={kind_name(k)}" for i, k in enumerate(truth))
        steps.append(f"so {answer}")
        said = " ".join(f"{names[i]} says: {describe(s, names)}." for i, s in enumerate(statements))
        prompt = (f"Knights always tell the truth, knaves always lie. {said} Exactly one answer "
                  "fits. Who is a knight? "
                  f"Answer like {' '.join(f'{x}=knight' for x in names[:2])}.")
        return Problem(prompt=prompt, answer=answer, steps=steps,
                       meta={"verify": {"ignore_case": True}})

    @staticmethod
    def _statement(rng: random.Random, truth: tuple[bool, ...], speaker: int, n: int,
                   two_percent: int) -> Statement:
        others = [i for i in range(n) if i != speaker]
        # Keep drawing until the statement's truth matches the speaker's kind. A two-person
        # statement may be about the speaker ("A says: A and B are the same kind"); a one-person
        # one may not ("A is a knight" from A says nothing, "A is a knave" is a paradox).
        while True:
            if rng.randrange(100) < two_percent:
                a, b = rng.sample(range(n), 2)
                kind = rng.choice(_KINDS_TWO)
                if kind in ("or", "same", "diff"):  # symmetric: name the two in order
                    a, b = min(a, b), max(a, b)
                statement: Statement = (kind, a, b)
            else:
                statement = (rng.choice(_KINDS_ONE), rng.choice(others), -1)
            if holds(statement, truth) == truth[speaker]:
                return statement


def search_trace(statements: list[Statement], names: str, knight_first: bool = True) -> list[str]:
    """Suppose-and-propagate search: a statement with one person left unknown forces that
    person's kind; when nothing is forced, suppose the first unknown person is a knight (or a
    knave, per ``knight_first``), and if that ends in a contradiction they are the other kind.
    One line per deduction."""
    steps: list[str] = []
    solved = _solve(statements, names, {}, steps, knight_first)
    assert solved is not None, "the generator only makes solvable puzzles"
    return steps


def _solve(statements: list[Statement], names: str, known: dict[int, bool],
           steps: list[str], first: bool) -> dict[int, bool] | None:
    known = dict(known)
    if not _propagate(statements, names, known, steps):
        return None
    unknown = [i for i in range(len(statements)) if i not in known]
    if not unknown:
        return known
    person = unknown[0]
    steps.append(f"suppose {names[person]}={kind_name(first)}")
    solved = _solve(statements, names, {**known, person: first}, steps, first)
    if solved is not None:
        return solved
    steps.append(f"so {names[person]}={kind_name(not first)}")
    return _solve(statements, names, {**known, person: not first}, steps, first)


def _propagate(statements: list[Statement], names: str, known: dict[int, bool],
               steps: list[str]) -> bool:
    """Apply forced deductions until none is left; False (with the line saying why) on a
    contradiction."""
    changed = True
    while changed:
        changed = False
        for speaker, statement in enumerate(statements):
            people = {speaker, *(p for p in statement[1:] if p >= 0)}
            open_ = [p for p in sorted(people) if p not in known]
            if len(open_) > 1:
                continue
            if not open_:
                if _fits(statement, speaker, known):
                    continue
                steps.append(f"{names[speaker]}'s claim fails: contradiction")
                return False
            person = open_[0]
            fits = [k for k in (True, False) if _fits(statement, speaker, {**known, person: k})]
            if not fits:
                steps.append(f"{names[speaker]}'s claim fails either way: contradiction")
                return False
            if len(fits) == 1:
                known[person] = fits[0]
                steps.append(f"{names[speaker]}'s claim: {names[person]}={kind_name(fits[0])}")
                changed = True
    return True


def _fits(statement: Statement, speaker: int, known: dict[int, bool]) -> bool:
    """Is the statement's truth the speaker's kind (true for a knight, false for a knave)?"""
    return holds(statement, known) == known[speaker]
