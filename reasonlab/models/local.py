"""The local backend: a Hugging Face checkpoint folder, decoded in batches by a lean loop.

Why not ``model.generate``: the loop here needs per-row control that ``generate`` does not
offer cheaply — budget forcing (insert tokens into one row, mask out an early ``</think>``),
the probabilities of the answer tokens, per-row stop strings that stay in the text — and it
drops finished rows from the batch so the rest decode faster. Prompts are sorted by length
and left-padded; positions come from the attention mask, so masked-out tokens leave no gap.
A prefix that every prompt of a batch shares (a template) is read once and its cache copied to
each row; the cache is preallocated (``kvcache.py``) and the mask written a column per step.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.models.base import Generation, Model, SamplingParams
from reasonlab.models.rowstate import ForcingPlan, RowState


def check_params(params: SamplingParams) -> None:
    """Reject settings that cannot work, saying which field and why."""
    if params.max_tokens < 1:
        raise ConfigError("must be >= 1", field="max_tokens")
    if params.temperature < 0:
        raise ConfigError("must be >= 0 (0 = greedy)", field="temperature")
    if not 0 < params.top_p <= 1:
        raise ConfigError("must be in (0, 1]", field="top_p")
    if params.top_k < 0:
        raise ConfigError("must be >= 0 (0 = off)", field="top_k")
    budget, least = params.thinking_budget, params.min_thinking_tokens
    if budget is not None and budget < 1:
        raise ConfigError("must be >= 1 or null", field="thinking_budget")
    if budget is not None and least is not None and least > budget:
        raise ConfigError(f"min_thinking_tokens ({least}) exceeds thinking_budget ({budget})",
                          field="min_thinking_tokens")


class LocalModel(Model):
    """Batched generation with a KV cache from a local checkpoint folder."""

    def __init__(self, path: str | Path, *, batch_size: int = 64, device: str = "auto",
                 dtype: str = "auto", chat_template: Literal["auto", "on", "off"] = "auto",
                 progress: bool = True):
        """``dtype``: ``auto`` is the checkpoint's own, except bf16 for a large model on a CPU
        with native bf16 (``models/hardware.py``); ``chat_template``: auto | on | off, the prompt
        form (``models/prompt_form.py``)."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from reasonlab.models.hardware import prefers_bf16
        from reasonlab.models.prompt_form import check_choice, decide

        folder = Path(path)
        if not (folder / "config.json").is_file():
            raise InputError("not a model folder (no config.json)", file=str(folder))
        if batch_size < 1:
            raise ConfigError("must be >= 1", field="batch_size")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        check_choice(chat_template, "chat_template")
        tokenizer = AutoTokenizer.from_pretrained(folder)
        form = decide(chat_template, tokenizer, "chat_template")
        if dtype == "auto" and torch.device(device).type == "cpu" and prefers_bf16(folder):
            dtype = "bfloat16"
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).to(device)
        self._setup(str(path), model, tokenizer, batch_size=batch_size, progress=progress,
                    chat=form.chat)
        self.prompt_form = form

    @classmethod
    def around(cls, model, tokenizer, *, name: str = "policy", batch_size: int = 64,
               progress: bool = False) -> LocalModel:
        """This backend's decoding around a model already in memory (the RL trainer's
        generation copy), prompting bare: callers hand it token ids (``generate_ids``)."""
        from reasonlab.models.prompt_form import PromptForm

        self = cls.__new__(cls)
        self._setup(name, model, tokenizer, batch_size=batch_size, progress=progress,
                    chat=False)
        self.prompt_form = PromptForm(False, "off", "token ids given")
        return self

    def _setup(self, name: str, model, tokenizer, *, batch_size: int, progress: bool,
               chat: bool) -> None:
        self.name = name
        self.batch_size = batch_size
        self.progress = progress
        self.tokenizer, self.model = tokenizer, model
        self.device = next(model.parameters()).device
        self.model.eval()
        self.use_chat_template = chat
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "left"
        eos = self.model.generation_config.eos_token_id
        eos = eos if isinstance(eos, list) else [eos]
        self.eos_ids = frozenset(i for i in eos + [self.tokenizer.eos_token_id] if i is not None)
        self._pieces: dict[int, str] = {}
        # transformers renamed the forward's `past_key_values` to `cache` during 5.x.
        params = inspect.signature(self.model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"

    def info(self) -> dict:
        return {**super().info(), "parameters": sum(p.numel() for p in self.model.parameters()),
                "device": str(self.device), "batch_size": self.batch_size,
                "dtype": str(self.model.dtype).removeprefix("torch."),
                "prompt_form": self.prompt_form.name}

    def close(self) -> None:
        self.model = None

    # -- text <-> tokens ------------------------------------------------------------------
    def piece(self, token: int) -> str:
        text = self._pieces.get(token)
        if text is None:
            text = self._pieces[token] = self.tokenizer.decode([token])
        return text

    def render(self, prompt: str) -> str:
        if not self.use_chat_template:
            return prompt
        return self.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)

    def encode(self, texts: list[str]) -> list[list[int]]:
        # One batched call (the fast tokenizer runs it in Rust); a chat template writes its own
        # special tokens, a raw prompt gets the tokenizer's.
        if not texts:
            return []
        return self.tokenizer(list(texts),
                              add_special_tokens=not self.use_chat_template)["input_ids"]

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    # -- generation -----------------------------------------------------------------------
    def generate(self, prompts: Sequence[str], params: SamplingParams,
                 on_done: Callable[[int, Generation], None] | None = None) -> list[Generation]:
        import torch

        check_params(params)
        plan = ForcingPlan(close_ids=self._ids("\n</think>"), answer_ids=self._ids("\n<answer>"),
                           wait_ids=self._ids(params.wait_text),
                           thinking_budget=params.thinking_budget,
                           min_thinking_tokens=params.min_thinking_tokens)
        generator = None
        if params.seed is not None:
            generator = torch.Generator(device=self.device).manual_seed(params.seed)
        rendered = [self.render(p) for p in prompts]
        return self._generate_encoded(rendered, self.encode(rendered), params, plan, generator,
                                      on_done)

    def generate_ids(self, encoded: Sequence[Sequence[int]],
                     params: SamplingParams) -> list[Generation]:
        """Complete prompts given as token ids (the RL trainer's rollouts); each Generation
        carries its completion's ``token_ids`` (the end token included when it ended on one)."""
        import torch

        check_params(params)
        plan = ForcingPlan(close_ids=[], answer_ids=[], wait_ids=[])
        generator = None
        if params.seed is not None:
            generator = torch.Generator(device=self.device).manual_seed(params.seed)
        encoded = [list(ids) for ids in encoded]
        texts = [self.tokenizer.decode(ids) for ids in encoded]
        return self._generate_encoded(texts, encoded, params, plan, generator, None)

    def _generate_encoded(self, rendered: list[str], encoded: list[list[int]],
                          params: SamplingParams, plan: ForcingPlan, generator,
                          on_done: Callable[[int, Generation], None] | None,
                          ) -> list[Generation]:
        from tqdm import tqdm

        prompts = rendered
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
        results: list[Generation | None] = [None] * len(prompts)

        def finish(i: int, gen: Generation) -> None:
            results[i] = gen
            bar.update(1)
            if on_done is not None:
                on_done(i, gen)

        with tqdm(total=len(prompts), desc="generate", unit="prompt",
                  disable=not self.progress or None) as bar:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start:start + self.batch_size]
                try:
                    self._decode_batch([rendered[i] for i in chunk], [encoded[i] for i in chunk],
                                       params, plan, generator,
                                       lambda j, gen, chunk=chunk: finish(chunk[j], gen))
                except (RuntimeError, ValueError, IndexError) as exc:
                    # One prompt must not sink the rest: report the failure on each prompt of
                    # the batch that has no result yet (OOM, a too-long prompt, ...).
                    for i in chunk:
                        if results[i] is None:
                            finish(i, Generation(text="", finish_reason="error",
                                                 prompt_tokens=len(encoded[i]),
                                                 error=f"{type(exc).__name__}: {exc}"))
        return [r for r in results if r is not None]

    def _decode_batch(self, prompts: list[str], encoded: list[list[int]],
                      params: SamplingParams, plan: ForcingPlan, generator,
                      emit: Callable[[int, Generation], None]) -> None:
        import torch

        from reasonlab.models.kvcache import preallocated_cache

        n = len(encoded)
        width = max(len(ids) for ids in encoded)
        pad = self.tokenizer.pad_token_id
        # Forcing and wait-replacement cost steps; bound them so a loop cannot run forever.
        max_steps = 4 * params.max_tokens + 64
        capacity = initial_capacity(width, params, plan)
        shared = shared_prefix(encoded)
        input_ids = torch.full((n, width), pad, dtype=torch.long)
        # One mask buffer for the whole batch, written a column per step: no per-step concat.
        mask = torch.zeros((n, capacity), dtype=torch.long)
        # Row layout: the shared prefix, then left padding, then the row's own rest; positions
        # come from the mask, so the padding in the middle leaves no gap.
        for j, ids in enumerate(encoded):
            input_ids[j, :shared] = torch.tensor(ids[:shared], dtype=torch.long)
            mask[j, :shared] = 1
            input_ids[j, width - len(ids) + shared:] = torch.tensor(ids[shared:],
                                                                    dtype=torch.long)
            mask[j, width - len(ids) + shared:width] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        # With SDPA a ready 4-D boolean mask goes straight to the kernel, which skips rebuilding
        # the mask from the 2-D one inside every forward; other attention kernels get the 2-D.
        mask_4d = getattr(self.model.config, "_attn_implementation", None) == "sdpa"
        stops = [s for s in params.stop if s]
        rows = [RowState(prompt=p, max_tokens=params.max_tokens, stops=stops,
                         plan=plan, eos_ids=self.eos_ids, piece_of=self.piece) for p in prompts]
        batch = list(range(n))      # row index of each batch position
        t0 = time.perf_counter()
        cache = preallocated_cache(self.model.config, capacity)
        with torch.inference_mode():
            prompt_mask = mask[:, :width]
            positions = (prompt_mask.cumsum(-1) - 1).clamp(min=0)
            if shared:
                # The prefix every prompt shares (a template, an instruction) is read once
                # and its cache copied to every row.
                self.model(input_ids=input_ids[:1, :shared],
                           attention_mask=prompt_mask[:1, :shared],
                           position_ids=positions[:1, :shared], use_cache=True,
                           logits_to_keep=1, **{self._cache_kw: cache})
                cache.batch_repeat_interleave(n)
            out = self.model(input_ids=input_ids[:, shared:], attention_mask=prompt_mask,
                             position_ids=positions[:, shared:], use_cache=True, logits_to_keep=1,
                             **{self._cache_kw: cache})
            logits = out.logits[:, -1, :]
            for step in range(max_steps):
                col = width + step
                tokens, logprobs = sample(logits, params, generator)
                # Plain lists, turned into tensors once per step: per-element tensor writes
                # cost more than the rest of the row bookkeeping.
                feed = [pad] * len(batch)
                alive = [1] * len(batch)
                dead = []
                masked_cells: list[tuple[int, int]] = []
                for j, r in enumerate(batch):
                    row = rows[r]
                    if row.finished:
                        alive[j] = 0
                        dead.append(j)
                        continue
                    forced = row.next_forced()
                    if forced is None:
                        masked = row.accept(tokens[j], logprobs[j], col)
                    else:
                        masked = row.accept(forced, None, col)
                    masked_cells.extend((j, c) for c in masked)
                    if row.finished:
                        row.latency_s = time.perf_counter() - t0
                        emit(r, self._to_generation(row, len(encoded[r])))
                        alive[j] = 0
                        dead.append(j)
                    else:
                        feed[j] = row.to_feed
                if len(dead) == len(batch):
                    break
                if col >= mask.shape[1]:
                    mask = torch.cat([mask, torch.zeros_like(mask)], dim=1)
                if masked_cells:
                    js, cs = zip(*masked_cells, strict=True)
                    mask[list(js), list(cs)] = 0
                mask[:, col] = torch.tensor(alive, dtype=torch.long, device=self.device)
                feed = torch.tensor(feed, dtype=torch.long)
                # Dropping finished rows copies the cache, so do it once enough have piled up.
                if dead and len(dead) * 4 >= len(batch):
                    gone = set(dead)
                    keep = [j for j in range(len(batch)) if j not in gone]
                    index = torch.tensor(keep, dtype=torch.long, device=self.device)
                    cache.batch_select_indices(index)
                    mask, feed = mask.index_select(0, index), feed[index.cpu()]
                    batch = [batch[j] for j in keep]
                seen = mask[:, :col + 1]
                positions = seen.sum(-1, keepdim=True) - 1
                attention = seen.bool()[:, None, None, :] if mask_4d else seen
                out = self.model(input_ids=feed.view(-1, 1).to(self.device),
                                 attention_mask=attention, position_ids=positions,
                                 use_cache=True, **{self._cache_kw: cache})
                logits = out.logits[:, -1, :]
        for r in batch:
            row = rows[r]
            if not row.finished:
                row.finished, row.finish_reason = True, "length"
                row.latency_s = time.perf_counter() - t0
                emit(r, self._to_generation(row, len(encoded[r])))

    def _to_generation(self, row: RowState, prompt_tokens: int) -> Generation:
        text = self.tokenizer.decode(row.ids, skip_special_tokens=True)
        if row.finish_reason == "stop":
            # A multi-character token may carry text past the stop string: cut right after it.
            ends = [text.find(s) + len(s) for s in row.stops if s and s in text]
            if ends:
                text = text[:min(ends)]
        return Generation(
            text=text, prompt_tokens=prompt_tokens, completion_tokens=len(row.ids),
            thinking_tokens=row.thinking_tokens,
            answer_tokens=len(row.ids) - row.thinking_tokens,
            token_confidence=row.answer_confidence(), finish_reason=row.finish_reason,
            latency_s=row.latency_s, token_ids=list(row.ids))


# A shorter shared prefix saves less than the extra forward call costs.
MIN_SHARED_PREFIX = 8


def shared_prefix(encoded: list[list[int]]) -> int:
    """Tokens every prompt of the batch starts with (0 below ``MIN_SHARED_PREFIX`` or for a
    single prompt), leaving each prompt at least one token of its own to read."""
    if len(encoded) < 2:
        return 0
    first, limit = encoded[0], min(len(ids) for ids in encoded) - 1
    k = 0
    while k < limit and all(ids[k] == first[k] for ids in encoded):
        k += 1
    return k if k >= MIN_SHARED_PREFIX else 0


def initial_capacity(width: int, params: SamplingParams, plan: ForcingPlan) -> int:
    """Cache columns to allocate up front: the prompt, max_tokens and a forced closing tag.
    Replacing an early ``</think>`` costs extra steps; the cache and mask grow on such a run."""
    return width + params.max_tokens + len(plan.close_ids) + len(plan.answer_ids) + 1


def sample(logits, params: SamplingParams, generator) -> tuple[list[int], list[float]]:
    """Pick one token per row; also return its log-probability under the model's own
    (untempered) distribution, which is what answer-token confidence is built from."""
    import torch

    logits = logits.float()
    if params.temperature == 0:
        chosen = logits.argmax(dim=-1, keepdim=True)
    else:
        scores = logits / params.temperature
        if params.top_k > 0:
            kth = torch.topk(scores, min(params.top_k, scores.shape[-1]), dim=-1).values[:, -1:]
            scores = scores.masked_fill(scores < kth, float("-inf"))
        if params.top_p < 1.0:
            sorted_scores, sorted_idx = torch.sort(scores, dim=-1, descending=True)
            cum = sorted_scores.softmax(-1).cumsum(-1)
            # Keep the smallest prefix whose mass reaches top_p (the first token always stays).
            drop_sorted = (cum - sorted_scores.softmax(-1)) >= params.top_p
            drop = drop_sorted.scatter(-1, sorted_idx, drop_sorted)
            scores = scores.masked_fill(drop, float("-inf"))
        probs = scores.softmax(-1)
        chosen = torch.multinomial(probs, 1, generator=generator)
    logprob = logits.gather(-1, chosen) - logits.logsumexp(-1, keepdim=True)
    return chosen.view(-1).tolist(), logprob.view(-1).tolist()
