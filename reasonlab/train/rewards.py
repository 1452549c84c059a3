"""Rewards built from reasonlab verifiers, one TRL reward function per component so TRL logs each
one separately (``rewards/correctness/mean``, ``rewards/format/mean``, …) and weights them with
``reward_weights``.

Components (weight 0 = off):

- ``correctness``: the item's own verifier score (``verify_many``), in [0, 1];
- ``format``: 1 when the completion is one ``<think>`` block then one ``<answer>`` block (a
  trailing ``Confidence:`` line allowed when the prompt asks for one), else 0;
- ``length``: DAPO's soft overlong punishment, 0 up to ``limit - cache`` tokens, then falling
  linearly to -1 at ``limit`` and below it beyond;
- ``thinking``: a cost per thinking token, ``-(thinking tokens) / limit`` in [-1, 0], so that
  thinking has to pay for itself (compute allocation: answer easy items directly, think on hard
  ones); the weight is the price of a thought as long as the limit;
- ``calibration``: ``1 - (confidence - correctness)²``, a Brier score of the stated
  ``Confidence: NN%`` (no stated confidence = 0, the worst Brier score);
- ``judge``: the score of the verifier registered as ``judge``, or of the recipe's own judge
  (``judge.model``, passed in as ``judge``).

With ``correctness`` at 0 and a judge reward, the rule verifier is hidden from training: the
curriculum follows the judge's verdicts, not the truth. The rule verdicts are still computed
and logged (``verdicts/correct``: the true accuracy of the training samples) so that a judge
being fooled shows; they never enter the reward.

Masking: when a verifier the reward needs cannot decide (``error``/``timeout``), every component
returns None for that completion. TRL turns None into NaN; a completion whose components are all
NaN is left out of its group's baseline and gets advantage 0. (Masking one component only would not
do: TRL sums components with ``nansum``, which would read the missing one as 0.)

All components come from one scoring pass per batch (the verifiers run once), which also feeds the
curriculum and writes the rollout log.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reasonlab.core.prompting import parse_confidence
from reasonlab.evaluate.overthinking import think_span
from reasonlab.tasks import Item
from reasonlab.train.config import RewardSpec
from reasonlab.verifiers import Verdict, verify_many

COMPONENTS = ("correctness", "format", "length", "thinking", "calibration", "judge")
_TRAILING_CONFIDENCE = re.compile(r"\s*confidence\s*[:=]\s*\d{1,3}(?:\.\d+)?\s*%\s*$",
                                  re.IGNORECASE)


def soft_overlong(length: int, limit: int, cache: int) -> float:
    """DAPO's soft overlong punishment (Yu et al. 2025, eq. 13)."""
    if length <= limit - cache:
        return 0.0
    if length <= limit:
        return (limit - cache - length) / cache
    return -1.0


def thinking_tokens(completion: str, ids: Sequence[int] | None) -> float:
    """Tokens spent thinking: the thinking text's share of the completion's characters times
    its token count (exact for a character tokenizer; characters when no ids are given). An
    empty think block costs nothing: answering directly is what the cost makes worth trying."""
    span = len(think_span(completion).text.strip()) if completion else 0
    if ids is None or not completion:
        return float(span)
    return len(ids) * span / len(completion)


def brier_reward(confidence: float | None, score: float) -> float:
    """1 − (c − y)²; a missing confidence scores as the worst case, 0."""
    if confidence is None:
        return 0.0
    return 1.0 - (confidence - score) ** 2


@dataclass
class BatchScore:
    """One batch: each completion's verdicts and component rewards (None = masked)."""

    verdicts: list[Verdict]
    judge: list[Verdict] | None
    components: dict[str, list[float | None]]
    masked: list[bool]


class RewardScorer:
    """Scores batches of (item, completion) once and serves each component to TRL."""

    def __init__(self, spec: RewardSpec, *, confidence: bool = False,
                 length_limit: int | None = None, curriculum: Any = None,
                 on_batch: Callable[[int, Sequence[str], list[Item], Sequence[str], BatchScore],
                                    None] | None = None,
                 gather: Callable[[list], list] | None = None, judge: Any = None):
        self.spec = spec
        self.judge = judge   # a verifier with check_many (the recipe's judge); None: registry
        self.confidence = confidence
        self.limit = spec.length_limit or length_limit
        self.cache = spec.length_cache or (max(1, self.limit // 4) if self.limit else None)
        self.curriculum = curriculum
        self.on_batch = on_batch
        self.gather = gather or (lambda values: values)
        self._last_key: tuple | None = None
        self._last: BatchScore | None = None

    def weights(self) -> dict[str, float]:
        return {name: float(getattr(self.spec, name)) for name in COMPONENTS
                if getattr(self.spec, name)}

    def functions(self) -> tuple[list[Callable[..., list[float | None]]], list[float]]:
        """TRL reward functions (named after their component) and their weights."""
        funcs, weights = [], []
        for name, weight in self.weights().items():
            funcs.append(self._component(name))
            weights.append(weight)
        return funcs, weights

    def _component(self, name: str) -> Callable[..., list[float | None]]:
        def reward(prompts: list[str], completions: list[str], item: list[dict],
                   completion_ids: list[list[int]] | None = None, trainer_state: Any = None,
                   log_metric: Callable[[str, float], None] | None = None,
                   **_: Any) -> list[float | None]:
            step = (trainer_state.global_step + 1) if trainer_state is not None else 0
            batch = self.score([as_text(c) for c in completions], item, completion_ids,
                               step=step, log_metric=log_metric,
                               prompts=[as_text(p) for p in prompts])
            return batch.components[name]

        reward.__name__ = reward.__qualname__ = name
        return reward

    def score(self, completions: Sequence[str], items: Sequence[dict | Item],
              completion_ids: Sequence[Sequence[int]] | None = None, *, step: int = 0,
              log_metric: Callable[[str, float], None] | None = None,
              prompts: Sequence[str] | None = None) -> BatchScore:
        """Verify the batch (once: the components of one batch share this result)."""
        key = (step, tuple(completions), tuple(i["id"] if isinstance(i, dict) else i.id
                                               for i in items))
        if key == self._last_key and self._last is not None:
            return self._last
        parsed = _as_items(items)
        pairs = list(zip(parsed, completions, strict=True))
        verdicts = verify_many(pairs)
        judge = None
        if self.spec.judge:
            judge = (self.judge.check_many(pairs) if self.judge is not None
                     else verify_many(pairs, verifier="judge"))
        batch = self._components(parsed, completions, completion_ids, verdicts, judge)
        self._last_key, self._last = key, batch
        self._after_batch(step, parsed, completions, batch, log_metric)
        if self.on_batch is not None:
            texts = prompts if prompts is not None else [i.prompt for i in parsed]
            self.on_batch(step, texts, parsed, completions, batch)
        return batch

    def _components(self, items: list[Item], completions: Sequence[str],
                    completion_ids: Sequence[Sequence[int]] | None, verdicts: list[Verdict],
                    judge: list[Verdict] | None) -> BatchScore:
        n = len(items)
        masked = [not v.decided or (judge is not None and not judge[i].decided)
                  for i, v in enumerate(verdicts)]
        out: dict[str, list[float | None]] = {}
        if self.spec.correctness:
            out["correctness"] = [v.score for v in verdicts]
        if self.spec.format:
            texts = [_TRAILING_CONFIDENCE.sub("", c) if self.confidence else c
                     for c in completions]
            fmt = verify_many(list(zip(items, texts, strict=True)), verifier="format")
            out["format"] = [v.score for v in fmt]
        if self.spec.length:
            lengths = [len(ids) for ids in completion_ids] if completion_ids is not None else \
                [len(c) for c in completions]
            out["length"] = [soft_overlong(length, self.limit, self.cache) for length in lengths]
        if self.spec.thinking:
            out["thinking"] = [-min(1.0, thinking_tokens(c, None if completion_ids is None
                                                         else completion_ids[i]) / self.limit)
                               for i, c in enumerate(completions)]
        if self.spec.calibration:
            out["calibration"] = [brier_reward(parse_confidence(c), v.score)
                                  for c, v in zip(completions, verdicts, strict=True)]
        if judge is not None:
            out["judge"] = [v.score for v in judge]
        for values in out.values():
            for i in range(n):
                if masked[i]:
                    values[i] = None
        return BatchScore(verdicts, judge, out, masked)

    def _after_batch(self, step: int, items: list[Item], completions: Sequence[str],
                     batch: BatchScore, log_metric: Callable[[str, float], None] | None) -> None:
        counts = Counter(v.status for v in batch.verdicts)
        if log_metric is not None:
            for status in ("correct", "wrong", "unparsable", "timeout", "error"):
                log_metric(f"verdicts/{status}", counts[status] / max(1, len(batch.verdicts)))
            log_metric("verdicts/masked", sum(batch.masked) / max(1, len(batch.masked)))
        if self.curriculum is not None:
            # Every process must update its curriculum identically (groups span processes).
            # The truth is hidden from a run rewarded by a judge alone: levels follow the judge.
            seen = batch.judge if batch.judge is not None and not self.spec.correctness \
                else batch.verdicts
            local = [(item.task, item.difficulty, v.score)
                     for item, v, m in zip(items, seen, batch.masked, strict=True)
                     if not m]
            for task, difficulty, score in self.gather(local):
                # Samples drawn before a level change in this batch say nothing of the new level.
                if difficulty == self.curriculum.level(task):
                    self.curriculum.record(task, score, step)
            if log_metric is not None:
                for name, value in self.curriculum.metrics().items():
                    log_metric(name, value)


def as_text(value: str | list[dict[str, Any]]) -> str:
    """A completion or prompt as text; TRL passes chat ones as lists of messages."""
    if isinstance(value, str):
        return value
    return "\n\n".join(str(m.get("content", "")) for m in value)


def _as_items(items: Sequence[dict | Item]) -> list[Item]:
    cache: dict[str, Item] = {}
    out = []
    for obj in items:
        if isinstance(obj, Item):
            out.append(obj)
            continue
        if obj["id"] not in cache:
            cache[obj["id"]] = Item.from_dict(obj)
        out.append(cache[obj["id"]])
    return out
