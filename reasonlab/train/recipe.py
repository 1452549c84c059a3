"""A training recipe as data: the dataclasses ``config.py`` reads a recipe file into (every
field typed and located by ``core.spec``), and where an error in one is reported. The bottom
of ``reasonlab.train``'s recipe modules: the checks (``recipe_checks.py``, ``judge_spec.py``,
the reward components) and the loader (``config.py``) sit above it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from reasonlab.core.errors import ConfigError
from reasonlab.core.spec import locator
from reasonlab.train.judge_spec import JudgeSpec
from reasonlab.train.reward_spec import RewardSpec  # the weights and configs (reward_spec.py)

KINDS = ("rl", "sft", "judge")


@dataclass
class TaskSpec:
    name: str
    weight: float = 1.0
    min_level: int | None = None      # default: the task's lowest difficulty
    max_level: int | None = None      # default: the task's highest difficulty
    start_level: int | None = None    # default: min_level
    # RL with the curriculum off: fixed shares of levels in every generation batch
    # ({2: 0.5, 3: 0.5}), so that RL cannot narrow the trace to one level (data.py, level_plan).
    levels: dict | None = None
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
    # SFT with prompt.confidence: the confidence each style's teacher states, read per task and
    # difficulty from an eval run folder's accuracy ({full: runs/skill, direct: runs/base});
    # without it the teacher states 100 %.
    confidence_from: dict = field(default_factory=dict)
    phases: list[PhaseSpec] = field(default_factory=list)
    judge: JudgeSpec = field(default_factory=JudgeSpec)   # see judge_spec.py
    trl: dict = field(default_factory=dict)
    source: str = ""
    lines: dict = field(default_factory=dict, repr=False)
    overrides: dict = field(default_factory=dict, repr=False)   # --set KEY: "KEY=VALUE"
    # What the eval suite holds out of each training level (train/data.py, HoldOut); set when
    # the recipe is validated, recorded in config.yaml under hold_out.
    hold_out: list = field(default_factory=list, repr=False)

    def given_keys(self) -> set[str]:
        """The fields the recipe's file or a ``--set`` gave (not those left at a default)."""
        return set(self.lines) | set(self.overrides)

    def fail(self, where: str, message: str) -> ConfigError:
        return recipe_locator(self.source, self.lines, self.overrides)(where, message)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("source")
        out.pop("lines")
        out.pop("overrides")
        out.pop("hold_out")
        out["rewards"] = self.rewards.to_dict()
        return out


def recipe_locator(source: str, lines: dict[str, int], overrides: dict[str, str]):
    """``fail(field, message)`` for a recipe: a field a ``--set`` gave (or one inside it) is
    reported at that flag, any other at its line of the file."""
    file_fail = locator(source, lines)

    def fail(where: str, message: str) -> ConfigError:
        for key in sorted(overrides, key=len, reverse=True):
            if where == key or where.startswith((key + ".", key + "[")):
                return ConfigError(message, file=f"--set {overrides[key]}", field=where)
        return file_fail(where, message)

    return fail
