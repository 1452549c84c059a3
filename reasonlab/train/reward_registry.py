"""The reward-component registry: what a component is, the context it scores a batch from, and
``@component``, which registers one. The bottom of the rewards: ``reward_components.py`` (the
built-ins) registers through it, and ``reward_spec.py`` reads a recipe's ``rewards:`` block
through it; it imports neither."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reasonlab.core.item import Item
    from reasonlab.core.verdict import Verdict
    from reasonlab.train.recipe import Recipe

# The module of the built-in components, which come first in the order TRL gets them.
BUILTIN_MODULE = "reasonlab.train.reward_components"
# Names a component may not take: RewardSpec's own attributes.
RESERVED = frozenset({"weight", "weights", "config", "to_dict", "from_block"})


@dataclass
class RewardContext:
    """What a component may score a batch from; one per batch, shared by every component."""

    items: list[Item]
    completions: Sequence[str]
    completion_ids: Sequence[Sequence[int]] | None   # None: count characters instead
    verdicts: list[Verdict]          # the item's own verifier: the one verification pass
    judge: list[Verdict] | None      # the judge's verdicts, when an enabled component uses it
    confidence: bool = False         # the prompt asks for a stated ``Confidence: NN%``
    limit: int | None = None         # the token budget: rewards.length_limit, else the TRL limit
    step: int = 0

    @cached_property
    def confidences(self) -> list[float | None]:
        """The stated confidence of each completion, in [0, 1] (None: none stated)."""
        from reasonlab.core.prompting import parse_confidence

        return [parse_confidence(c) for c in self.completions]


@dataclass
class NoConfig:
    """The config of a component that takes none."""


ScoreFn = Callable[[RewardContext, Any], Sequence[float | None]]
CheckFn = Callable[["Recipe", float, Any], None]


@dataclass(frozen=True)
class Component:
    name: str
    score: ScoreFn
    config: type = NoConfig
    default: float = 0.0              # the weight when the recipe does not set one
    check: CheckFn | None = None      # check(recipe, weight, config): raise recipe.fail(...)
    uses_judge: bool = False          # needs the judge's verdicts in the context

    def keys(self) -> dict[str, str]:
        """The block's key of each config field (``length_limit`` -> ``limit``)."""
        return config_keys(self.name, self.config)


def config_keys(name: str, config: Any) -> dict[str, str]:
    """``{"<name>_<field>": field}`` for a config dataclass (or an instance of one)."""
    return {f"{name}_{f.name}": f.name for f in dataclasses.fields(config) if f.init}


_REGISTRY: dict[str, Component] = {}


def component(name: str, *, config: type = NoConfig, default: float = 0.0,
              check: CheckFn | None = None, judge: bool = False) -> Callable[[ScoreFn], ScoreFn]:
    """Register ``fn(ctx, cfg) -> one value per completion`` as the reward component ``name``.
    ``config`` is a dataclass of the component's settings (typed, with defaults); ``check``
    refuses recipes it cannot work with; ``judge=True`` asks for the judge's verdicts."""
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"reward component {name!r}: config must be a dataclass")

    def register(fn: ScoreFn) -> ScoreFn:
        entry = Component(name, fn, config, float(default), check, judge)
        # Every name and config key is one flat key of the block, so none may be taken twice.
        taken = {key for other in _REGISTRY.values() for key in (other.name, *other.keys())}
        clash = sorted(taken & {name, *entry.keys()})
        if not name.isidentifier() or name in RESERVED or name.startswith("_") or clash:
            raise ValueError(f"reward component {name!r}: the name or a config key is taken "
                             f"({', '.join(clash) or name}); unregister() the old one first")
        _REGISTRY[name] = entry
        return fn

    return register


def unregister(name: str) -> None:
    """Remove a component (tests, or a plugin replacing one)."""
    _REGISTRY.pop(name, None)


def registered() -> dict[str, Component]:
    """Every registered component: the built-ins first, then the others as registered."""
    first = {n: c for n, c in _REGISTRY.items() if c.score.__module__ == BUILTIN_MODULE}
    return {**first, **{n: c for n, c in _REGISTRY.items() if n not in first}}
