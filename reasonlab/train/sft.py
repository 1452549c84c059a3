"""``reasonlab train sft``: warm start on teacher traces, with TRL's SFTTrainer.

Each example is the evaluation prompt of an item (the same template the RL run and the evaluator
use) and the task family's teacher completion (``<think>`` steps, ``<answer>``), followed by EOS.
The loss is on the completion tokens only (``completion_only_loss``): the model learns to answer,
not to reproduce questions. Items come from every level of each task's range; the eval suite's
prompts are held out as in RL. Checkpoints are the same atomic ones as RL's, so ``--resume``
works the same way. A recipe's ``styles`` mix reasoning styles per item (``full`` traces,
``direct`` answers, …); its ``phases`` stage the warm start (a skill phase, then a habit phase),
each phase a run folder of its own under ``DIR/phases/``.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

from trl import SFTConfig, SFTTrainer

from reasonlab.core.errors import ConfigError
from reasonlab.train import runfolder
from reasonlab.train.checkpoint import AtomicCheckpointMixin
from reasonlab.train.data import TaskMix
from reasonlab.train.eval_callback import InLoopEval, held_out_suite
from reasonlab.train.own_answers import OWN_DIRECT, OwnAnswers
from reasonlab.train.own_answers import STATS_FILE as OWN_STATS
from reasonlab.train.recipe import Recipe

PHASES = "phases"


class ReasonlabSFTTrainer(AtomicCheckpointMixin, SFTTrainer):
    def __init__(self, *args: Any, checkpoint_root: Path, checkpoint_keep: int,
                 data_info: dict[str, Any], **kwargs: Any):
        self.checkpoint_root, self.checkpoint_keep = checkpoint_root, checkpoint_keep
        self.data_info = data_info
        super().__init__(*args, **kwargs)

    def reasonlab_state(self) -> dict[str, Any]:
        # The examples are a pure function of (seed, sft_items); the sampler position is the
        # Trainer's global step, restored from trainer_state.json.
        return {"data": self.data_info}


def sft_dataset(recipe: Recipe, held_out: set[str] | None = None, start: int = 0,
                own: OwnAnswers | None = None):
    """The phase's examples; ``own``: where ``own_direct`` items get the model's own answers."""
    from datasets import Dataset

    from reasonlab.core.summary import read_summary

    mix = TaskMix(recipe.tasks, recipe.prompt, seed=recipe.seed, held_out=held_out or ())
    stated = {style: read_summary(folder) for style, folder in recipe.confidence_from.items()}
    rows = mix.sft_rows(recipe.sft_items, recipe.styles, start=start, stated=stated, own=own)
    return Dataset.from_list(rows)


def own_answers_for(recipe: Recipe, out: Path, answerer: str) -> OwnAnswers | None:
    """The store of the model's own answers when the recipe draws ``own_direct`` items."""
    if not recipe.styles.get(OWN_DIRECT):
        return None
    return OwnAnswers(answerer, out, chat=recipe.prompt.chat is True)


def build_sft_trainer(recipe: Recipe, out: Path, model: str, max_steps: int,
                      callbacks: list[Any] | None = None, start: int = 0,
                      answerer: str | None = None) -> ReasonlabSFTTrainer:
    """``answerer``: the model whose own answers ``own_direct`` items train on (default: the
    model this run starts from)."""
    suite, held_out = held_out_suite(recipe)
    if recipe.trl.get("completion_only_loss") is False:
        raise recipe.fail("trl.completion_only_loss", "SFT here trains on the completion only; "
                          "remove this setting")
    args = runfolder.build_args(SFTConfig, recipe, {
        **runfolder.trl_kwargs(recipe, out, max_steps), "completion_only_loss": True})
    own = own_answers_for(recipe, out, answerer or model)
    dataset = sft_dataset(recipe, held_out, start, own)
    trainer = ReasonlabSFTTrainer(
        model=model, args=args, train_dataset=dataset,
        callbacks=[runfolder.MetricsLog(out / runfolder.METRICS), *(callbacks or [])],
        checkpoint_root=out / runfolder.CHECKPOINTS, checkpoint_keep=recipe.checkpoint.keep,
        data_info={"seed": recipe.seed, "items": recipe.sft_items, "start": start,
                   "styles": recipe.styles})
    runfolder.check_processes(trainer)
    runfolder.quiet_logs(trainer)   # compact lines on stderr; every field in metrics.jsonl
    if suite is not None and recipe.eval.every:
        evaluator = InLoopEval(suite, out / "evals", recipe.eval.every,
                               batch_size=recipe.eval.batch_size, run_name=out.name,
                               chat=recipe.prompt.chat)
        evaluator.trainer = trainer
        trainer.add_callback(evaluator)
    return trainer


def train_sft(recipe: Recipe, out: str | Path, *, max_steps: int | None = None,
              resume: bool = False, callbacks: list[Any] | None = None,
              start: int = 0, announce: bool = True, answerer: str | None = None) -> Path:
    """Run (or resume) SFT; returns DIR/final. A recipe with ``phases`` runs them in order
    (``train_phases``). ``announce``: the user asked for the resume (see ``train_rl``);
    ``answerer``: the model that gives ``own_direct`` answers (default: the one trained)."""
    out = runfolder.check_out(out)
    if recipe.phases:
        if max_steps is not None:
            raise recipe.fail("phases", "a phased recipe sets each phase's max_steps; "
                                        "drop --max-steps (or use --set phases=...)")
        return train_phases(recipe, out, resume=resume, callbacks=callbacks,
                            announce=announce)
    max_steps = max_steps or recipe.max_steps
    recipe.max_steps = max_steps
    done = runfolder.finished(out, max_steps) if resume else None
    if done is not None:
        runfolder.say_finished(done, announce)
        return done
    out, checkpoint = runfolder.prepare(recipe, out, resume=resume, asked=announce)
    model = runfolder.model_path(recipe, out)
    trainer = build_sft_trainer(recipe, out, model, max_steps, callbacks, start, answerer)
    if checkpoint is not None:
        print(f"reasonlab: resuming from {checkpoint}")
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint is not None else None)
    return runfolder.save_final(trainer, out, {
        "kind": "sft", "recipe": recipe.source, "steps": trainer.state.global_step,
        "items": recipe.sft_items, "styles": recipe.styles, "base_model": model}, recipe)


def phase_recipes(recipe: Recipe) -> list[tuple[Recipe, int]]:
    """Each phase as a plain SFT recipe, with the slot its items start at: phases draw fresh
    items, one after the other. ``model`` of every phase after the first is filled in by
    ``train_phases`` (the previous phase's final weights)."""
    batch = int(recipe.trl.get("per_device_train_batch_size", 8))
    out, start = [], 0
    for phase in recipe.phases:
        sub = copy.deepcopy(recipe)
        sub.phases = []
        sub.styles = dict(phase.styles if phase.styles is not None else recipe.styles)
        sub.max_steps = phase.max_steps
        sub.trl = {**recipe.trl, **phase.trl}
        # Items one process sees per step (several processes each draw their own share).
        per_step = int(sub.trl.get("per_device_train_batch_size", batch)) * int(
            sub.trl.get("gradient_accumulation_steps") or 1)
        sub.sft_items = phase.sft_items or phase.max_steps * per_step
        out.append((sub, start))
        start += sub.sft_items
    return out


def phase_folder(out: str | Path, name: str) -> Path:
    return Path(out) / PHASES / name


def train_phases(recipe: Recipe, out: str | Path, *, resume: bool = False,
                 callbacks: list[Any] | None = None, announce: bool = True) -> Path:
    """Train the phases in order into ``DIR/phases/<name>/`` (each a full SFT run folder, so
    each resumes on its own; a finished phase is kept), then copy the last one's weights to
    ``DIR/final``."""
    out = runfolder.check_out(out)
    total = sum(p.max_steps for p in recipe.phases)
    done = runfolder.finished(out, total) if resume else None
    if done is not None and all((phase_folder(out, p.name) / runfolder.FINAL).is_dir()
                                for p in recipe.phases):
        runfolder.say_finished(done, announce)
        return done
    if not resume and ((out / PHASES).exists() or (out / runfolder.CHECKPOINTS).exists()):
        raise ConfigError(f"{out} already holds a run; pass --resume to continue it or choose "
                          "a new --out", field="--out")
    # What config.yaml records as max_steps is what runs: the phases' steps together.
    recipe.max_steps = sum(p.max_steps for p in recipe.phases)
    # A resume with other phases would reuse finished phases that no longer match the recipe.
    state = runfolder.process_state()
    runfolder.record_recipe(recipe, out, resume=resume, write=state.is_main_process)
    state.wait_for_everyone()
    model, phases_done, answerer = recipe.model, [], None
    for phase, (sub, start) in zip(recipe.phases, phase_recipes(recipe), strict=True):
        folder = phase_folder(out, phase.name)
        sub.model = model
        # own_direct answers are the cold-started model's, before any phase trained it.
        answerer = answerer or runfolder.model_path(sub, folder)
        final = folder / runfolder.FINAL
        if not (final / "config.json").is_file():
            print(f"reasonlab: SFT phase {phase.name!r} ({sub.max_steps} steps, styles "
                  f"{sub.styles})", flush=True)
            final = train_sft(sub, folder, resume=True, callbacks=callbacks, start=start,
                              announce=False, answerer=answerer)
        model = str(final.resolve())
        phases_done.append({"name": phase.name, "steps": sub.max_steps, "styles": sub.styles,
                            "items": sub.sft_items, "start": start, "folder": str(folder)})
        if (folder / OWN_STATS).is_file():
            phases_done[-1]["own_answers"] = json.loads((folder / OWN_STATS).read_text())
    if state.is_main_process:
        _copy_final(Path(model), out, {"kind": "sft", "recipe": recipe.source,
                                       "steps": total, "phases": phases_done}, recipe)
    state.wait_for_everyone()
    return out / runfolder.FINAL


def _copy_final(source: Path, out: Path, info: dict[str, Any], recipe: Recipe) -> Path:
    from reasonlab.train.model_card import write_card

    final, staging = out / runfolder.FINAL, out / f".{runfolder.FINAL}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    (staging / "reasonlab_train.json").write_text(json.dumps(info, indent=2) + "\n")
    write_card(staging, recipe, info)
    if final.exists():
        shutil.rmtree(final)
    os.rename(staging, final)
    return final
