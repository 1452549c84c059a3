"""The rollout log: every completion of every RL step as one JSONL line in
``DIR/rollouts/step-NNNNNN.jsonl`` — prompt, completion, each reward component, the verdicts —
for reading what the policy actually wrote and why it got its reward."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reasonlab.core.jsonl import atomic_writer, dumps
from reasonlab.tasks import Item
from reasonlab.train.rewards import BatchScore


def rollout_path(folder: str | Path, step: int) -> Path:
    return Path(folder) / f"step-{step:06d}.jsonl"


class RolloutWriter:
    """Called once per scored batch; rows from every process are gathered and the main process
    writes the file (atomically: a killed run never leaves half a step)."""

    def __init__(self, folder: str | Path, weights: dict[str, float], *,
                 gather: Callable[[list], list] | None = None, is_main: bool = True):
        self.folder = Path(folder)
        self.weights = weights
        self.gather = gather or (lambda rows: rows)
        self.is_main = is_main

    def __call__(self, step: int, prompts: Sequence[str], items: list[Item],
                 completions: Sequence[str], batch: BatchScore) -> None:
        rows = [self.row(step, i, prompts, items, completions, batch) for i in range(len(items))]
        rows = self.gather(rows)
        if not self.is_main:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = rollout_path(self.folder, step)
        # With steps_per_generation > 1 a step may score twice only on a resume; keep the last.
        with atomic_writer(path) as handle:
            for row in rows:
                handle.write(dumps(row) + "\n")

    def row(self, step: int, i: int, prompts: Sequence[str], items: list[Item],
            completions: Sequence[str], batch: BatchScore) -> dict[str, Any]:
        item = items[i]
        components = {name: values[i] for name, values in batch.components.items()}
        total = None if batch.masked[i] else sum(
            self.weights[name] * (value or 0.0) for name, value in components.items())
        row: dict[str, Any] = {
            "step": step, "id": item.id, "task": item.task, "difficulty": item.difficulty,
            "prompt": prompts[i], "completion": completions[i], "answer": item.answer,
            "rewards": components, "reward": total, "masked": batch.masked[i],
            "verdict": batch.verdicts[i].to_dict(),
        }
        if batch.judge is not None:
            row["judge"] = batch.judge[i].to_dict()
        return row


def read_rollouts(folder: str | Path) -> list[dict[str, Any]]:
    """Every logged rollout, oldest step first (for tests and inspection)."""
    from reasonlab.core.jsonl import read_jsonl

    out: list[dict[str, Any]] = []
    folder = Path(folder)
    if not folder.is_dir():
        return out
    for name in sorted(os.listdir(folder)):
        if name.startswith("step-") and name.endswith(".jsonl"):
            out.extend(obj for _, obj in read_jsonl(folder / name))
    return out
