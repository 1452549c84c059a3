"""rl_step: wall time per RL step of ``reasonlab train rl`` (verifier rewards, curriculum, rollout
log, metrics log, atomic-checkpoint trainer) against TRL's GRPOTrainer called directly with a
plain reward function — same tiny model, same prompts' shape, batch, generation length and TRL
settings. Runs alternate (ours, TRL, ours, TRL, …) in one process so machine noise hits both;
the figure is the median time between consecutive ``on_step_end`` events, the first steps of each
run (compilation, caches) left out. Target: ratio <= 1.10.

Torch runs one intra-op thread on both sides: the tiny model gains nothing from more, and on a
shared 2-core machine spinning OpenMP threads make step times swing tenfold, drowning the
overhead being measured.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from transformers import TrainerCallback

from benchmarks.common import Result

WARMUP_STEPS = 2


class StepTimer(TrainerCallback):
    def __init__(self) -> None:
        self.stamps: list[float] = []

    def on_step_end(self, args, state, control, **kwargs):
        self.stamps.append(time.perf_counter())
        return control

    def durations(self) -> list[float]:
        gaps = [b - a for a, b in zip(self.stamps, self.stamps[1:], strict=False)]
        return gaps[WARMUP_STEPS - 1:]


def settings(quick: bool) -> dict:
    return {"per_device_train_batch_size": 16, "num_generations": 8,
            "max_completion_length": 32 if quick else 64, "temperature": 1.0,
            "learning_rate": 1e-5, "beta": 0.0, "loss_type": "dapo", "logging_steps": 1,
            "disable_tqdm": True, "report_to": []}


def run_ours(model: Path, out: Path, steps: int, quick: bool) -> list[float]:
    from reasonlab.train.config import parse_recipe
    from reasonlab.train.rl import train_rl

    recipe = parse_recipe({
        "kind": "rl", "model": str(model), "seed": 0, "max_steps": steps,
        "tasks": [{"name": "addition", "min_level": 1, "max_level": 3}],
        "rewards": {"correctness": 1.0, "format": 0.1},
        "checkpoint": {"every": 10_000, "keep": 1},
        "rollouts": True, "trl": settings(quick)}, source="bench")
    timer = StepTimer()
    train_rl(recipe, out, callbacks=[timer])
    return timer.durations()


def run_trl(model: Path, out: Path, steps: int, quick: bool) -> list[float]:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from reasonlab.core.prompting import build_prompt
    from reasonlab.tasks import get_task

    task = get_task("addition")
    items = [task.item(i, 1, 0) for i in range(steps * 4)]   # ours starts at level 1 too
    dataset = Dataset.from_dict({
        "prompt": [build_prompt(it.prompt, "default", False) for it in items],
        "answer": [it.answer for it in items]})

    def plain_reward(completions: list[str], answer: list[str], **_) -> list[float]:
        pairs = zip(completions, answer, strict=True)
        return [float(f"<answer>{a}</answer>" in c) for c, a in pairs]

    args = GRPOConfig(output_dir=str(out), max_steps=steps, seed=0, bf16=False, use_cpu=True,
                      save_strategy="no", **settings(quick))
    timer = StepTimer()
    trainer = GRPOTrainer(model=str(model), reward_funcs=[plain_reward], args=args,
                          train_dataset=dataset, callbacks=[timer])
    trainer.train()
    return timer.durations()


def run(quick: bool = False) -> list[Result]:
    import torch
    import transformers

    from reasonlab.models.tiny import init_tiny_model

    transformers.logging.set_verbosity_error()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    steps = 6 if quick else 12
    rounds = 2 if quick else 3
    ours: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-rl-") as tmp:
        root = Path(tmp)
        model = init_tiny_model(root / "model", size="tiny", seed=0)
        for r in range(rounds):
            ours += run_ours(model, root / f"ours-{r}", steps, quick)
            theirs += run_trl(model, root / f"trl-{r}", steps, quick)
    torch.set_num_threads(threads)
    value, baseline = statistics.median(ours), statistics.median(theirs)
    s = settings(quick)
    note = (f"tiny model, {s['per_device_train_batch_size']} completions x "
            f"{s['max_completion_length']} tokens per step, {rounds} alternating runs x {steps} "
            f"steps (first {WARMUP_STEPS} dropped); medians of {len(ours)} vs {len(theirs)} steps; "
            "1 torch thread")
    return [Result(name="rl_step", value=value, unit="s/step", baseline=baseline,
                   target="<= 1.10", note=note)]
