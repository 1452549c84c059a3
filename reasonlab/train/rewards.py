"""Rewards built from reasonlab verifiers, one TRL reward function per component so TRL logs each
one separately (``rewards/correctness/mean``, ``rewards/format/mean``, …) and weights them with
``reward_weights``. The components are registered functions (``reward_components.py`` has the
built-in ones, ``reward_spec.py`` the registry); this module scores them.

The rule verdicts are computed and logged (``verdicts/correct``: the true accuracy of the
training samples) even when ``correctness`` is 0 and a judge rewards, so that a judge being
fooled shows; then they never enter the reward and the curriculum follows the judge.

Masking: when a verifier the reward needs cannot decide (``error``/``timeout``), every component
returns None for that completion. TRL turns None into NaN; a completion whose components are all
NaN is left out of its group's baseline and gets advantage 0. (Masking one component only would not
do: TRL sums components with ``nansum``, which would read the missing one as 0.)

All components come from one scoring pass per batch (the verifiers run once), which also feeds the
curriculum and writes the rollout log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reasonlab.tasks import Item
from reasonlab.train.reward_components import brier_reward, soft_overlong, thinking_tokens
from reasonlab.train.reward_spec import RewardContext, RewardSpec, registry
from reasonlab.verifiers import Verdict, verify_many

# Kept importable from here, where the scorer's tests and callers have always found them.
__all__ = ["BatchScore", "RewardScorer", "as_text", "brier_reward", "soft_overlong",
           "thinking_tokens"]


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
        # The token budget length shaping and the thinking cost share (rewards.length_limit).
        self.limit = spec.length_limit or length_limit
        self.curriculum = curriculum
        self.on_batch = on_batch
        self.gather = gather or (lambda values: values)
        self._last_key: tuple | None = None
        self._last: BatchScore | None = None

    def weights(self) -> dict[str, float]:
        return {name: float(weight) for name, weight in self.spec.weights().items() if weight}

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
        components = registry()
        if any(components[name].uses_judge for name in self.weights()):
            judge = (self.judge.check_many(pairs) if self.judge is not None
                     else verify_many(pairs, verifier="judge"))
        ctx = RewardContext(parsed, completions, completion_ids, verdicts, judge,
                            confidence=self.confidence, limit=self.limit, step=step)
        batch = self._components(ctx)
        self._last_key, self._last = key, batch
        self._after_batch(step, parsed, completions, batch, log_metric)
        if self.on_batch is not None:
            texts = prompts if prompts is not None else [i.prompt for i in parsed]
            self.on_batch(step, texts, parsed, completions, batch)
        return batch

    def _components(self, ctx: RewardContext) -> BatchScore:
        verdicts, judge = ctx.verdicts, ctx.judge
        masked = [not v.decided or (judge is not None and not judge[i].decided)
                  for i, v in enumerate(verdicts)]
        components = registry()
        out: dict[str, list[float | None]] = {}
        for name in self.weights():
            values = list(components[name].score(ctx, self.spec.config(name)))
            if len(values) != len(verdicts):
                raise ValueError(f"reward component {name!r} returned {len(values)} values for "
                                 f"{len(verdicts)} completions")
            out[name] = values
        for values in out.values():
            for i, m in enumerate(masked):
                if m:
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
            seen = batch.judge if batch.judge is not None and not self.spec.weight("correctness") \
                else batch.verdicts
            local = [(item.task, item.difficulty, v.score)
                     for item, v, m in zip(items, seen, batch.masked, strict=True)
                     if not m]
            for task, difficulty, score in self.gather(local):
                # Samples drawn before a level change in this batch say nothing of the new level.
                if self.curriculum.tracks(task, difficulty):
                    self.curriculum.record_at(task, difficulty, score, step)
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
