"""In-loop evaluation (TRL has none for held-out suites): every N steps the current weights are
evaluated on a held-out suite through ``reasonlab.evaluate``, into ``DIR/evals/step-N/`` in the
eval run format (``config.yaml``, ``samples.jsonl``, ``summary.json``), and one line per step is
kept in ``DIR/evals/steps.jsonl`` so the report can plot accuracy against steps.

The weights go through a temporary HF save (``Trainer.save_model`` gathers ZeRO-3/FSDP shards) and
the local backend; the RNG states are restored afterwards so that evaluating never changes what
training samples next (a run with in-loop eval resumes bit-for-bit like one without).
"""

from __future__ import annotations

import random
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from reasonlab.core.jsonl import atomic_writer, dumps, read_jsonl
from reasonlab.core.summary import Overall, Summary

STEPS_FILE = "steps.jsonl"


def resolve_suite(spec: str | dict[str, Any], *, source: str = "recipe",
                  lines: dict[str, int] | None = None):
    """A suite from a name, a file or an inline mapping (the recipe's ``eval.suite``, located
    at its own lines of the recipe when ``lines`` are given)."""
    from reasonlab.evaluate.suite import load_suite, parse_suite

    if isinstance(spec, dict):
        return parse_suite(spec, source=source, default_name="in-loop", lines=lines,
                           prefix="eval.suite")
    return load_suite(spec)


def held_out_prompts(suite) -> set[str]:
    """The item prompts of a suite; training never draws them."""
    from reasonlab.evaluate.runner import expand

    return {unit.item.prompt for unit in expand(suite)}


def held_out_suite(recipe) -> tuple[Any, set[str]]:
    """The recipe's eval suite (or None) and its prompts, which training never draws: held out
    even when the suite is not evaluated in the loop, so that turning evaluation on or off
    never changes the data."""
    if recipe.eval.suite is None:
        return None, set()
    suite = resolve_suite(recipe.eval.suite, source=recipe.source or "recipe",
                          lines=recipe.lines)
    return suite, held_out_prompts(suite)


@contextmanager
def preserved_rng():
    """Run a block without consuming the training RNG streams (python, numpy, torch)."""
    import numpy as np
    import torch

    py, npy = random.getstate(), np.random.get_state()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            random.setstate(py)
            np.random.set_state(npy)


def step_row(step: int, summary: Summary) -> dict[str, Any]:
    """The ``steps.jsonl`` line of one in-loop evaluation: overall and per-task accuracy."""
    overall = summary.overall or Overall()
    tasks = {name: {"accuracy": block.accuracy, "n": block.n,
                    "by_difficulty": {str(d): b.accuracy for d, b in block.by_difficulty.items()}}
             for name, block in summary.tasks.items()}
    return {"step": step, "accuracy": overall.accuracy, "ci95": overall.ci95,
            "n": overall.n, "errors": overall.errors, "tasks": tasks,
            "folder": f"step-{step}"}


def record_step(folder: Path, row: dict[str, Any]) -> None:
    """Add (or replace, after a resume) the row of ``row["step"]`` in ``steps.jsonl``."""
    path = folder / STEPS_FILE
    rows = [obj for _, obj in read_jsonl(path)] if path.is_file() else []
    rows = [r for r in rows if r.get("step") != row["step"]] + [row]
    rows.sort(key=lambda r: r["step"])
    with atomic_writer(path) as handle:
        for r in rows:
            handle.write(dumps(r) + "\n")


class InLoopEval(TrainerCallback):
    """Evaluate every ``every`` steps (and at the last step). Set ``trainer`` before training."""

    def __init__(self, suite, folder: str | Path, every: int, *, batch_size: int = 32,
                 run_name: str = "train", chat: bool = False):
        self.suite = suite
        self.chat = chat   # prompts go through the chat template, as in training
        self.folder = Path(folder)
        self.every = every
        self.batch_size = batch_size
        self.run_name = run_name
        self.trainer: Any = None

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        if step % self.every == 0 or step == state.max_steps:
            self.evaluate(step)
        return control

    def evaluate(self, step: int) -> Summary | None:
        trainer = self.trainer
        accelerator = trainer.accelerator
        weights = self.folder / f".weights-step-{step}"
        summary = None
        with preserved_rng():
            trainer.save_model(str(weights))   # collective under ZeRO-3 / FSDP
            if accelerator.is_main_process:
                trainer.processing_class.save_pretrained(str(weights))
                summary = self._run(step, weights)
                shutil.rmtree(weights, ignore_errors=True)
        accelerator.wait_for_everyone()
        return summary

    def _run(self, step: int, weights: Path) -> Summary:
        from reasonlab.evaluate import run_eval
        from reasonlab.models.local import LocalModel

        model = LocalModel(weights, batch_size=self.batch_size, progress=False,
                           chat_template="on" if self.chat else "off")
        model.name = f"{self.run_name}@step-{step}"
        try:
            summary = run_eval(model, self.suite, self.folder / f"step-{step}",
                               batch_size=self.batch_size, progress=False)
        finally:
            model.close()
        record_step(self.folder, step_row(step, summary))
        return summary


def read_steps(folder: str | Path) -> list[dict[str, Any]]:
    path = Path(folder) / STEPS_FILE
    return [obj for _, obj in read_jsonl(path)] if path.is_file() else []


__all__ = ["InLoopEval", "held_out_prompts", "read_steps", "resolve_suite"]
