"""A recipe's ``rewards:`` block, read through the reward-component registry
(``reward_registry.py``: what a component is, the context it is scored from, ``@component``).

A component is one function registered with ``@component``; the built-in ones live in
``reward_components.py``, and a new one is one more decorated function there, or in a module of
another package that declares it in the ``reasonlab.rewards`` entry-point group::

    @dataclass
    class ShortConfig:
        chars: int = 200

    @component("short", config=ShortConfig)
    def short(ctx: RewardContext, cfg: ShortConfig) -> list[float | None]:
        return [1.0 if len(c) <= cfg.chars else 0.0 for c in ctx.completions]

It is then a ``rewards:`` key like the built-ins (``short: 0.2, short_chars: 120``): its weight
under its own name (0 = off, the default) and each config field as ``<name>_<field>``. So the
block keeps the flat form recipes have always had (``length_limit`` is the ``limit`` field of
``length``'s config). Values are typed and located like every other recipe field (``core.spec``),
and ``check`` adds the component's cross-field checks against the whole recipe.

Every enabled component is called once per batch with the same ``RewardContext``: the verdicts
of the one verification pass, the judge's when a component uses the judge, and the rest of the
batch. ``RewardScorer`` (``rewards.py``) masks undecided completions and serves each component
to TRL as its own reward function.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import reasonlab.train.reward_components  # noqa: F401  (registers the built-ins, in order)
from reasonlab.core.errors import ConfigError
from reasonlab.core.spec import Fail, build, coerce, locator
from reasonlab.train.reward_registry import (  # noqa: F401  (re-exported: the public API)
    CheckFn,
    Component,
    NoConfig,
    RewardContext,
    ScoreFn,
    component,
    config_keys,
    registered,
    unregister,
)

if TYPE_CHECKING:
    from reasonlab.train.recipe import Recipe


# Another package adds components by declaring its module in this entry-point group; the
# registry imports it (which runs its @component decorators) before a recipe is read, so
# `reasonlab train rl` sees them with no change to reasonlab.
PLUGIN_GROUP = "reasonlab.rewards"
# The components every run's config.yaml has recorded since the first release; any other one
# (a plugin's, or a built-in added since) is recorded only when the recipe sets it, so that a
# run made before it existed still resumes.
ALWAYS_RECORDED = ("correctness", "format", "length", "thinking", "calibration", "judge")
_plugins_loaded = False


def registry() -> dict[str, Component]:
    """Every registered component, in the order TRL gets them (the built-ins first)."""
    return registered()


def load_plugins() -> None:
    """Import every module declared in the ``reasonlab.rewards`` entry-point group (once)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    registry()   # the built-ins keep their place ahead of any plugin
    from importlib.metadata import entry_points

    for point in entry_points(group=PLUGIN_GROUP):
        point.load()


class RewardSpec:
    """The ``rewards:`` block: each component's weight (0 = off) and config. Reads like the flat
    block (``spec.length``, ``spec.length_limit``); ``RewardSpec(correctness=1.0, length=0.1,
    length_limit=50)`` builds one from the block's keys, checked as a recipe's are."""

    def __init__(self, **values: Any):
        self._weights, self._configs = _parse(values, locator(None), "rewards")

    @classmethod
    def from_block(cls, raw: Any, fail: Fail, where: str = "rewards") -> RewardSpec:
        """The block as read from a recipe: unknown keys and wrong types fail at their line."""
        if not isinstance(raw, dict):
            raise fail(where, f"must be a mapping, got {type(raw).__name__}")
        spec = cls.__new__(cls)
        spec._weights, spec._configs = _parse(raw, fail, where)
        return spec

    def weight(self, name: str) -> float:
        return self._weights.get(name, 0.0)

    def config(self, name: str) -> Any:
        return self._configs[name]

    def weights(self) -> dict[str, float]:
        """Every component's weight, 0 included, in registry order."""
        return dict(self._weights)

    def to_dict(self) -> dict[str, Any]:
        """The flat block, as a recipe writes it (a run's ``config.yaml``). A component outside
        ``ALWAYS_RECORDED`` appears only when the block sets it, so installing a plugin (or an
        upgrade that adds a component) does not change the recipe a run recorded, and its
        resume still matches."""
        out: dict[str, Any] = {}
        components = registry()
        for name, weight in self._weights.items():
            comp = components.get(name)
            if (comp is not None and name not in ALWAYS_RECORDED
                    and weight == comp.default and self._configs[name] == comp.config()):
                continue
            out[name] = weight
            cfg = dataclasses.asdict(self._configs[name])
            out.update({key: cfg[field]
                        for key, field in config_keys(name, self._configs[name]).items()})
        return out

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):   # copy/pickle probe dunders before __dict__ exists
            raise AttributeError(key)
        if key in self._weights:
            return self._weights[key]
        for name, cfg in self._configs.items():
            field = config_keys(name, cfg).get(key)
            if field is not None:
                return getattr(cfg, field)
        raise AttributeError(f"no reward component or setting {key!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RewardSpec) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return "RewardSpec(" + ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items()) + ")"


def _parse(raw: dict, fail: Fail, where: str) -> tuple[dict[str, float], dict[str, Any]]:
    load_plugins()
    components = registry()
    owner = {key: (c.name, field) for c in components.values() for key, field in c.keys().items()}
    for key in raw:
        if key not in components and key not in owner:
            known = sorted([*components, *owner])
            raise fail(f"{where}.{key}", f"unknown field; known: {', '.join(known)}")
    settings: dict[str, dict[str, Any]] = {name: {} for name in components}
    for key, value in raw.items():
        if key in owner:
            settings[owner[key][0]][owner[key][1]] = value
    weights, configs = {}, {}
    for name, comp in components.items():
        weights[name] = (coerce(float, raw[name], f"{where}.{name}", fail) if name in raw
                         else comp.default)
        # The config's own field paths (``limit``) are reported as the block's keys.
        configs[name] = build(comp.config, settings[name], _prefixed(fail, f"{where}.{name}_"))
    return weights, configs


def _prefixed(fail: Fail, prefix: str) -> Fail:
    def located(field: str, message: str) -> ConfigError:
        return fail(prefix + field, message)

    return located


def check_components(recipe: Recipe) -> None:
    """Weights >= 0 with at least one on, then each component's own checks."""
    fail, spec = recipe.fail, recipe.rewards
    weights = spec.weights()
    if not any(weights.values()):
        raise fail("rewards", "every reward weight is 0; set at least rewards.correctness")
    for name, weight in weights.items():
        if weight < 0:
            raise fail(f"rewards.{name}", f"must be >= 0 (0 = off), got {weight}; "
                       "penalties are built into the components")
    for name, comp in registry().items():
        if comp.check is not None and name in weights:
            comp.check(recipe, weights[name], spec.config(name))
