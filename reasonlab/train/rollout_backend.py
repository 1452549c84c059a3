"""An RL step's completions through reasonlab's own decoding loop instead of ``model.generate``.

TRL generates with transformers' ``generate`` on the policy itself, in the policy's dtype
(float32 on a CPU, where training runs under bf16 autocast). With ``generation_backend:
reasonlab`` the trainer generates with the local backend's loop (``models/local.py``: KV cache,
a shared prompt prefix read once, finished rows dropped) on a copy of the policy in bf16 on a
CPU with native bf16 (float32 elsewhere), refreshed from the policy's weights whenever an
optimizer step has changed them. Its effect on an RL step is measured by `make bench`
(``real_rl_step_reasonlab_rollouts``; docs/training.md, "Speed"). Sampling follows the
recipe's ``temperature``, ``top_p``, ``top_k`` and ``max_completion_length``; settings the loop
does not implement (``min_p``, ``repetition_penalty``, ``generation_kwargs``, vLLM) are refused
when the recipe is read.

The completions are seeded by (recipe seed, process, step, call), so a resumed run samples
what the uninterrupted one sampled. What the policy is trained on is unchanged: TRL computes every
log-probability with the training model, as it does after vLLM generation.
"""

from __future__ import annotations

import copy
import random
from typing import Any

BACKENDS = ("trl", "reasonlab")
# GRPOConfig settings the local loop does not implement, with the value that means "off".
UNSUPPORTED = {"min_p": None, "repetition_penalty": 1.0, "generation_kwargs": None,
               "use_vllm": False, "use_transformers_continuous_batching": False}


def check_backend(recipe: Any) -> None:
    """Refuse a recipe that asks the reasonlab backend for what it cannot do."""
    backend = recipe.generation_backend
    if backend not in BACKENDS:
        raise recipe.fail("generation_backend", f"must be one of {', '.join(BACKENDS)}, got "
                                                f"{backend!r}")
    if backend == "trl":
        return
    if recipe.kind != "rl":
        raise recipe.fail("generation_backend", "applies to RL recipes only")
    for key, off in UNSUPPORTED.items():
        if recipe.trl.get(key, off) != off:
            raise recipe.fail(f"trl.{key}", "is not implemented by generation_backend: "
                                            "reasonlab; remove it or use generation_backend: trl")


class FastRollouts:
    """Completions for the trainer's prompt ids, from a generation copy of its policy."""

    def __init__(self, trainer: Any, seed: int):
        self.trainer, self.seed = trainer, seed
        self.copy: Any = None
        self.local: Any = None
        self.synced_step: int | None = None
        self.calls: dict[int, int] = {}     # step -> generation calls made in it

    def _sync(self) -> None:
        import torch

        from reasonlab.models.hardware import BF16_MIN_PARAMETERS, cpu_has_native_bf16
        from reasonlab.models.local import LocalModel

        policy = self.trainer.accelerator.unwrap_model(self.trainer.model)
        step = self.trainer.state.global_step
        if self.copy is None:
            self.copy = copy.deepcopy(policy)
            big = sum(p.numel() for p in policy.parameters()) >= BF16_MIN_PARAMETERS
            device = next(policy.parameters()).device
            if device.type == "cpu" and big and cpu_has_native_bf16():
                self.copy.to(torch.bfloat16)
            self.copy.requires_grad_(False)
            self.local = LocalModel.around(self.copy, self.trainer.processing_class)
        elif self.synced_step != step:
            with torch.no_grad():
                self.copy.load_state_dict(policy.state_dict())
        self.synced_step = step

    def completions(self, prompt_ids: list[list[int]]) -> list[list[int]]:
        from reasonlab.models.base import SamplingParams

        self._sync()
        args = self.trainer.args
        step = self.trainer.state.global_step
        self.calls[step] = call = self.calls.get(step, 0) + 1
        rank = self.trainer.accelerator.process_index
        seed = random.Random(f"rollouts|{self.seed}|{rank}|{step}|{call}").randrange(2 ** 63)
        params = SamplingParams(max_tokens=args.max_completion_length,
                                temperature=args.temperature, top_p=args.top_p,
                                top_k=args.top_k or 0, seed=seed, stop=[])
        self.local.batch_size = max(1, len(prompt_ids))     # one batch: groups share prefixes
        generations = self.local.generate_ids(prompt_ids, params)
        failed = [g.error for g in generations if g.finish_reason == "error"]
        if failed:
            raise RuntimeError(f"rollout generation failed: {failed[0]}")
        return [g.token_ids for g in generations]
