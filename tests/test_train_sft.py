"""SFT: the loss is on the completion only, and a short run writes a loadable model."""

from __future__ import annotations

import json

import pytest

from reasonlab.train.config import load_recipe

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sft_run(tiny_model_dir, tmp_path_factory):
    from reasonlab.train.sft import train_sft

    recipe = load_recipe("sft-smoke", [f"model={tiny_model_dir}", "max_steps=2", "sft_items=16",
                                       "checkpoint.every=1", "eval.every=2", "eval.suite=smoke"])
    out = tmp_path_factory.mktemp("sft") / "run"
    final = train_sft(recipe, out)
    return out, final


def test_labels_mask_the_prompt(tiny_model_dir, tmp_path):
    from transformers import AutoTokenizer

    from reasonlab.train.sft import build_sft_trainer

    recipe = load_recipe("sft-smoke", [f"model={tiny_model_dir}", "sft_items=4"])
    trainer = build_sft_trainer(recipe, tmp_path, str(tiny_model_dir), max_steps=1)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    raw = trainer.train_dataset[0]
    batch = trainer.data_collator([raw])
    labels, ids = batch["labels"][0].tolist(), batch["input_ids"][0].tolist()
    trained = [i for i, label in enumerate(labels) if label != -100]
    assert trained, "no token carries loss"
    first = trained[0]
    # Everything before the completion is masked; everything after is trained, EOS included.
    assert trained == list(range(first, len(labels)))
    assert [labels[i] for i in trained] == [ids[i] for i in trained]
    completion = tokenizer.decode(ids[first:])
    assert completion.startswith("<think>") and completion.endswith(tokenizer.eos_token)
    assert "What is" in tokenizer.decode(ids[:first])
    assert "What is" not in completion


def test_sft_run_writes_final_checkpoints_and_metrics(sft_run):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out, final = sft_run
    assert final == out / "final"
    AutoModelForCausalLM.from_pretrained(final)
    AutoTokenizer.from_pretrained(final)
    info = json.loads((final / "reasonlab_train.json").read_text())
    assert info["kind"] == "sft" and info["steps"] == 2
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        "checkpoint-1", "checkpoint-2"]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert any("loss" in r for r in rows)


def test_a_finished_run_refuses_a_second_start_without_resume(sft_run, tiny_model_dir):
    from reasonlab.core.errors import ConfigError
    from reasonlab.train.sft import train_sft

    out, _ = sft_run
    recipe = load_recipe("sft-smoke", [f"model={tiny_model_dir}"])
    with pytest.raises(ConfigError, match="--resume"):
        train_sft(recipe, out)


def test_in_loop_eval_writes_run_folders_and_steps(sft_run):
    from reasonlab.train.eval_callback import read_steps

    out, _ = sft_run
    folder = out / "evals" / "step-2"
    for name in ("config.yaml", "samples.jsonl", "summary.json"):
        assert (folder / name).is_file(), name
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["complete"] and summary["samples"] == 8   # smoke: 2 tasks x 2 levels x 2
    rows = read_steps(out / "evals")
    assert [r["step"] for r in rows] == [2]
    assert rows[0]["accuracy"] == summary["overall"]["accuracy"]
    assert set(rows[0]["tasks"]) == {"addition", "multiplication"}
    assert not list((out / "evals").glob(".weights-*")), "temporary weights left behind"


def test_phased_sft_trains_each_phase_on_fresh_items_and_resumes_past_finished_ones(
        tiny_model_dir, tmp_path, capsys):
    import torch
    from transformers import AutoModelForCausalLM

    from reasonlab.core.errors import ConfigError
    from reasonlab.train.sft import train_sft

    phases = ("phases=[{name: skill, max_steps: 2, styles: {full: 1.0}}, {name: habit, "
              "max_steps: 2, styles: {full: 0.3, direct: 0.7}, trl: {learning_rate: 1.0e-4}}]")
    recipe = load_recipe("sft-smoke", [f"model={tiny_model_dir}", phases, "checkpoint.every=1"])
    out = tmp_path / "run"
    final = train_sft(recipe, out)
    skill, habit = out / "phases" / "skill", out / "phases" / "habit"
    info = json.loads((final / "reasonlab_train.json").read_text())
    assert [p["name"] for p in info["phases"]] == ["skill", "habit"]
    assert [p["start"] for p in info["phases"]] == [0, 16]        # 2 steps x batch 8, then new
    assert json.loads((habit / "final" / "reasonlab_train.json").read_text())["base_model"] == \
        str((skill / "final").resolve())
    weights = [AutoModelForCausalLM.from_pretrained(p).state_dict()
               for p in (habit / "final", final)]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    # The same command again without --resume is refused; with it, nothing is retrained.
    with pytest.raises(ConfigError, match="--resume"):
        train_sft(recipe, out)
    capsys.readouterr()
    stamp = (habit / "final" / "config.json").stat().st_mtime_ns
    train_sft(recipe, out, resume=True)
    assert "SFT phase" not in capsys.readouterr().out
    assert (habit / "final" / "config.json").stat().st_mtime_ns == stamp
    with pytest.raises(ConfigError, match="max_steps"):
        train_sft(recipe, tmp_path / "other", max_steps=3)
    # Resuming with other phases would reuse finished ones that no longer match: refused.
    longer = load_recipe("sft-smoke", [f"model={tiny_model_dir}", phases.replace(
        "max_steps: 2, styles: {full: 1.0}", "max_steps: 3, styles: {full: 1.0}"),
        "checkpoint.every=1"])
    with pytest.raises(ConfigError, match="differs") as err:
        train_sft(longer, out, resume=True)
    assert err.value.field == "phases"
