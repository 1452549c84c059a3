"""The tiny-model factory: a Llama-style causal LM with random weights and a character-level
tokenizer, saved in standard Hugging Face format so anything that loads HF models loads it.

Tests and the demo start from this; nothing is downloaded. The tokenizer is one token per
printable ASCII character (plus newline and tab) with ``<pad>``, ``<bos>``, ``<eos>`` and
``<unk>`` as special tokens. Tags such as ``<think>`` stay plain characters: a model that must
learn the format from a handful of characters is simpler and more robust than one with extra
vocabulary. The chat template just concatenates message contents, so a served tiny model sees
exactly the raw prompt a local one sees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reasonlab.core.errors import ConfigError

SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>", "<unk>"]
CHARACTERS = ["\n", "\t"] + [chr(c) for c in range(32, 127)]

# Messages are joined by a blank line; the generation prompt adds nothing, because the tiny
# models are trained on raw "prompt + completion" text.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{{ message['content'] }}"
    "{% if not loop.last %}\n\n{% endif %}{% endfor %}"
)


@dataclass(frozen=True)
class TinySize:
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int = 1024


# tiny ≈ 0.87 M parameters (the demo model), small ≈ 4.8 M.
SIZES = {
    "tiny": TinySize(hidden_size=128, num_hidden_layers=4, num_attention_heads=4,
                     intermediate_size=384),
    "small": TinySize(hidden_size=256, num_hidden_layers=6, num_attention_heads=8,
                      intermediate_size=768),
}


def build_tokenizer():
    """A PreTrainedTokenizerFast that maps each character to one token."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS + CHARACTERS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    # Every single character (newline included) is its own pre-token, so WordLevel sees chars.
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    bos = vocab["<bos>"]
    core.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", bos)])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
        unk_token="<unk>", padding_side="left", clean_up_tokenization_spaces=False,
        model_max_length=SIZES["tiny"].max_position_embeddings)
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def init_tiny_model(out: str | Path, size: str = "tiny", seed: int = 0) -> Path:
    """Write a randomly initialised model + tokenizer to ``out``; returns the folder."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    if size not in SIZES:
        raise ConfigError(f"unknown size {size!r}; choose one of {sorted(SIZES)}", field="size")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a folder", field="out")
    dims = SIZES[size]
    tokenizer = build_tokenizer()
    tokenizer.model_max_length = dims.max_position_embeddings
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=dims.hidden_size,
        num_hidden_layers=dims.num_hidden_layers, num_attention_heads=dims.num_attention_heads,
        num_key_value_heads=dims.num_attention_heads, intermediate_size=dims.intermediate_size,
        max_position_embeddings=dims.max_position_embeddings, rms_norm_eps=1e-5,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    # Sampling by default, like most released chat models: `transformers serve` only honours a
    # request's temperature when the model's config samples (temperature 0 turns it greedy).
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, do_sample=True, temperature=1.0, top_p=1.0,
        top_k=0)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    params = sum(p.numel() for p in model.parameters())
    (out / "reasonlab_model.json").write_text(json.dumps(
        {"factory": "reasonlab.models.tiny", "size": size, "seed": seed, "parameters": params},
        indent=2) + "\n")
    return out
