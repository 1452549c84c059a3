"""Training data drawn from the task registry, deterministic from (seed, slot).

RL: TRL's sampler walks a dataset of *slots* (0, 1, 2, …, each repeated ``num_generations``
times); only when a generation batch is about to be generated does a slot become an item, at the
curriculum's level *at that moment*. So the data follow the curriculum without lag, and a resumed
run (whose sampler skips the slots already used and whose curriculum state comes from the
checkpoint) draws exactly the items the uninterrupted run drew.

Held-out prompts (the eval suite's) are never drawn for training: a draw that meets one probes
other items, and a recipe whose levels are mostly held out is refused before it starts
(``check_hold_out``); the share held out of each level is recorded in config.yaml.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reasonlab.core.errors import ConfigError
from reasonlab.core.prompting import build_prompt
from reasonlab.tasks import Item, Task, get_task
from reasonlab.tasks.base import direct_completion
from reasonlab.train.own_answers import OWN_DIRECT, OwnAnswers
from reasonlab.train.recipe import PromptSpec, TaskSpec

# Different slots probe different item indices on a collision with a held-out prompt. With the
# most check_hold_out allows held out, 64 probes all failing is a 3e-5 chance per draw (a long
# run would meet it); 4096 make it nil, and a draw stops at its first free prompt.
_PROBE_STRIDE = 1_000_003
_MAX_PROBES = 4096
# Rounds of drawing further slots in place of own_direct items whose answer could not be read.
_MAX_OWN_ROUNDS = 8


class TaskMix:
    """Tasks with weights and level ranges; slot ``s`` picks a task by weight and an item index."""

    def __init__(self, specs: list[TaskSpec], prompt: PromptSpec, seed: int = 0,
                 held_out: Iterable[str] = ()):
        self.specs = list(specs)
        self.tasks: dict[str, Task] = {s.name: get_task(s.name, **s.config) for s in specs}
        self.weights = [s.weight for s in specs]
        self.prompt = prompt
        self.seed = seed
        self.held_out = set(held_out)
        self.drawn = 0   # slots materialized so far (recorded in checkpoints for inspection)

    def spec_of(self, slot: int) -> TaskSpec:
        """The task ``slot`` draws from, by weight."""
        rng = random.Random(f"mix|{self.seed}|{slot}")
        return rng.choices(self.specs, weights=self.weights)[0] if len(self.specs) > 1 \
            else self.specs[0]

    def draw(self, slot: int, level_of: Callable[[str], int]) -> Item:
        """The item for ``slot`` at the level ``level_of(task)`` returns."""
        spec = self.spec_of(slot)
        task = self.tasks[spec.name]
        level = level_of(spec.name)
        item = task.item(slot, level, self.seed)
        for probe in range(1, _MAX_PROBES + 1):
            if item.prompt not in self.held_out:
                return item
            item = task.item(slot + probe * _PROBE_STRIDE, level, self.seed)
        # check_hold_out refuses recipes where this can happen by chance; never train on an
        # evaluation prompt silently.
        raise ConfigError(f"task {spec.name!r} level {level}: {_MAX_PROBES} draws in a row were "
                          "held-out evaluation prompts; the level's prompts are mostly held out",
                          field="tasks")

    def fixed_levels(self, slots: list[int]) -> dict[int, int]:
        """The level of each slot of one generation batch whose task has fixed level shares:
        each such task's slots in the batch hold its levels in their shares (``level_plan``)."""
        by_task: dict[str, list[int]] = {}
        for slot in slots:
            spec = self.spec_of(slot)
            if spec.levels:
                by_task.setdefault(spec.name, []).append(slot)
        out: dict[int, int] = {}
        shares = {s.name: s.levels for s in self.specs if s.levels}
        for name, mine in by_task.items():
            plan = level_plan(shares[name], len(mine), f"levels|{self.seed}|{name}|{mine[0]}")
            out.update(zip(mine, plan, strict=True))
        return out

    def text(self, item: Item) -> str:
        """The prompt the policy sees (the same template the evaluation uses)."""
        return build_prompt(item.prompt, self.prompt.template, self.prompt.confidence)

    def policy_prompt(self, item: Item) -> str | list[dict[str, str]]:
        """Plain text, or one user message when the recipe asks for the chat template (``chat``
        is resolved to true or false when a recipe is read; an unresolved auto reads as bare)."""
        text = self.text(item)
        return [{"role": "user", "content": text}] if self.prompt.chat is True else text

    def materialize(self, rows: list[dict[str, Any]], level_of: Callable[[str], int],
                    batch_slots: list[int] | None = None) -> list[dict[str, Any]]:
        """Turn TRL rows ``{"slot": s, "prompt": ""}`` into rows with the item's prompt and the
        item itself (a dict) for the reward functions. Rows of one slot get the same item.
        ``batch_slots``: every slot of the generation batch when several processes each hold
        part of it, so that fixed level shares are planned over the whole batch."""
        cache: dict[int, Item] = {}
        fixed = self.fixed_levels(batch_slots if batch_slots is not None else
                                  list(dict.fromkeys(int(row["slot"]) for row in rows)))
        out = []
        for row in rows:
            slot = int(row["slot"])
            if slot not in cache:
                level = fixed.get(slot)
                cache[slot] = self.draw(slot, level_of if level is None
                                        else (lambda _name, level=level: level))
                self.drawn += 1
            item = cache[slot]
            out.append({**row, "prompt": self.policy_prompt(item), "item": item.to_dict()})
        return out

    def sft_rows(self, count: int, styles: dict[str, float] | None = None,
                 start: int = 0, stated: dict[str, Any] | None = None,
                 own: OwnAnswers | None = None) -> list[dict[str, str]]:
        """``count`` prompt/completion pairs from slots ``start``, ``start + 1``, …, levels
        uniform over each task's range (SFT has no curriculum: it warm-starts on every level at
        once). Each item's reasoning style is drawn by weight from ``styles`` (default: the
        ``full`` teacher trace), deterministically per item, and recorded as ``style``.
        ``own_direct`` items take the answer ``own`` (the model's own, ``own_answers.py``)
        gives; one whose answer cannot be read is replaced by the next ``own_direct`` item of
        the slots after ``start + count``, so the mix keeps its shares."""
        styles = styles or {"full": 1.0}
        names = [name for name, weight in styles.items() if weight > 0]
        weights = [styles[name] for name in names]
        if OWN_DIRECT in names and own is None:
            raise ValueError("the own_direct style needs the model's own answers (own=)")

        def styled(slot: int) -> tuple[Item, str]:
            item = self._sft_item(slot)
            style = names[0] if len(names) == 1 else \
                random.Random(f"style|{self.seed}|{item.id}").choices(names, weights)[0]
            return item, style

        planned = [styled(slot) for slot in range(start, start + count)]
        if own is not None:
            planned, slot, rounds = self._keep_readable(planned, own), start + count, 1
            while len(planned) < count:
                if rounds == _MAX_OWN_ROUNDS:
                    raise ConfigError(
                        f"the model's own answers could not be read for most own_direct items "
                        f"({len(planned)} of {count} examples after {_MAX_OWN_ROUNDS} rounds of "
                        f"sampling); see {own.path}", field="styles")
                rounds += 1
                extra: list[tuple[Item, str]] = []
                while len(extra) < count - len(planned):
                    item, style = styled(slot)
                    slot += 1
                    if style == OWN_DIRECT:
                        extra.append((item, style))
                planned += self._keep_readable(extra, own)
            own.write_stats([item.id for item, style in planned if style == OWN_DIRECT],
                            styles=dict(Counter(style for _, style in planned)),
                            slots=[start, slot])
        return [self._sft_row(item, style, stated, own) for item, style in planned]

    def _keep_readable(self, batch: list[tuple[Item, str]],
                       own: OwnAnswers) -> list[tuple[Item, str]]:
        """``batch`` without the own_direct items whose answer could not be read (answers
        sampled for those not stored yet)."""
        mine = [item for item, style in batch if style == OWN_DIRECT]
        answers = own.answers(mine, [self.text(item) for item in mine]) if mine else {}
        return [(item, style) for item, style in batch
                if style != OWN_DIRECT or answers[item.id] is not None]

    def _sft_item(self, slot: int) -> Item:
        rng = random.Random(f"sft-level|{self.seed}|{slot}")
        spec_by_name = {s.name: s for s in self.specs}

        def level_of(name: str) -> int:
            spec = spec_by_name[name]
            return rng.randint(spec.min_level, spec.max_level)

        return self.draw(slot, level_of)

    def _sft_row(self, item: Item, style: str, stated: dict[str, Any] | None,
                 own: OwnAnswers | None) -> dict[str, Any]:
        if style == OWN_DIRECT:
            text = direct_completion(own.records[item.id]["answer"])
        else:
            text = self.tasks[item.task].styled_teacher(item, style)
        if not text:
            raise ValueError(f"task {item.task!r} gives no {style!r} teacher completion "
                             f"for item {item.id}; SFT needs one")
        confidence = confidence_of(stated, style, item) if stated else 1.0
        completion = teacher_completion(text, self.prompt.confidence, confidence)
        if self.prompt.chat is True:
            return {"prompt": self.policy_prompt(item), "id": item.id, "style": style,
                    "completion": [{"role": "assistant", "content": completion}]}
        return {"prompt": self.text(item), "completion": completion, "id": item.id,
                "style": style}


def level_plan(shares: dict[int, float], count: int, key: str) -> list[int]:
    """``count`` levels holding each level of ``shares`` in its share: the floor of each
    level's quota, and the remaining places to the largest remainders (ties drawn by ``key``,
    so that no level is always the one left short)."""
    total = sum(shares.values())
    levels = sorted(level for level, share in shares.items() if share > 0)
    quota = {level: count * shares[level] / total for level in levels}
    counts = {level: int(quota[level]) for level in levels}
    tie = random.Random(key)
    order = sorted(levels, key=lambda level: (-(quota[level] - counts[level]), tie.random()))
    for level in order[:count - sum(counts.values())]:
        counts[level] += 1
    return [level for level in levels for _ in range(counts[level])]


# Draws per task and level the hold-out check looks at, and the most of them that may be
# held-out prompts: above it, training would mostly see the few prompts left.
HOLD_OUT_DRAWS = 512
MAX_HELD_SHARE = 0.85


@dataclass
class HoldOut:
    """How much of one task level the evaluation suite holds out, from ``HOLD_OUT_DRAWS``
    draws: distinct prompts seen, how many of them are held out, the share of draws that were."""

    task: str
    level: int
    seen: int
    held: int
    share: float

    @property
    def left(self) -> int:
        return self.seen - self.held

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "level": self.level, "prompts_seen": self.seen,
                "held_out": self.held, "left": self.left, "held_share": round(self.share, 3)}


def hold_out_report(specs: list[TaskSpec], held_out: set[str], seed: int) -> list[HoldOut]:
    """Per task and level the recipe trains on, what the held-out prompts take of it (only
    levels where they take something)."""
    if not held_out:
        return []
    out = []
    for spec in specs:
        task = get_task(spec.name, **spec.config)
        for level in range(spec.min_level, spec.max_level + 1):
            prompts = [task.item(i * _PROBE_STRIDE + 7, level, seed).prompt
                       for i in range(HOLD_OUT_DRAWS)]
            held = [p in held_out for p in prompts]
            if any(held):
                out.append(HoldOut(spec.name, level, len(set(prompts)),
                                   len({p for p in prompts if p in held_out}),
                                   sum(held) / len(prompts)))
    return out


def check_hold_out(specs: list[TaskSpec], held_out: set[str], seed: int,
                   fail: Callable[[str, str], Exception]) -> list[HoldOut]:
    """Refuse a recipe whose training levels are mostly the evaluation's prompts (naming the
    task, the level and how many prompts are left); return the report of the rest."""
    report = hold_out_report(specs, held_out, seed)
    for i, spec in enumerate(specs):
        for entry in report:
            if entry.task == spec.name and entry.share > MAX_HELD_SHARE:
                raise fail(f"tasks[{i}]", f"task {entry.task!r} level {entry.level}: "
                           f"{entry.held} of the {entry.seen} prompts seen in "
                           f"{HOLD_OUT_DRAWS} draws are held out by the eval suite "
                           f"({entry.left} left, {100 * entry.share:.0f} % of draws held "
                           "out); training would draw evaluation prompts. Evaluate fewer "
                           "items at this level or leave it out of training (min_level)")
    return report


def teacher_completion(text: str, confidence: bool, value: float = 1.0) -> str:
    """A teacher completion; a confidence-eliciting prompt gets a stated ``value`` (100 %, the
    teacher being right by construction, unless the recipe's ``confidence_from`` says how often
    a model answering in this style is right)."""
    return text + f"\nConfidence: {round(100 * value)}%" if confidence else text


def confidence_of(stated: dict[str, Any], style: str, item: Item) -> float:
    """The accuracy ``stated[style]`` (a Summary) measured at the item's task and difficulty;
    its task's accuracy when it lacks the cell, 100 % when it lacks the task or the style."""
    summary = stated.get(style)
    task = summary.tasks.get(item.task) if summary is not None else None
    if task is None:
        return 1.0
    cell = task.by_difficulty.get(str(item.difficulty))
    value = cell.accuracy if cell is not None and cell.accuracy is not None else task.accuracy
    return 1.0 if value is None else float(value)


def slot_dataset(count: int):
    """The dataset TRL's sampler walks: one row per slot, prompts filled in at generation."""
    from datasets import Dataset

    return Dataset.from_dict({"prompt": [""] * count, "slot": list(range(count))})
