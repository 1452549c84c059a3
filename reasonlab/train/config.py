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

import dataclasses
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reasonlab.core.errors import ConfigError
from reasonlab.core.spec import build, builtin_names, builtin_or_file, locator
from reasonlab.core.yamlfile import line_of, load_yaml, parse_yaml
from reasonlab.train.judge_spec import JudgeSpec, check_judge
from reasonlab.train.recipe_checks import OWNED_TRL_KEYS, check_rewards, check_styles
from reasonlab.train.reward_spec import RewardSpec  # the weights and configs (reward_spec.py)

KINDS = ("rl", "sft", "judge")
# report_to backend -> the module it needs
REPORTERS = {"tensorboard": "tensorboard", "wandb": "wandb", "trackio": "trackio"}


@dataclass
class TaskSpec:
    name: str
    weight: float = 1.0
    min_level: int | None = None      # default: the task's lowest difficulty
    max_level: int | None = None      # default: the task's highest difficulty
    start_level: int | None = None    # default: min_level
    config: dict = field(default_factory=dict)


@dataclass
class PromptSpec:
    template: str = "default"
    confidence: bool = False
    # Send the prompt as a user message through the model's chat template: auto (the rule of
    # models/prompt_form.py: an instruct model's template, not a tiny model's), true or false.
    # Resolved to true/false when the recipe is read, and recorded so in config.yaml.
    chat: bool | Literal["auto"] = "auto"


@dataclass
class CurriculumSpec:
    enabled: bool = True
    window: int = 32          # rolling window of verdicts per task
    promote_at: float = 0.8   # success rate over a full window that raises the level
    demote_at: float = 0.3    # ... that lowers it


@dataclass
class CheckpointSpec:
    every: int = 50
    keep: int = 2


@dataclass
class EvalSpec:
    every: int = 0                    # 0 = no in-loop evaluation
    suite: str | dict | None = None   # name, file or inline mapping; its prompts are held out
    batch_size: int = 32


@dataclass
class PhaseSpec:
    """One stage of a staged SFT warm start: its own steps, style mix and TRL overrides, trained
    from the previous stage's weights on fresh items (e.g. a ``skill`` phase on full traces,
    then a ``habit`` phase that is mostly ``direct``)."""

    name: str
    max_steps: int
    styles: dict | None = None        # default: the recipe's styles
    sft_items: int | None = None      # default: max_steps x per_device_train_batch_size
    trl: dict = field(default_factory=dict)   # merged over the recipe's trl block


@dataclass
class Recipe:
    kind: str
    model: str
    tasks: list[TaskSpec]
    seed: int = 0
    max_steps: int = 100
    prompt: PromptSpec = field(default_factory=PromptSpec)
    curriculum: CurriculumSpec = field(default_factory=CurriculumSpec)
    rewards: RewardSpec = field(default_factory=RewardSpec)   # read through the registry
    checkpoint: CheckpointSpec = field(default_factory=CheckpointSpec)
    eval: EvalSpec = field(default_factory=EvalSpec)
    rollouts: bool = True
    drop_zero_variance_groups: bool = False   # RL: leave groups that all scored alike out
    generation_backend: str = "trl"   # RL: trl (model.generate) | reasonlab (rollout_backend.py)
    sft_items: int = 2000
    styles: dict = field(default_factory=lambda: {"full": 1.0})
    phases: list[PhaseSpec] = field(default_factory=list)
    judge: JudgeSpec = field(default_factory=JudgeSpec)   # see judge_spec.py
    trl: dict = field(default_factory=dict)
    source: str = ""
    lines: dict = field(default_factory=dict, repr=False)

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(message, file=self.source or None, line=line_of(self.lines, where),
                           field=where)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("source")
        out.pop("lines")
        out["rewards"] = self.rewards.to_dict()
        return out


BUILTIN_DIR = "recipes"


def builtin_recipes() -> list[str]:
    return builtin_names(BUILTIN_DIR)


def recipe_path(name_or_path: str) -> Path:
    return builtin_or_file(name_or_path, BUILTIN_DIR, what="recipe", field="--config")


def load_recipe(name_or_path: str, overrides: list[str] | None = None,
                kind: str | None = None) -> Recipe:
    """Read, override (``key.path=value``, value read as YAML), validate and return a recipe.
    ``kind`` is what the command expects (``train rl`` refuses an SFT recipe)."""
    path = recipe_path(name_or_path)
    raw, lines = load_yaml(path)
    for pair in overrides or []:
        raw = apply_override(raw, pair)
    recipe = parse_recipe(raw, source=str(path), lines=lines)
    if kind is not None and recipe.kind != kind:
        raise recipe.fail("kind", f"this is a {recipe.kind!r} recipe; run `reasonlab train "
                                  f"{recipe.kind}` with it, or pick a {kind!r} recipe")
    return recipe


def apply_override(raw: Any, pair: str) -> dict:
    key, sep, text = pair.partition("=")
    if not sep or not key:
        raise ConfigError(f"expected KEY=VALUE (e.g. trl.learning_rate=1e-4), got {pair!r}",
                          field="--set")
    value, _ = parse_yaml(text, source="--set")
    raw = dict(raw or {})
    node = raw
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        child = dict(child) if isinstance(child, dict) else {}
        node[part] = child
        node = child
    node[parts[-1]] = value
    return raw


def parse_recipe(raw: Any, *, source: str = "", lines: dict[str, int] | None = None) -> Recipe:
    lines = lines or {}
    fail = locator(source, lines)
    if not isinstance(raw, dict):
        raise fail("(top level)", f"a recipe is a mapping of fields, got {type(raw).__name__}")
    # The rewards block is open (any registered component), so the registry reads it.
    rest = {key: value for key, value in raw.items() if key != "rewards"}
    recipe = build(Recipe, rest, fail, skip={"source", "lines", "rewards"})
    if "rewards" in raw:
        recipe.rewards = RewardSpec.from_block(raw["rewards"], fail)
    recipe.source, recipe.lines = source, lines
    validate(recipe)
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


def validate(recipe: Recipe) -> None:
    """Cross-field checks; each error says how to fix the combination."""
    from reasonlab.tasks import entry_field, get_task
    from reasonlab.verifiers import check_task

    fail = recipe.fail
    if recipe.kind not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}, got {recipe.kind!r}")
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
            resolve_suite(recipe.eval.suite, source=recipe.source or "recipe",
                          lines=recipe.lines)
        except InputError as exc:
            if isinstance(recipe.eval.suite, dict):   # already at its line of the recipe
                raise
            raise fail("eval.suite", str(exc)) from None
    if recipe.sft_items < 1:
        raise fail("sft_items", f"must be at least 1, got {recipe.sft_items}")
    check_styles(recipe)
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
    from reasonlab.train.rollout_backend import check_backend
    from reasonlab.train.runfolder import validate_trl

    check_backend(recipe)
    validate_trl(recipe)   # TRL's own checks now, before any run folder is made
