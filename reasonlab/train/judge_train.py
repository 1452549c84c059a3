"""``reasonlab train judge``: SFT of a generative judge with reasonlab's SFT machinery (the same
trainer class, atomic checkpoints, run folder and metrics log as ``train sft``).

Each example is the judge prompt of a (item, candidate) pair exactly as ``Judge`` asks it, and
the completion of the recipe's ``judge.style`` (``reasonlab.judges.examples``): ``cot`` checks
the answer against the reference, then one verdict line; ``direct`` is the verdict line only.
Records come from ``judge.data`` (a ``reasonlab judge data`` file: a policy's samples for a next
round) or, by default, ``sft_items`` perturbed teacher traces drawn over the recipe's tasks and
level ranges. ``DIR/final/reasonlab_train.json`` records the template, so ``Judge`` asks the
trained judge with the prompt it learned, served or in process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasonlab.train import runfolder
from reasonlab.train.recipe import Recipe


def judge_records(recipe: Recipe) -> list[dict]:
    """The recipe's judge-data records: its file, or perturbations of its tasks' items (the
    classes balanced, as ``judge data`` makes them)."""
    from reasonlab.judges.data import judge_data
    from reasonlab.judges.examples import read_records

    if recipe.judge.data is not None:
        return read_records(recipe.judge.data)
    records: list[dict] = []
    share = -(-recipe.sft_items // len(recipe.tasks))
    for spec in recipe.tasks:
        levels = list(range(spec.min_level, spec.max_level + 1))
        made = judge_data(spec.name, levels, share, recipe.seed, config=spec.config)
        records += [r.to_dict(len(records) + i) for i, r in enumerate(made)]
    return records[:recipe.sft_items]


def judge_dataset(recipe: Recipe):
    from datasets import Dataset

    from reasonlab.judges.examples import judge_rows
    from reasonlab.judges.templates import template_named

    template = template_named(recipe.judge.template)
    return Dataset.from_list(judge_rows(judge_records(recipe), template, recipe.judge.style,
                                        recipe.judge.see_reasoning))


def train_judge(recipe: Recipe, out: str | Path, *, max_steps: int | None = None,
                resume: bool = False, callbacks: list[Any] | None = None) -> Path:
    """Run (or resume) judge SFT; returns DIR/final."""
    from trl import SFTConfig

    from reasonlab.train.sft import ReasonlabSFTTrainer

    max_steps = max_steps or recipe.max_steps
    recipe.max_steps = max_steps
    out = runfolder.check_out(out)
    done = runfolder.finished(out, max_steps) if resume else None
    if done is not None:
        runfolder.say_finished(done, True)
        return done
    dataset = judge_dataset(recipe)     # bad data is refused before the run folder exists
    out, checkpoint = runfolder.prepare(recipe, out, resume=resume)
    model = runfolder.model_path(recipe, out)
    args = runfolder.build_args(SFTConfig, recipe, {
        **runfolder.trl_kwargs(recipe, out, max_steps), "completion_only_loss": True})
    j = recipe.judge
    trainer = ReasonlabSFTTrainer(
        model=model, args=args, train_dataset=dataset,
        callbacks=[runfolder.MetricsLog(out / runfolder.METRICS), *(callbacks or [])],
        checkpoint_root=out / runfolder.CHECKPOINTS, checkpoint_keep=recipe.checkpoint.keep,
        data_info={"seed": recipe.seed, "examples": len(dataset), "style": j.style,
                   "data": j.data})
    runfolder.check_processes(trainer)
    runfolder.quiet_logs(trainer)
    if checkpoint is not None:
        print(f"reasonlab: resuming from {checkpoint}")
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint is not None else None)
    return runfolder.save_final(trainer, out, {
        "kind": "judge", "recipe": recipe.source, "steps": trainer.state.global_step,
        "examples": len(dataset), "base_model": model,
        "judge": {"style": j.style, "template": j.template, "mode": "reference",
                  "see_reasoning": j.see_reasoning, "data": j.data}}, recipe)
