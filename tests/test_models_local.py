"""The tiny-model factory and the local backend, end to end on real (tiny) models."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import FORMAT_COMPLETION, FORMAT_THINK, format_prompt

from reasonlab.cli import main
from reasonlab.core.errors import ConfigError, InputError, ReasonlabError
from reasonlab.models import SamplingParams, load_model

MIXED_PROMPTS = ["2+2?", "", "What is 12 * 13? Think step by step.\n<think>", "a" * 40, "x\ny"]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    model = load_model(str(tiny_model_dir), progress=False)
    yield model
    model.close()


@pytest.fixture(scope="module")
def fmt(format_model_dir):
    model = load_model(str(format_model_dir), progress=False)
    yield model
    model.close()


def test_init_writes_a_standard_hf_folder(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert model.config.model_type == "llama"
    assert model.config.vocab_size == len(tokenizer)
    assert 0.5e6 < sum(p.numel() for p in model.parameters()) < 1.5e6
    text = "Q: 3+4?\n<think>a\tb</think><answer>7</answer>"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == len(text)                                   # one token per character
    assert tokenizer.decode(ids) == text
    assert tokenizer.chat_template
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False,
                                             add_generation_prompt=True)
    assert rendered == "<bos>hi"


def test_model_init_cli_sizes_and_errors(tmp_path, capsys):
    assert main(["model", "init", "--out", str(tmp_path / "s"), "--size", "small",
                 "--seed", "3"]) == 0
    info = json.loads((tmp_path / "s" / "reasonlab_model.json").read_text())
    assert info["size"] == "small" and info["seed"] == 3 and info["parameters"] > 3e6
    assert "wrote small model" in capsys.readouterr().out
    (tmp_path / "file").write_text("x")
    assert main(["model", "init", "--out", str(tmp_path / "file")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_greedy_is_deterministic_and_matches_hf_generate(tiny):
    import torch

    params = SamplingParams(max_tokens=24, stop=[])
    first = tiny.generate(MIXED_PROMPTS, params)
    assert [g.text for g in first] == [g.text for g in tiny.generate(MIXED_PROMPTS, params)]
    one_by_one = [tiny.generate([p], params)[0] for p in MIXED_PROMPTS]
    assert [g.text for g in first] == [g.text for g in one_by_one]
    for prompt, gen in zip(MIXED_PROMPTS, first, strict=True):
        enc = tiny.tokenizer(prompt, return_tensors="pt")
        with torch.inference_mode():
            out = tiny.model.generate(**enc, max_new_tokens=24, do_sample=False)
        new = out[0, enc["input_ids"].shape[1]:]
        assert gen.text == tiny.tokenizer.decode(new, skip_special_tokens=True)
        assert gen.completion_tokens == len(new)
        assert gen.prompt_tokens == enc["input_ids"].shape[1]


def test_small_batches_and_early_finishers_give_the_same_outputs(fmt, format_model_dir):
    # Format prompts stop after ~38 tokens, the others run to max_tokens: rows leave the batch
    # at different steps, and batch_size=2 splits the list into several batches.
    prompts = [format_prompt(1, 2), "zz", format_prompt(3, 4), "Hello there", "?" * 30]
    params = SamplingParams(max_tokens=45)
    together = fmt.generate(prompts, params)
    small = load_model(str(format_model_dir), batch_size=2, progress=False)
    assert [g.text for g in small.generate(prompts, params)] == [g.text for g in together]
    assert [g.text for g in together] == [fmt.generate([p], params)[0].text for p in prompts]
    assert together[0].text == FORMAT_COMPLETION


def test_stop_after_answer_keeps_the_tag_and_counts_tokens(fmt):
    gens = fmt.generate([format_prompt(a, a + 1) for a in range(4)], SamplingParams(max_tokens=80))
    for gen in gens:
        assert gen.text == FORMAT_COMPLETION
        assert gen.finish_reason == "stop"
        assert gen.completion_tokens == len(FORMAT_COMPLETION)
        assert gen.thinking_tokens == len(FORMAT_THINK)
        assert gen.answer_tokens == gen.completion_tokens - gen.thinking_tokens
        assert 0.5 < gen.token_confidence <= 1.0
        assert gen.error is None and gen.latency_s > 0


def test_max_tokens_and_custom_stop(fmt):
    short = fmt.generate([format_prompt(1, 1)], SamplingParams(max_tokens=5))[0]
    assert (short.text, short.completion_tokens, short.finish_reason) == ("Let m", 5, "length")
    assert short.token_confidence is None                          # no <answer> written
    stopped = fmt.generate([format_prompt(1, 1)], SamplingParams(stop=["add"]))[0]
    assert (stopped.text, stopped.finish_reason) == ("Let me add", "stop")


def test_budget_forcing_caps_thinking(fmt):
    gen = fmt.generate([format_prompt(2, 2)], SamplingParams(max_tokens=80,
                                                             thinking_budget=12))[0]
    # 12 = 3 tokens the model wrote + the 9 of the forced "\n</think>".
    assert gen.text.startswith("Let\n</think>\n<answer>")
    assert gen.thinking_tokens == 12
    assert gen.answer_tokens == gen.completion_tokens - 12


def test_budget_forcing_extends_short_thinking_with_wait(fmt):
    gen = fmt.generate([format_prompt(2, 2)], SamplingParams(max_tokens=80,
                                                             min_thinking_tokens=30))[0]
    assert gen.text.startswith("Let me add.Wait")                 # the early </think> is gone
    assert FORMAT_THINK not in gen.text
    closed = "</think>" in gen.text
    assert gen.thinking_tokens >= 30 or not closed
    if not closed:
        assert gen.thinking_tokens == gen.completion_tokens - gen.answer_tokens


def test_sampling_knobs(tiny):
    prompts = MIXED_PROMPTS[:3]
    greedy = [g.text for g in tiny.generate(prompts, SamplingParams(max_tokens=20, stop=[]))]
    hot = SamplingParams(max_tokens=20, stop=[], temperature=1.0, seed=7)
    a = [g.text for g in tiny.generate(prompts, hot)]
    assert a == [g.text for g in tiny.generate(prompts, hot)]      # seeded: reproducible
    hot.seed = 8
    assert a != [g.text for g in tiny.generate(prompts, hot)]
    for narrow in (SamplingParams(max_tokens=20, stop=[], temperature=1.0, top_k=1, seed=1),
                   SamplingParams(max_tokens=20, stop=[], temperature=1.0, top_p=1e-6, seed=1)):
        assert [g.text for g in tiny.generate(prompts, narrow)] == greedy


def test_on_done_once_per_prompt(tiny):
    seen: dict[int, object] = {}

    def on_done(i, gen):
        assert i not in seen
        seen[i] = gen

    gens = tiny.generate(MIXED_PROMPTS, SamplingParams(max_tokens=8), on_done=on_done)
    assert sorted(seen) == list(range(len(MIXED_PROMPTS)))
    assert all(seen[i] is gens[i] for i in seen)


def test_bad_settings_and_specs_are_clear(tiny, tmp_path):
    with pytest.raises(ConfigError, match="min_thinking_tokens"):
        tiny.generate(["x"], SamplingParams(thinking_budget=5, min_thinking_tokens=9))
    with pytest.raises(ConfigError, match="top_p"):
        tiny.generate(["x"], SamplingParams(top_p=0))
    with pytest.raises(InputError, match="no-such-model"):
        load_model(str(tmp_path / "no-such-model"))
    with pytest.raises(InputError, match="config.json"):
        load_model(str(tmp_path))


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_vllm_missing_is_a_clear_message(tiny_model_dir, capsys):
    with pytest.raises(ReasonlabError, match=r"pip install 'reasonlab\[vllm\]'"):
        load_model(f"vllm:{tiny_model_dir}")
    assert main(["model", "generate", "--model", f"vllm:{tiny_model_dir}",
                 "--prompt", "x"]) == 2
    assert "vllm is not installed" in capsys.readouterr().err
    assert main(["serve", "--model", str(tiny_model_dir), "--backend", "vllm"]) == 2
    assert "vllm is not installed" in capsys.readouterr().err


def test_serve_rejects_a_folder_without_a_model(tmp_path, capsys):
    assert main(["serve", "--model", str(tmp_path), "--port", "0"]) == 2
    assert "no config.json" in capsys.readouterr().err


def test_model_generate_cli(format_model_dir, capsys):
    assert main(["model", "generate", "--model", str(format_model_dir),
                 "--prompt", format_prompt(1, 2), "--max-tokens", "60"]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["text"] == FORMAT_COMPLETION and row["thinking_tokens"] == len(FORMAT_THINK)


@pytest.mark.parametrize("prefix", ["", "Add the two numbers below, then answer.\n"])
def test_batched_greedy_matches_hf_batched_generate(fmt, prefix):
    # Uneven prompt lengths (left padding) and rows that end at <eos> at different steps while
    # others run on to max_tokens: the preallocated cache, the in-place mask, the dropping of
    # finished rows and (with a common prefix) reading the shared prefix once must give exactly
    # what plain batched `generate` gives.
    import torch

    from reasonlab.models.local import MIN_SHARED_PREFIX, shared_prefix

    prompts = [prefix + p for p in (format_prompt(1, 2), "zz", format_prompt(31, 4), "?" * 30,
                                    format_prompt(5, 678))]
    assert (shared_prefix(fmt.encode(prompts)) >= MIN_SHARED_PREFIX) == bool(prefix)
    params = SamplingParams(max_tokens=45, stop=[])
    ours = fmt.generate(prompts, params)
    enc = fmt.tokenizer(prompts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = fmt.model.generate(**enc, max_new_tokens=45, do_sample=False,
                                 pad_token_id=fmt.tokenizer.pad_token_id)
    eos = fmt.tokenizer.eos_token_id
    lengths = set()
    for gen, row in zip(ours, out[:, enc["input_ids"].shape[1]:].tolist(), strict=True):
        new = row[:row.index(eos) + 1] if eos in row else row
        assert gen.text == fmt.tokenizer.decode(new, skip_special_tokens=True)
        assert gen.completion_tokens == len(new)
        lengths.add(len(new))
    if not prefix:
        assert len(lengths) > 1                   # rows really did finish at different steps


def test_shared_prefix_leaves_every_prompt_a_token_of_its_own():
    from reasonlab.models.local import shared_prefix

    same = list(range(20))
    assert shared_prefix([same, same + [5], same[:12] + [7]]) == 12
    assert shared_prefix([same, same]) == 19           # the last token is read per row
    assert shared_prefix([same, [1] + same]) == 0      # nothing in common
    assert shared_prefix([same[:5], same[:5] + [1]]) == 0   # too short to be worth a call
    assert shared_prefix([same]) == 0


def test_preallocated_cache_grows_and_selects_rows_like_dynamic_cache(tiny):
    import torch
    from transformers import DynamicCache

    from reasonlab.models.kvcache import PreallocatedLayer, preallocated_cache

    model = tiny.model
    ids = torch.tensor([[0, 0, 5, 6, 7], [8, 9, 10, 11, 12], [0, 13, 14, 15, 16]])
    mask = (ids != 0).long()
    small, plain = preallocated_cache(model.config, capacity=2), DynamicCache(config=model.config)
    assert all(isinstance(layer, PreallocatedLayer) for layer in small.layers)
    with torch.inference_mode():
        logits = []
        for cache in (small, plain):
            m, steps = mask, []
            out = model(input_ids=ids, attention_mask=m, position_ids=(m.cumsum(-1) - 1).clamp(0),
                        use_cache=True, **{tiny._cache_kw: cache})
            for step in range(6):                 # grows past capacity 2 (5 + 6 columns)
                if step == 3:                     # drop the middle row, as finished rows are
                    keep = torch.tensor([0, 2])
                    cache.batch_select_indices(keep)
                    m, out_logits = m[keep], out.logits[keep]
                else:
                    out_logits = out.logits
                token = out_logits[:, -1].argmax(-1, keepdim=True)
                m = torch.cat([m, torch.ones_like(token)], dim=1)
                out = model(input_ids=token, attention_mask=m, position_ids=m.sum(-1, True) - 1,
                            use_cache=True, **{tiny._cache_kw: cache})
                steps.append(out.logits[:, -1])
            logits.append(steps)
            assert cache.get_seq_length() == 11
    for ours, theirs in zip(*logits, strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_decode_loop_grows_its_cache_and_mask_past_the_first_allocation(fmt, monkeypatch):
    # Replacing an early </think> by the wait text costs steps beyond max_tokens; here the
    # first allocation is made tiny so every run takes the growth path, which must not change
    # a single token.
    import reasonlab.models.local as local

    prompts = [format_prompt(2, 2), "zz", format_prompt(31, 4)]
    settings = [SamplingParams(max_tokens=40, stop=[]),
                SamplingParams(max_tokens=40, min_thinking_tokens=30, thinking_budget=36)]
    expected = [[g.text for g in fmt.generate(prompts, p)] for p in settings]
    monkeypatch.setattr(local, "initial_capacity", lambda width, params, plan: width + 2)
    assert [[g.text for g in fmt.generate(prompts, p)] for p in settings] == expected
