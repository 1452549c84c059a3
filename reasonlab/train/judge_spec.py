"""The ``judge`` block of a recipe, and its checks.

A ``judge`` recipe (``reasonlab train judge``) trains a judge: ``style`` (``cot``: reasons,
then the verdict line; ``direct``: the verdict line only), ``template`` (the prompt it is
trained and later asked with), ``data`` (a ``reasonlab judge data`` file; default: perturbed
teacher traces of the recipe's tasks, ``sft_items`` of them).

An ``rl`` recipe with ``rewards.judge`` names its judge here: ``model`` (a local folder, judged
in process, or served with ``serve: true``; or an ``openai:URL#MODEL`` endpoint), ``template``,
``max_tokens``, and the reward-hacking ``alarm`` (see ``reasonlab.train.alarm``).

```yaml
judge: {model: runs/judge/final, template: reference-short-v1, serve: false, max_tokens: 96,
        style: cot, data: null, see_reasoning: false,
        alarm: {window: 2, rise: 0.1, fall: 0.05, widen: 0.15, gap: 0.3}}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reasonlab.train.recipe import Recipe

STYLES = ("cot", "direct")


@dataclass
class AlarmSpec:
    """Reward hacking: over the last ``window`` + 1 in-loop evaluations, the judge's mean reward
    on held-out items rose by at least ``rise`` while their true accuracy fell by at least
    ``fall``, or the gap (judge reward − true accuracy) widened by at least ``widen``; or, at
    any evaluation, the gap is at least ``gap`` (None: off). See ``alarm.py``."""

    window: int = 2
    rise: float = 0.1
    fall: float = 0.05
    widen: float = 0.15
    gap: float | None = 0.3


@dataclass
class JudgeSpec:
    model: str | None = None
    template: str = "reference-short-v1"
    serve: bool = False
    max_tokens: int = 96
    see_reasoning: bool = False
    style: str = "cot"
    data: str | None = None
    alarm: AlarmSpec = field(default_factory=AlarmSpec)


def check_judge(recipe: Recipe) -> None:
    """Fields that apply to the recipe's kind, with values that can work."""
    from reasonlab.judges.templates import template_named

    fail, j = recipe.fail, recipe.judge
    try:
        template = template_named(j.template)
    except ValueError as exc:
        raise fail("judge.template", str(exc)) from None
    if template.mode != "reference":
        raise fail("judge.template", f"a trained judge works in reference mode; "
                                     f"{j.template!r} is a {template.mode} template")
    if j.max_tokens < 1:
        raise fail("judge.max_tokens", f"must be at least 1, got {j.max_tokens}")
    if recipe.kind == "judge":
        if j.style not in STYLES:
            raise fail("judge.style", f"must be one of {', '.join(STYLES)}, got {j.style!r}")
        if j.data is not None and not Path(j.data).is_file():
            raise fail("judge.data", f"no such file {j.data!r}; make one with `reasonlab "
                                     "judge data` or remove the field")
        if j.model is not None:
            raise fail("judge.model", "a judge recipe trains `model`; judge.model names the "
                                      "judge an RL recipe is rewarded by (remove it)")
        for key in sorted(recipe.given_keys()):
            if key.startswith(("judge.alarm", "judge.serve")):
                raise fail(key, "applies to the judge of an RL run; judge training would "
                                "ignore it (remove it)")
        return
    if recipe.kind == "rl" and recipe.rewards.judge:
        if not recipe.eval.every or recipe.eval.suite is None:
            # A learned judge can be fooled; the alarm compares it with the truth on held-out
            # evaluations, so a judge reward without them runs unwatched.
            raise fail("eval.every", "a judge reward is watched by the reward-hacking alarm, "
                       "which needs in-loop evaluation: set eval.every > 0 and eval.suite "
                       "(docs/judges.md, the alarm)")
        a = j.alarm
        if a.window < 1:
            raise fail("judge.alarm.window", f"must be at least 1 evaluation, got {a.window}")
        for name in ("rise", "fall", "widen", "gap"):
            if getattr(a, name) is not None and not 0 <= getattr(a, name) <= 1:
                raise fail(f"judge.alarm.{name}", f"must be in 0..1, got {getattr(a, name)}")
        given = recipe.given_keys()
        for key in ("judge.style", "judge.data"):
            if key in given:
                raise fail(key, "applies to judge training (kind: judge); an RL recipe would "
                                "ignore it (remove it)")
        if j.model is None:
            # The judge verifier's own endpoint (REASONLAB_JUDGE or the items'), judging with
            # this block's template, max_tokens and see_reasoning (judges/runtime.py).
            if j.serve:
                raise fail("judge.serve", "serve: true starts `reasonlab serve` for the folder "
                                          "judge.model names; set judge.model")
            return
        from reasonlab.judges.local_client import judge_spec_problem

        problem = judge_spec_problem(j.model)
        if problem is not None:
            raise fail("judge.model", problem)
        if j.serve and j.model.startswith("openai:"):
            raise fail("judge.serve", "an endpoint is served already; serve: true starts "
                                      "`reasonlab serve` for a model folder")
        return
    if j.model is not None:
        raise fail("judge.model", "only an RL recipe with rewards.judge > 0 uses a judge model "
                                  "(set rewards.judge or remove the field)")
    stray = sorted(k for k in recipe.given_keys()
                   if k == "judge" or k.startswith("judge."))
    if stray:
        raise fail(stray[0], "only an RL recipe with rewards.judge > 0 (or a judge recipe) "
                             "uses the judge block; this one would ignore it (remove it)")
