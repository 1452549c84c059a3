"""vLLM in process (``--model vllm:PATH``), for GPU machines with the optional extra installed.

vllm is imported only when this backend is asked for, so the rest of reasonlab never needs it.
Token counts and answer-token confidence come from replaying the returned token ids through the
same bookkeeping the local backend uses, so both backends count thinking the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Literal

from reasonlab.core.errors import ConfigError, ReasonlabError
from reasonlab.models.base import Generation, Model, SamplingParams
from reasonlab.models.local import check_params
from reasonlab.models.rowstate import ForcingPlan, RowState

MISSING = "vllm is not installed: pip install 'reasonlab[vllm]' (needs a GPU)"


def import_vllm():
    try:
        import vllm
    except ImportError as exc:
        raise ReasonlabError(MISSING) from exc
    return vllm


class VLLMModel(Model):
    """``vllm.LLM`` behind the reasonlab :class:`Model` interface."""

    # Options past the declared ones go to ``vllm.LLM`` (``load_model`` checks their names).
    passthrough_what = "a vllm.EngineArgs field"

    @classmethod
    def passthrough_options(cls) -> list[str]:
        import dataclasses

        return [f.name for f in dataclasses.fields(import_vllm().EngineArgs) if f.name != "model"]

    def __init__(self, path: str, *, chat_template: Literal["auto", "on", "off"] = "auto",
                 progress: bool = True, **engine_options):
        from reasonlab.models.prompt_form import check_choice, decide

        vllm = import_vllm()
        check_choice(chat_template, "chat_template")
        self.name = f"vllm:{path}"
        self.progress = progress
        self.llm = vllm.LLM(model=path, **engine_options)
        self.tokenizer = self.llm.get_tokenizer()
        self.prompt_form = decide(chat_template, self.tokenizer, "chat_template")
        self.chat_template = self.prompt_form.chat
        self._pieces: dict[int, str] = {}

    def piece(self, token: int) -> str:
        text = self._pieces.get(token)
        if text is None:
            text = self._pieces[token] = self.tokenizer.decode([token])
        return text

    def generate(self, prompts: Sequence[str], params: SamplingParams,
                 on_done: Callable[[int, Generation], None] | None = None) -> list[Generation]:
        vllm = import_vllm()
        check_params(params)
        if params.thinking_budget is not None or params.min_thinking_tokens is not None:
            raise ConfigError("budget forcing is implemented by the local transformers backend; "
                              "use --model PATH for it", field="thinking_budget")
        sampling = vllm.SamplingParams(
            n=1, temperature=params.temperature, top_p=params.top_p,
            top_k=params.top_k if params.top_k > 0 else -1, seed=params.seed,
            max_tokens=params.max_tokens, stop=list(params.stop) or None,
            include_stop_str_in_output=True, logprobs=0)
        start = time.perf_counter()
        try:
            if self.chat_template:
                conversations = [[{"role": "user", "content": p}] for p in prompts]
                outputs = self.llm.chat(conversations, sampling, use_tqdm=self.progress)
            else:
                outputs = self.llm.generate(list(prompts), sampling, use_tqdm=self.progress)
        except (RuntimeError, ValueError) as exc:
            failed = [Generation(text="", finish_reason="error", error=f"{type(exc).__name__}: "
                                 f"{exc}") for _ in prompts]
            for i, gen in enumerate(failed):
                if on_done is not None:
                    on_done(i, gen)
            return failed
        elapsed = time.perf_counter() - start
        results = []
        for i, (prompt, output) in enumerate(zip(prompts, outputs, strict=True)):
            gen = self._to_generation(prompt, output, params)
            gen.latency_s = elapsed          # vLLM schedules the whole list together
            results.append(gen)
            if on_done is not None:
                on_done(i, gen)
        return results

    def _to_generation(self, prompt: str, output, params: SamplingParams) -> Generation:
        completion = output.outputs[0]
        row = RowState(prompt=prompt, max_tokens=len(completion.token_ids) + 1, stops=[],
                       plan=ForcingPlan(close_ids=[], answer_ids=[], wait_ids=[]),
                       eos_ids=frozenset(), piece_of=self.piece)
        logprobs = completion.logprobs or []
        for k, token in enumerate(completion.token_ids):
            entry = logprobs[k].get(token) if k < len(logprobs) else None
            row.accept(token, entry.logprob if entry is not None else 0.0, k)
        n = len(completion.token_ids)
        return Generation(
            text=completion.text, prompt_tokens=len(output.prompt_token_ids or []),
            completion_tokens=n, thinking_tokens=row.thinking_tokens,
            answer_tokens=n - row.thinking_tokens,
            token_confidence=row.answer_confidence() if logprobs else None,
            finish_reason="length" if completion.finish_reason == "length" else "stop")
