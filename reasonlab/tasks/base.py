"""What every task source implements, and the procedural-family base class.

A procedural family (style of reasoning-gym's ``gcd.py``) is a config dataclass with
``validate()`` plus a generator: item *i* at difficulty *d* for seed *s* comes from its own
``Random`` seeded by (task, d, s, i), so any single item regenerates without the ones before it.
"""

from __future__ import annotations

import dataclasses
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from reasonlab.core.errors import ConfigError
from reasonlab.core.item import Item
from reasonlab.core.spec import build, locator

SAMPLE_PROBES = 64


def item_id(task: str, difficulty: int, seed: int, index: int) -> str:
    """Ids are unique across task, difficulty and seed (and readable in a log)."""
    return f"{task}-{difficulty}-{seed}-{index:06d}"


def item_rng(task: str, difficulty: int, seed: int, index: int) -> random.Random:
    # A string seed is hashed with SHA-512 by Random (version 2), so nearby indices and seeds give
    # unrelated streams and the result does not depend on PYTHONHASHSEED.
    return random.Random(f"{task}|{difficulty}|{seed}|{index}")


def teacher_completion(steps: list[str], answer: str) -> str:
    """The default completion format: reasoning in ``<think>``, the final answer in ``<answer>``."""
    return "<think>\n" + "\n".join(steps) + "\n</think>\n<answer>" + answer + "</answer>"


def direct_completion(answer: str) -> str:
    """The ``direct`` style: an empty think block, then the answer. A model warm-started on it
    has the format but not the habit of reasoning (docs/training.md, "Reasoning styles")."""
    return "<think>\n</think>\n<answer>" + answer + "</answer>"


# Styles every task with teacher traces supports; a family may add its own (``styles``).
# ``own_direct`` is ``direct`` with the answer the model being trained gives itself, sampled by
# SFT before it trains (train/own_answers.py): it has no teacher text of its own.
FULL, DIRECT, OWN_DIRECT = "full", "direct", "own_direct"


class Task(ABC):
    """Anything that yields items: a procedural family, a reasoning-gym dataset, a file."""

    name: str
    domain: str
    min_difficulty: int = 1
    max_difficulty: int = 1
    description: str = ""

    @abstractmethod
    def item(self, index: int, difficulty: int, seed: int = 0) -> Item:
        """The ``index``-th item at ``difficulty`` for ``seed``; same arguments, same item."""

    def sample(self, n: int, difficulty: int, seed: int = 0, start: int = 0) -> list[Item]:
        """``n`` items at ``difficulty`` with distinct prompts while the level has them: items
        ``start, start + 1, …`` in order, skipping one whose prompt an earlier one has (so
        ids keep their index and regenerate alone). When the level's prompts run out (addition
        level 1 has 100) the rest are repeats, in the order drawn; summaries count them once
        (``n_distinct``) and build intervals on the distinct prompts."""
        self.check_difficulty(difficulty)
        if n < 0:
            raise ConfigError(f"cannot sample a negative number of items ({n})", field="n")
        items: list[Item] = []
        repeats: list[Item] = []
        seen: set[str] = set()
        # Past the first n indices, probe this many more for unseen prompts.
        budget = start + n + max(SAMPLE_PROBES, 10 * n)
        index = start
        while len(items) < n and index < budget:
            if index < start + n:
                item = self.item(index, difficulty, seed)
            else:
                try:
                    item = self.item(index, difficulty, seed)
                except ConfigError:     # a file's rows end here
                    break
            index += 1
            if item.prompt in seen:
                repeats.append(item)
            else:
                seen.add(item.prompt)
                items.append(item)
        return items + repeats[:n - len(items)]

    def check_difficulty(self, difficulty: int) -> None:
        if isinstance(difficulty, bool) or not isinstance(difficulty, int) or not (
                self.min_difficulty <= difficulty <= self.max_difficulty):
            raise ConfigError(
                f"task {self.name!r} has difficulties {self.min_difficulty}..{self.max_difficulty},"
                f" got {difficulty!r}", field="difficulty")

    def versions(self) -> dict[str, Any]:
        """Recorded in run summaries so a result can be traced to the generator that made it."""
        return {"task": self.name, "version": getattr(self, "version", None)}

    # Reasoning styles of a teacher completion: ``full`` is the teacher trace, ``direct`` the
    # answer with empty thinking. SFT mixes them (a recipe's ``styles``) so that RL has
    # behaviours to select from.
    styles: ClassVar[tuple[str, ...]] = (FULL, DIRECT, OWN_DIRECT)

    def styled_teacher(self, item: Item, style: str) -> str | None:
        """The teacher completion of ``item`` in ``style``; None when the item has none (no
        teacher trace for ``full``, no answer for ``direct``)."""
        if style == FULL:
            return item.teacher
        if style == DIRECT:
            return None if item.answer is None else direct_completion(item.answer)
        if style == OWN_DIRECT:
            raise ConfigError("the own_direct style writes the model's own answers, which only "
                              "SFT samples (train/own_answers.py); it has no teacher text",
                              field="styles")
        raise ConfigError(f"task {self.name!r} has no reasoning style {style!r}; its styles: "
                          f"{', '.join(self.styles)}", field="styles")


@dataclass
class TaskConfig:
    """Base config of a procedural family; subclasses add typed fields and extend ``validate``
    for checks across fields. Settings are read by ``core.spec.build`` (unknown keys and wrong
    types refused, naming the field) before ``validate`` runs."""

    def validate(self) -> None:
        """Raise ``ConfigError`` naming the field and the fix when a setting cannot work."""

    def check(self, condition: bool, name: str, message: str) -> None:
        if not condition:
            raise ConfigError(f"{type(self).__name__}.{name} {message} "
                              f"(got {getattr(self, name)!r})", field=name)


def make_config(config: TaskConfig, overrides: dict[str, Any]) -> TaskConfig:
    """``config`` with ``overrides``, every value checked against the field's type hint (so
    ``--set digits=abc`` is a ``ConfigError`` naming ``digits``, not a ``TypeError`` deep in the
    generator), then ``validate``d. Errors carry the setting's name as their field; a suite or
    recipe maps it onto ``tasks[i].config.<name>`` and its own file and line."""
    cls = type(config)
    current = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.init}
    config = build(cls, {**current, **overrides}, locator(None),
                   unknown=f"{cls.__name__} has no setting {{key!r}}; known: {{known}}")
    config.validate()
    return config


@dataclass
class Problem:
    """What a family's generator returns for one item, before it becomes an ``Item``."""

    prompt: str
    answer: str
    steps: list[str]
    meta: dict[str, Any] = field(default_factory=dict)


class ProceduralTask(Task):
    """A family that generates items with a teacher trace; subclasses set the class attributes
    and implement ``params`` and ``generate``."""

    config_class: ClassVar[type[TaskConfig]] = TaskConfig
    version: ClassVar[int] = 1
    verifier: ClassVar[str] = "exact"
    min_difficulty: ClassVar[int] = 1
    max_difficulty: ClassVar[int] = 8

    def __init__(self, config: TaskConfig | None = None, **overrides: Any):
        self.config = make_config(config or self.config_class(), overrides)

    @abstractmethod
    def params(self, difficulty: int) -> dict[str, Any]:
        """The difficulty's concrete parameters (recorded in ``meta``): more steps when harder."""

    @abstractmethod
    def generate(self, rng: random.Random, params: dict[str, Any]) -> Problem:
        """One problem, its answer and the step-by-step reasoning that reaches it."""

    def item(self, index: int, difficulty: int, seed: int = 0) -> Item:
        self.check_difficulty(difficulty)
        params = self.params(difficulty)
        problem = self.generate(item_rng(self.name, difficulty, seed, index), params)
        meta = {"seed": seed, "index": index, "version": self.version, "params": params,
                **problem.meta}
        return Item(
            id=item_id(self.name, difficulty, seed, index), task=self.name, domain=self.domain,
            difficulty=difficulty, prompt=problem.prompt, answer=problem.answer,
            verifier=self.verifier, meta=meta,
            teacher=teacher_completion(problem.steps, problem.answer))

    def versions(self) -> dict[str, Any]:
        return {"task": self.name, "version": self.version,
                "config": dataclasses.asdict(self.config)}
