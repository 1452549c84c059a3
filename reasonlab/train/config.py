"""Training recipes: what to train (model, tasks, levels), how to reward it, and the TRL settings
passed through untouched. A recipe is a YAML file or the name of a built-in one
(``reasonlab/recipes/<name>.yaml``). Every error names the file, line and field and says how to fix
it; combinations that cannot work are caught at start-up, as TRL's ``GRPOConfig`` does.

```yaml
kind: rl                 # rl | sft | judge
model: init:tiny         # init:tiny | init:small | a local HF checkpoint folder
seed: 0
max_steps: 200
tasks:                   # drawn by weight; each has its own level range and curriculum
  - {name: addition, weight: 1, min_level: 1, max_level: 4, start_level: 1, config: {}}
prompt: {template: default, confidence: false, chat: auto}   # chat: auto | true | false
curriculum: {enabled: true, window: 32, promote_at: 0.8, demote_at: 0.3}
rewards: {correctness: 1.0, format: 0.1, length: 0.0, length_limit: null, length_cache: null,
          thinking: 0.0, calibration: 0.0, judge: 0.0}   # any registered component (reward_spec.py)
checkpoint: {every: 50, keep: 2}
eval: {every: 0, suite: smoke, batch_size: 32}
rollouts: true           # DIR/rollouts/step-N.jsonl (RL only)
drop_zero_variance_groups: false   # RL: groups whose completions all scored alike leave the loss
generation_backend: trl  # RL: trl (model.generate) | reasonlab (its decoding loop, bf16 on a CPU)
sft_items: 2000          # SFT: distinct teacher examples drawn over the tasks' level ranges
styles: {full: 1.0}      # SFT: reasoning styles by weight, chosen per item (full | direct | …)
phases: []               # SFT: stages run in order, e.g. skill then habit (see PhaseSpec)
judge: {}                # judge recipes: style, data; RL: the judge model (judge_spec.py)
trl: {learning_rate: 1.0e-5, num_generations: 8, beta: 0.0, loss_type: dapo}
```
"""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ConfigError
from reasonlab.core.spec import build, builtin_names, builtin_or_file
from reasonlab.core.yamlfile import load_yaml, parse_yaml
from reasonlab.train.judge_spec import check_judge
from reasonlab.train.recipe import (  # noqa: F401  (the recipe's types, re-exported here)
    KINDS,
    CheckpointSpec,
    CurriculumSpec,
    EvalSpec,
    PhaseSpec,
    PromptSpec,
    Recipe,
    TaskSpec,
    recipe_locator,
)
from reasonlab.train.recipe_checks import (
    OWNED_TRL_KEYS,
    check_confidence_from,
    check_rewards,
    check_styles,
)
from reasonlab.train.reward_spec import RewardSpec

# report_to backend -> the module it needs
REPORTERS = {"tensorboard": "tensorboard", "wandb": "wandb", "trackio": "trackio"}


BUILTIN_DIR = "recipes"


def builtin_recipes() -> list[str]:
    return builtin_names(BUILTIN_DIR)


def recipe_path(name_or_path: str) -> Path:
    return builtin_or_file(name_or_path, BUILTIN_DIR, what="recipe", field="--config")


def load_recipe(name_or_path: str, overrides: list[str] | None = None,
                kind: str | None = None) -> Recipe:
    """Read, override (``key.path=value``, value read as YAML), validate and return a recipe.
    ``kind`` is what the command expects (``train rl`` refuses an SFT recipe). An error in a
    field an override gave is reported at the ``--set`` flag, not at the file."""
    path = recipe_path(name_or_path)
    raw, lines = load_yaml(path)
    given: dict[str, str] = {}
    for pair in overrides or []:
        raw = apply_override(raw, pair)
        given[pair.partition("=")[0]] = pair
    recipe = parse_recipe(raw, source=str(path), lines=lines, overrides=given)
    if kind is not None and recipe.kind != kind:
        raise recipe.fail("kind", f"this is a {recipe.kind!r} recipe; run `reasonlab train "
                                  f"{recipe.kind}` with it, or pick a {kind!r} recipe")
    return recipe


_STEP = re.compile(r"([A-Za-z_][\w-]*)((?:\[\d+\])*)$")


def apply_override(raw: Any, pair: str) -> dict:
    """``raw`` with ``KEY=VALUE`` applied: KEY is a dotted path whose steps may index a list
    (``tasks[0].start_level``, ``phases[1].trl.learning_rate``); VALUE is read as YAML. An
    index past the end of a list is refused, naming the flag."""
    key, sep, text = pair.partition("=")
    if not sep or not key:
        raise ConfigError(f"expected KEY=VALUE (e.g. trl.learning_rate=1e-4), got {pair!r}",
                          field="--set")
    value, _ = parse_yaml(text, source="--set")
    steps: list[str | int] = []
    for part in key.split("."):
        match = _STEP.match(part)
        if not match:
            raise ConfigError(f"cannot read {key!r} as a field path (e.g. trl.beta or "
                              "tasks[0].start_level)", field=f"--set {pair}")
        steps.append(match.group(1))
        steps += [int(i) for i in re.findall(r"\[(\d+)\]", match.group(2))]
    return _set(raw if isinstance(raw, dict) else {}, steps, value, pair)


def _set(node: Any, steps: list[str | int], value: Any, pair: str) -> Any:
    """A copy of ``node`` with ``value`` at ``steps`` (dicts made on the way as needed)."""
    if not steps:
        return value
    head, rest = steps[0], steps[1:]
    if isinstance(head, int):
        if not isinstance(node, list) or not 0 <= head < len(node):
            size = len(node) if isinstance(node, list) else 0
            raise ConfigError(f"index [{head}] is past the list ({size} entries)",
                              field=f"--set {pair}")
        out = list(node)
        out[head] = _set(out[head], rest, value, pair)
        return out
    out = dict(node) if isinstance(node, dict) else {}
    child = out.get(head)
    out[head] = _set(child if isinstance(child, (dict, list)) or not rest else {}, rest,
                     value, pair)
    return out


def parse_recipe(raw: Any, *, source: str = "", lines: dict[str, int] | None = None,
                 overrides: dict[str, str] | None = None) -> Recipe:
    lines, overrides = lines or {}, overrides or {}
    fail = recipe_locator(source, lines, overrides)
    if not isinstance(raw, dict):
        raise fail("(top level)", f"a recipe is a mapping of fields, got {type(raw).__name__}")
    # The rewards block is open (any registered component), so the registry reads it.
    rest = {key: value for key, value in raw.items() if key != "rewards"}
    recipe = build(Recipe, rest, fail, skip={"source", "lines", "overrides", "rewards"})
    if "rewards" in raw:
        recipe.rewards = RewardSpec.from_block(raw["rewards"], fail)
    recipe.source, recipe.lines, recipe.overrides = source, lines, overrides
    if recipe.phases and "max_steps" in overrides:
        # Each phase sets its own steps; a top-level max_steps would be recorded but never run
        # (the recipe records the phases' total instead, below).
        raise fail("max_steps", "a phased recipe sets each phase's max_steps; set "
                                "phases[i].max_steps instead")
    validate(recipe)
    if recipe.phases:
        recipe.max_steps = sum(p.max_steps for p in recipe.phases)   # what config.yaml records
    return recipe


def resolve_prompt_form(recipe: Recipe) -> None:
    """``prompt.chat: auto`` becomes true or false by the model's tokenizer (the rule of
    ``models/prompt_form.py``), so config.yaml records the form that ran."""
    from reasonlab.models.prompt_form import decide_for

    requested = {True: "on", False: "off"}.get(recipe.prompt.chat, "auto")
    try:
        recipe.prompt.chat = decide_for(recipe.model, requested, "prompt.chat").chat
    except ConfigError as exc:
        raise recipe.fail("prompt.chat", exc.message) from None



# Keys only RL reads: an SFT or judge recipe that sets one would train as if it were not there.
RL_ONLY_KEYS = ("rewards", "curriculum", "rollouts", "generation_backend")


def check_rl_only_keys(recipe: Recipe, fail) -> None:
    given = sorted(recipe.given_keys())
    for key in given:
        if key.split(".")[0] in RL_ONLY_KEYS or key.endswith(".start_level"):
            raise fail(key, f"applies to RL recipes only; {recipe.kind} training would ignore "
                            "it (remove it)")
    # A start_level inside a whole ``--set tasks=[...]`` has no key of its own: read the flag.
    tasks_flag = recipe.overrides.get("tasks", "")
    if "start_level" in tasks_flag:
        raise fail("tasks", f"start_level applies to RL recipes only; {recipe.kind} training "
                            "would ignore it (remove it)")


def check_level_shares(recipe: Recipe, spec: TaskSpec, where: str) -> None:
    """``levels: {2: 0.5, 3: 0.5}``: levels of the task's range mapped to shares, in an RL
    recipe whose curriculum is off (the shares replace it)."""
    fail, field = recipe.fail, f"{where}.levels"
    if recipe.kind != "rl":
        raise fail(field, f"level shares apply to RL recipes only; {recipe.kind} training "
                          "draws every level of min_level..max_level uniformly (remove it)")
    if recipe.curriculum.enabled:
        raise fail(field, "fixed level shares replace the curriculum; set curriculum.enabled: "
                          "false (or drop levels to let the curriculum choose)")
    if not isinstance(spec.levels, dict) or not spec.levels:
        raise fail(field, f"must map levels to shares, e.g. {{2: 0.5, 3: 0.5}}; got "
                          f"{spec.levels!r}")
    for level, share in spec.levels.items():
        if not isinstance(level, int) or isinstance(level, bool) \
                or not spec.min_level <= level <= spec.max_level:
            raise fail(f"{field}.{level}", f"must be a level within min_level..max_level "
                       f"({spec.min_level}..{spec.max_level}), got {level!r}")
        if not isinstance(share, (int, float)) or isinstance(share, bool) \
                or not math.isfinite(share) or share < 0:
            raise fail(f"{field}.{level}", f"must be a share >= 0, got {share!r}")
    if not sum(spec.levels.values()) > 0:
        raise fail(field, f"needs a positive share somewhere, got {spec.levels!r}")


def validate(recipe: Recipe) -> None:
    """Cross-field checks; each error says how to fix the combination."""
    from reasonlab.tasks import entry_field, get_task
    from reasonlab.verifiers import check_task

    fail = recipe.fail
    if recipe.kind not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}, got {recipe.kind!r}")
    if recipe.model.startswith("init:"):
        from reasonlab.models.tiny import SIZES

        size = recipe.model.removeprefix("init:") or "tiny"
        if size not in SIZES:
            raise fail("model", f"unknown size {size!r} in {recipe.model!r}; choose one of "
                                f"{', '.join('init:' + name for name in sorted(SIZES))}")
    if not recipe.model.startswith("init:") and not Path(recipe.model).exists():
        raise fail("model", f"no model folder {recipe.model!r}; give a local HF checkpoint "
                            "folder or init:tiny / init:small for a fresh tiny model")
    if not recipe.model.startswith("init:") and not (Path(recipe.model) / "config.json").is_file():
        raise fail("model", f"{recipe.model!r} is not a model folder (no config.json); give a "
                            "local HF checkpoint folder or init:tiny / init:small")
    if recipe.max_steps < 1:
        raise fail("max_steps", f"must be at least 1, got {recipe.max_steps}")
    if not recipe.tasks:
        raise fail("tasks", "needs at least one task, e.g. [{name: addition}]")
    seen: set[str] = set()
    for i, spec in enumerate(recipe.tasks):
        where = f"tasks[{i}]"
        if spec.name in seen:
            raise fail(f"{where}.name", f"task {spec.name!r} is listed twice; merge the entries")
        seen.add(spec.name)
        start_given = spec.start_level is not None
        try:
            task = get_task(spec.name, **spec.config)
            check_task(task)
        except ConfigError as exc:
            raise fail(entry_field(exc, where, spec.config, name_key="name"), exc.message) from None
        spec.min_level = task.min_difficulty if spec.min_level is None else spec.min_level
        spec.max_level = task.max_difficulty if spec.max_level is None else spec.max_level
        spec.start_level = spec.min_level if spec.start_level is None else spec.start_level
        # Blame the level that is out of the task's range (or min_level when they cross).
        for name, level in (("min_level", spec.min_level), ("max_level", spec.max_level)):
            if not task.min_difficulty <= level <= task.max_difficulty:
                raise fail(f"{where}.{name}", f"must be within {spec.name!r}'s levels "
                           f"{task.min_difficulty}..{task.max_difficulty}, got {level}")
        if spec.min_level > spec.max_level:
            raise fail(f"{where}.min_level", f"must be <= max_level ({spec.max_level}), got "
                       f"{spec.min_level}")
        if not spec.min_level <= spec.start_level <= spec.max_level:
            raise fail(f"{where}.start_level", f"must be within min_level..max_level "
                       f"({spec.min_level}..{spec.max_level}), got {spec.start_level}")
        if spec.weight <= 0:
            raise fail(f"{where}.weight", f"must be > 0, got {spec.weight}")
        if spec.levels is not None:
            check_level_shares(recipe, spec, where)
            if start_given:
                raise fail(f"{where}.start_level", "a task at fixed level shares has no "
                                                   "starting level (remove start_level)")
    from reasonlab.core.prompting import resolve_template

    try:
        resolve_template(recipe.prompt.template)
    except ConfigError as exc:
        raise fail("prompt.template", exc.message) from None
    resolve_prompt_form(recipe)
    cur = recipe.curriculum
    if cur.window < 1:
        raise fail("curriculum.window", f"must be at least 1, got {cur.window}")
    if not 0.0 <= cur.demote_at < cur.promote_at <= 1.0:
        raise fail("curriculum.promote_at", "need 0 <= demote_at < promote_at <= 1 (got "
                   f"demote_at={cur.demote_at}, promote_at={cur.promote_at}); otherwise a "
                   "level could go up and down on the same window")
    if recipe.checkpoint.every < 1:
        raise fail("checkpoint.every", f"must be at least 1 step, got {recipe.checkpoint.every}")
    if recipe.checkpoint.keep < 1:
        raise fail("checkpoint.keep", f"must keep at least 1, got {recipe.checkpoint.keep}")
    if recipe.eval.every < 0:
        raise fail("eval.every", f"must be >= 0 (0 = off), got {recipe.eval.every}")
    if recipe.eval.every and recipe.eval.suite is None:
        raise fail("eval.suite", "eval.every > 0 needs a held-out suite (a name such as "
                                 "'smoke', a file, or an inline mapping)")
    if recipe.eval.batch_size < 1:
        raise fail("eval.batch_size", f"must be at least 1, got {recipe.eval.batch_size}")
    if recipe.eval.suite is not None:
        from reasonlab.core.errors import InputError
        from reasonlab.train.eval_callback import resolve_suite

        try:   # read now: the trainer reads it only after the run folder exists
            suite = resolve_suite(recipe.eval.suite, source=recipe.source or "recipe",
                                  lines=recipe.lines)
        except InputError as exc:
            if isinstance(recipe.eval.suite, dict):   # already at its line of the recipe
                raise
            raise fail("eval.suite", str(exc)) from None
        from reasonlab.train.data import check_hold_out
        from reasonlab.train.eval_callback import held_out_prompts

        recipe.hold_out = check_hold_out(recipe.tasks, held_out_prompts(suite), recipe.seed,
                                         fail)
    if recipe.sft_items < 1:
        raise fail("sft_items", f"must be at least 1, got {recipe.sft_items}")
    check_styles(recipe)
    check_confidence_from(recipe)
    check_judge(recipe)
    for key in recipe.trl:
        if key in OWNED_TRL_KEYS:
            raise fail(f"trl.{key}", f"is set by reasonlab; use {OWNED_TRL_KEYS[key]} instead")
    report_to = recipe.trl.get("report_to") or []
    for backend in [report_to] if isinstance(report_to, str) else report_to:
        module = REPORTERS.get(backend)
        if module is not None and importlib.util.find_spec(module) is None:
            raise fail("trl.report_to", f"{backend!r} needs the {module!r} package: "
                       f"pip install {module} (or remove it from report_to)")
    if recipe.kind == "rl":
        check_rewards(recipe)
    elif recipe.drop_zero_variance_groups:
        raise fail("drop_zero_variance_groups", "applies to RL recipes only (SFT has no groups)")
    else:
        check_rl_only_keys(recipe, fail)
    from reasonlab.train.rollout_backend import check_backend
    from reasonlab.train.runfolder import validate_trl

    check_backend(recipe)
    validate_trl(recipe)   # TRL's own checks now, before any run folder is made
