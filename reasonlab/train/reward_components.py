"""The built-in reward components, one registered function each (``reward_spec.component``), in
the order TRL gets them (weight 0 = off):

- ``correctness``: the item's own verifier score (the shared verification pass), in [0, 1];
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
  (``judge.model``);
- ``flexible``: the item's verifier on the answer the flexible fallback reads when there is no
  answer block (``verifiers/flexible.py``): for a model never taught the tags, by name only.

With ``correctness`` at 0 and a judge reward, the rule verifier is hidden from training: the
curriculum follows the judge's verdicts, not the truth (``rewards.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reasonlab.core.thinking import think_span
from reasonlab.train.reward_registry import NoConfig, RewardContext, component
from reasonlab.verifiers import verifier_names, verify_many
from reasonlab.verifiers.flexible import flexible_verdicts

if TYPE_CHECKING:
    from reasonlab.train.recipe import Recipe

_TRAILING_CONFIDENCE = re.compile(r"\s*confidence\s*[:=]\s*\d{1,3}(?:\.\d+)?\s*%\s*$",
                                  re.IGNORECASE)
Rewards = list[float | None]


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


def token_budget(recipe: Recipe) -> int | None:
    """The limit length shaping and the thinking cost measure against."""
    return recipe.rewards.length_limit or recipe.trl.get("max_completion_length")


def _need_budget(recipe: Recipe, weight: float) -> None:
    if weight and not token_budget(recipe):
        raise recipe.fail("rewards.length_limit", "length shaping and a thinking cost need a "
                          "limit: set rewards.length_limit or trl.max_completion_length")


@component("correctness", default=1.0)
def correctness(ctx: RewardContext, cfg: NoConfig) -> Rewards:
    return [v.score for v in ctx.verdicts]


@component("format", default=0.1)
def format_(ctx: RewardContext, cfg: NoConfig) -> Rewards:
    texts = [_TRAILING_CONFIDENCE.sub("", c) if ctx.confidence else c for c in ctx.completions]
    return [v.score for v in verify_many(list(zip(ctx.items, texts, strict=True)),
                                         verifier="format")]


@dataclass
class LengthConfig:
    limit: int | None = None   # rewards.length_limit; default: trl.max_completion_length
    cache: int | None = None   # rewards.length_cache; default: a quarter of the limit


def _check_length(recipe: Recipe, weight: float, cfg: LengthConfig) -> None:
    _need_budget(recipe, weight)
    limit = token_budget(recipe)
    if cfg.limit is not None and cfg.limit < 1:
        raise recipe.fail("rewards.length_limit", f"must be at least 1, got {cfg.limit}")
    if cfg.cache is not None and limit and not 0 < cfg.cache <= limit:
        raise recipe.fail("rewards.length_cache", f"must be in 1..length_limit ({limit}), "
                          f"got {cfg.cache}")


@component("length", config=LengthConfig, check=_check_length)
def length(ctx: RewardContext, cfg: LengthConfig) -> Rewards:
    cache = cfg.cache or (max(1, ctx.limit // 4) if ctx.limit else None)
    lengths = [len(ids) for ids in ctx.completion_ids] if ctx.completion_ids is not None \
        else [len(c) for c in ctx.completions]
    return [soft_overlong(n, ctx.limit, cache) for n in lengths]


def _check_thinking(recipe: Recipe, weight: float, cfg: NoConfig) -> None:
    _need_budget(recipe, weight)


@component("thinking", check=_check_thinking)
def thinking(ctx: RewardContext, cfg: NoConfig) -> Rewards:
    ids = ctx.completion_ids
    return [-min(1.0, thinking_tokens(c, None if ids is None else ids[i]) / ctx.limit)
            for i, c in enumerate(ctx.completions)]


def _check_calibration(recipe: Recipe, weight: float, cfg: NoConfig) -> None:
    if weight and not recipe.prompt.confidence:
        raise recipe.fail("rewards.calibration", "a calibration reward needs the model to state "
                          "a confidence: set prompt.confidence: true")


@component("calibration", check=_check_calibration)
def calibration(ctx: RewardContext, cfg: NoConfig) -> Rewards:
    return [brier_reward(c, v.score) for c, v in zip(ctx.confidences, ctx.verdicts, strict=True)]


def _check_judge(recipe: Recipe, weight: float, cfg: NoConfig) -> None:
    if weight and "judge" not in verifier_names():
        raise recipe.fail("rewards.judge", "no verifier named 'judge' is registered; set "
                          "rewards.judge: 0 or install the judge verifier")


@component("judge", check=_check_judge, judge=True)
def judge(ctx: RewardContext, cfg: NoConfig) -> Rewards:
    return [v.score for v in ctx.judge or ()]   # judge=True: the scorer ran the judge


@component("flexible")
def flexible(ctx: RewardContext, cfg: NoConfig) -> Rewards:
    """The flexible verdict's score (``verifiers/flexible.py``): the strict one when the answer
    block is there, else the item's verifier on the answer the documented fallback reads. Off
    unless a recipe names it (``rewards.flexible``); a list of numbers never scores."""
    texts = [_TRAILING_CONFIDENCE.sub("", c) if ctx.confidence else c for c in ctx.completions]
    verdicts = flexible_verdicts(list(zip(ctx.items, texts, strict=True)), ctx.verdicts)
    return [v.score if v.decided else None for v in verdicts]
