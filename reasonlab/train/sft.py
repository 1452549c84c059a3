"""``reasonlab train sft``: warm start on teacher traces, with TRL's SFTTrainer.

Each example is the evaluation prompt of an item (the same template the RL run and the evaluator
use) and the task family's teacher completion (``<think>`` steps, ``<answer>``), followed by EOS.
The loss is on the completion tokens only (``completion_only_loss``): the model learns to answer,
not to reproduce questions. Items come from every level of each task's range; the eval suite's
prompts are held out as in RL. Checkpoints are the same atomic ones as RL's, so ``--resume``
works the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trl import SFTConfig, SFTTrainer

from reasonlab.train import runfolder
from reasonlab.train.checkpoint import AtomicCheckpointMixin
from reasonlab.train.config import Recipe
from reasonlab.train.data import TaskMix
from reasonlab.train.eval_callback import InLoopEval, held_out_suite


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


def sft_dataset(recipe: Recipe, held_out: set[str] | None = None):
    from datasets import Dataset

    mix = TaskMix(recipe.tasks, recipe.prompt, seed=recipe.seed, held_out=held_out or ())
    rows = mix.sft_rows(recipe.sft_items)
    return Dataset.from_list(rows)


def build_sft_trainer(recipe: Recipe, out: Path, model: str, max_steps: int,
                      callbacks: list[Any] | None = None) -> ReasonlabSFTTrainer:
    suite, held_out = held_out_suite(recipe)
    if recipe.trl.get("completion_only_loss") is False:
        raise recipe.fail("trl.completion_only_loss", "SFT here trains on the completion only; "
                          "remove this setting")
    args = runfolder.build_args(SFTConfig, recipe, {
        **runfolder.trl_kwargs(recipe, out, max_steps), "completion_only_loss": True})
    dataset = sft_dataset(recipe, held_out)
    trainer = ReasonlabSFTTrainer(
        model=model, args=args, train_dataset=dataset,
        callbacks=[runfolder.MetricsLog(out / runfolder.METRICS), *(callbacks or [])],
        checkpoint_root=out / runfolder.CHECKPOINTS, checkpoint_keep=recipe.checkpoint.keep,
        data_info={"seed": recipe.seed, "items": recipe.sft_items})
    if suite is not None and recipe.eval.every:
        evaluator = InLoopEval(suite, out / "evals", recipe.eval.every,
                               batch_size=recipe.eval.batch_size, run_name=out.name,
                               chat=recipe.prompt.chat)
        evaluator.trainer = trainer
        trainer.add_callback(evaluator)
    return trainer


def train_sft(recipe: Recipe, out: str | Path, *, max_steps: int | None = None,
              resume: bool = False, callbacks: list[Any] | None = None) -> Path:
    """Run (or resume) SFT; returns DIR/final."""
    max_steps = max_steps or recipe.max_steps
    recipe.max_steps = max_steps
    out, start = runfolder.prepare(recipe, out, resume=resume)
    model = runfolder.model_path(recipe, out)
    trainer = build_sft_trainer(recipe, out, model, max_steps, callbacks)
    if start is not None:
        print(f"reasonlab: resuming from {start}")
    trainer.train(resume_from_checkpoint=str(start) if start is not None else None)
    return runfolder.save_final(trainer, out, {
        "kind": "sft", "recipe": recipe.source, "steps": trainer.state.global_step,
        "items": recipe.sft_items, "base_model": model})
