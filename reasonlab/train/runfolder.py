"""The training run folder, shared by SFT and RL:

```
DIR/config.yaml          the resolved recipe
DIR/init/                the fresh model when the recipe says init:tiny / init:small
DIR/checkpoints/         checkpoint-N folders (atomic, with manifest.json), the last K kept
DIR/metrics.jsonl        every logged step (loss, rewards per component, curriculum levels, …)
DIR/rollouts/            RL: step-N.jsonl, every completion with its rewards and verdicts
DIR/evals/               in-loop evaluation: step-N/ run folders and steps.jsonl
DIR/final/               the trained model + tokenizer in Hugging Face format
```
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import yaml
from transformers import TrainerCallback

from reasonlab.core.errors import ConfigError
from reasonlab.core.jsonl import atomic_writer, dumps
from reasonlab.core.quiet import silence_dependency_warnings
from reasonlab.train import checkpoint as ckpt
from reasonlab.train.recipe import Recipe

CHECKPOINTS, FINAL, METRICS = "checkpoints", "final", "metrics.jsonl"
# Fields that may differ between a run and its resumption.
_RESUMABLE_CHANGES = {"max_steps", "eval", "rollouts", "hold_out"}


def check_out(out: str | Path) -> Path:
    """``--out`` must be a folder (or not exist yet): a file there is one line, untouched."""
    from reasonlab.core.errors import InputError

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a run folder; choose another --out", file=str(out),
                         field="--out")
    return out


def prepare(recipe: Recipe, out: str | Path, *, resume: bool,
            asked: bool = True) -> tuple[Path, Path | None]:
    """Create or reopen ``out``; returns it and the checkpoint to resume from (None = start).
    ``asked``: the user gave --resume (a demo or a phased run resumes on its own, and then a
    fresh start needs no remark). Resuming drops what the run logged past its checkpoint
    (metric lines, rollout files, in-loop eval rows): those steps run again."""
    out = check_out(out)
    found = ckpt.checkpoints(out / CHECKPOINTS)
    if found and not resume:
        raise ConfigError(f"{out} already holds checkpoints of a run; pass --resume to continue "
                          "it or choose a new --out", field="--out")
    state = process_state()
    # Every process checks (so a refusal is everyone's), the main process alone writes, and
    # the others wait for it: several processes must not write one file at once.
    record_recipe(recipe, out, resume=resume, write=state.is_main_process)
    start = ckpt.latest_valid(out / CHECKPOINTS) if resume else None
    if state.is_main_process and resume:
        if start is None:
            if found:
                warnings.warn(f"no valid checkpoint in {out / CHECKPOINTS}; starting over",
                              stacklevel=2)
            elif asked:
                print(f"reasonlab: nothing to resume in {out}; starting a new run")
        drop_after(out, ckpt.step_of(start) if start is not None else 0)
    state.wait_for_everyone()
    return out, start


def check_processes(trainer: Any) -> None:
    """A launch of N processes must be one run of N processes: on a machine without GPUs and
    with ``trl.use_cpu: false``, accelerate leaves each process on its own (DistributedType.NO),
    and N independent runs would write one folder."""
    from reasonlab.core.errors import ReasonlabError

    launched = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if launched > 1 and trainer.accelerator.num_processes != launched:
        raise ReasonlabError(
            f"launched as {launched} processes, but they do not form one run (accelerate sees "
            f"{trainer.accelerator.num_processes}): on a machine without GPUs keep reasonlab's "
            "default trl.use_cpu (true) and launch with `accelerate launch --multi_gpu "
            "--num_processes N` (docs/training.md, several processes)")


def process_state():
    """accelerate's view of the processes of this run (one, or all of a launch)."""
    from accelerate import PartialState

    return PartialState()


def finished(out: str | Path, max_steps: int) -> Path | None:
    """``out/final`` when the run there already trained ``max_steps`` steps, else None."""
    info = Path(out) / FINAL / "reasonlab_train.json"
    if not info.is_file():
        return None
    steps = json.loads(info.read_text()).get("steps")
    return info.parent if isinstance(steps, int) and steps >= max_steps else None


def say_finished(final: Path, announce: bool) -> None:
    if announce:
        print(f"reasonlab: {final.parent} is finished; nothing to train (its model: {final})")


def drop_after(out: Path, step: int) -> None:
    """Forget what a killed run logged after ``step`` (its checkpoint): the resumed run logs
    those steps again, so keeping them would count each twice."""
    from reasonlab.core.jsonl import write_lines

    for log in (out / METRICS, out / "evals" / "steps.jsonl"):
        if log.is_file():
            lines = log.read_text(encoding="utf-8").splitlines()
            kept = [line + "\n" for line in lines if (_step(line) or 0) <= step
                    and _step(line) is not None]
            if len(kept) != len(lines):
                write_lines(log, kept)
    for rollout in (out / "rollouts").glob("step-*.jsonl"):
        number = rollout.stem.removeprefix("step-")
        if number.isdigit() and int(number) > step:
            rollout.unlink()


def _step(line: str) -> int | None:
    """The step of a log line; None for a line that is not one (a write a kill tore)."""
    try:
        value = json.loads(line).get("step")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def record_recipe(recipe: Recipe, out: Path, *, resume: bool, write: bool = True) -> None:
    """Write the resolved recipe to ``out/config.yaml``; on a resume, first refuse a recipe that
    differs from the one recorded there (only max_steps, eval and rollouts may change).
    ``write``: this process writes (the main one); every process checks."""
    config_path = out / "config.yaml"
    resolved = recipe.to_dict()
    resolved["model"] = model_identity(recipe.model)
    if recipe.hold_out:
        resolved["hold_out"] = [entry.to_dict() for entry in recipe.hold_out]
    if resume and config_path.is_file():
        before = yaml.safe_load(config_path.read_text()) or {}
        # A local model is the folder, however it was spelled (relative or absolute).
        before["model"] = model_identity(before.get("model"))
        changed = sorted(k for k in set(before) | set(resolved)
                         if k not in _RESUMABLE_CHANGES and before.get(k) != resolved.get(k))
        if changed:
            raise ConfigError(f"the recipe differs from the run's config.yaml in {changed}; "
                              "resume with the same recipe (only max_steps, eval and rollouts "
                              "may change)", file=str(config_path), field=changed[0])
    if not write:
        return
    for entry in recipe.hold_out:
        if entry.share >= 0.5:
            print(f"reasonlab: {entry.task} level {entry.level}: {entry.held} of {entry.seen} "
                  f"prompts are held out for evaluation; training draws the other "
                  f"{entry.left}", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_writer(config_path) as handle:
        yaml.safe_dump(resolved, handle, sort_keys=False)


def model_identity(model: Any) -> Any:
    """``init:SIZE`` as written; a local checkpoint folder by its resolved path."""
    if not isinstance(model, str) or model.startswith("init:"):
        return model
    return str(Path(model).expanduser().resolve())


def model_path(recipe: Recipe, out: Path) -> str:
    """The folder to train from: ``init:SIZE`` builds (once) a fresh tiny model in DIR/init."""
    if not recipe.model.startswith("init:"):
        return recipe.model
    size = recipe.model.removeprefix("init:") or "tiny"
    folder = out / "init"
    state = process_state()
    if state.is_main_process and not (folder / "config.json").is_file():
        from reasonlab.models.tiny import init_tiny_model

        init_tiny_model(folder, size=size, seed=recipe.seed)   # size checked with the recipe
    state.wait_for_everyone()
    return str(folder)


def save_final(trainer: Any, out: Path, info: dict[str, Any], recipe: Recipe) -> Path:
    """Save the model + tokenizer to DIR/final atomically (a temp folder renamed into place),
    with reasonlab_train.json and a model card naming the base, the recipe and the data."""
    final = out / FINAL
    staging = out / f".{FINAL}.tmp"
    accelerator = trainer.accelerator
    if accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
    accelerator.wait_for_everyone()
    trainer.save_model(str(staging))
    if accelerator.is_main_process:
        if trainer.processing_class is not None:
            trainer.processing_class.save_pretrained(str(staging))
        (staging / "reasonlab_train.json").write_text(json.dumps(info, indent=2) + "\n")
        from reasonlab.train.model_card import write_card

        write_card(staging, recipe, info)
        if final.exists():
            shutil.rmtree(final)
        os.rename(staging, final)
    accelerator.wait_for_everyone()
    return final


class MetricsLog(TrainerCallback):
    """Append each log entry (with its step) to DIR/metrics.jsonl, main process only."""

    def __init__(self, path: Path):
        self.path = path

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            row = {"step": state.global_step, **{k: v for k, v in logs.items()
                                                 if isinstance(v, (int, float, str)) or v is None}}
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(dumps(row) + "\n")
        return control


# Dependencies' FutureWarnings (transformers renaming gradient_checkpointing, …) say nothing a
# reasonlab user can act on; they only bury the progress lines (training from Python too).
silence_dependency_warnings()


class ProgressLine(TrainerCallback):
    """One compact line per logged step on stderr — step, loss, reward, share correct, learning
    rate, seconds per step — in place of the Trainer's raw dict of 40 fields (all of which
    MetricsLog keeps in metrics.jsonl)."""

    FIELDS = (("loss", "loss", "{:.4f}"), ("reward", "reward", "{:.3f}"),
              ("verdicts/correct", "correct", "{:.2f}"),
              ("mean_token_accuracy", "token acc", "{:.2f}"), ("learning_rate", "lr", "{:.2e}"),
              ("step_time", "s/step", "{:.2f}"))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return control
        if "train_runtime" in logs:
            text = f"done: {state.global_step} steps in {_number(logs['train_runtime']):.1f} s"
        else:
            parts = [f"{label} {fmt.format(_number(logs[key]))}" for key, label, fmt
                     in self.FIELDS if _number(logs.get(key)) is not None]
            if not parts:
                return control
            text = f"step {state.global_step}/{state.max_steps}  " + "  ".join(parts)
        print(f"reasonlab: {text}", file=sys.stderr, flush=True)
        return control


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def quiet_logs(trainer: Any) -> None:
    """Swap the Trainer's printing of raw log dicts (PrinterCallback, or ProgressCallback's
    ``tqdm.write``) for ``ProgressLine``."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(ProgressLine())


def trl_kwargs(recipe: Recipe, out: Path, max_steps: int) -> dict[str, Any]:
    """Settings reasonlab owns, merged over the recipe's ``trl`` block."""
    import torch

    from reasonlab.models.hardware import prefers_bf16

    # TRL defaults to bf16, which a CPU without native bf16 runs slowly or refuses; on a CPU
    # with it (AVX512-BF16, AMX), a large model trains under bf16 autocast (models/hardware.py).
    # GPU recipes keep TRL's choice; a recipe's own trl.bf16 wins everywhere.
    device = {} if torch.cuda.is_available() else {
        "bf16": not recipe.model.startswith("init:") and prefers_bf16(recipe.model),
        "use_cpu": True}
    report_to = recipe.trl.get("report_to") or []
    if "wandb" in ([report_to] if isinstance(report_to, str) else report_to):
        os.environ.setdefault("WANDB_MODE", "offline")   # no network unless the user asks
    return {
        "report_to": [], "logging_steps": 1, **device,
        **recipe.trl,
        "output_dir": str(out), "max_steps": max_steps, "seed": recipe.seed,
        "save_strategy": "steps", "save_steps": recipe.checkpoint.every,
        "save_total_limit": None,
    }


def build_args(config_class: type, recipe: Recipe, kwargs: dict[str, Any]):
    """``config_class(**kwargs)`` with TRL's own checks reported against the recipe."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(config_class)}
    for key in recipe.trl:
        if key not in names:
            raise recipe.fail(f"trl.{key}", f"is not a {config_class.__name__} setting (see "
                              "TRL's docs for the list)")
    try:
        return config_class(**kwargs)
    except (ValueError, TypeError) as exc:
        raise recipe.fail("trl", f"{config_class.__name__} rejected the settings: {exc}") \
            from None


def validate_trl(recipe: Recipe) -> None:
    """The ``trl`` block against TRL's own config class — names and values — now, before any
    run folder is made (the trainer is built only after ``init/`` and config.yaml exist)."""
    if recipe.kind == "rl":
        from trl import GRPOConfig as config_class
        owned: dict[str, Any] = {"shuffle_dataset": False}
    else:
        from trl import SFTConfig as config_class
        owned = {"completion_only_loss": True}
    names = {f.name for f in dataclasses.fields(config_class)}
    blocks = [("trl", recipe.trl)] + [(f"phases[{i}].trl", p.trl)
                                      for i, p in enumerate(recipe.phases)]
    for where, block in blocks:
        for key, value in block.items():
            if key not in names:
                raise recipe.fail(f"{where}.{key}", f"is not a {config_class.__name__} setting "
                                  "(see TRL's docs for the list)")
            if key in owned and value != owned[key]:
                raise recipe.fail(f"{where}.{key}", f"reasonlab needs {key}: {owned[key]} here; "
                                  "remove this setting")
    # Values: TRL's __post_init__ checks (e.g. batch size vs num_generations). It creates no
    # folder, so a placeholder output_dir is enough.
    placeholder = Path("(recipe validation)")
    for i, (_, block) in enumerate(blocks):
        sub = dataclasses.replace(recipe, trl={**recipe.trl, **block}) if i else recipe
        build_args(config_class, sub, {
            **trl_kwargs(sub, placeholder, recipe.max_steps), **owned})

