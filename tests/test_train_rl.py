"""RL end to end on the CPU: the smoke recipe under ``accelerate launch --num_processes 1 --cpu``
with in-loop evaluation (the uninterrupted run), then the same command run directly without
evaluation, SIGKILLed after its first checkpoint and resumed with --resume, reproducing the
uninterrupted run's weights exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reasonlab.train.rollouts import read_rollouts

pytestmark = pytest.mark.slow

VENV_BIN = Path(sys.executable).parent
# Short raw prompts and short completions keep each step well under a second; the length
# component gives the random tiny model a reward with variance, so the weights really move.
FAST = ["prompt.template=raw", "trl.max_completion_length=12", "rewards.length=1.0",
        "rewards.length_limit=12", "rewards.length_cache=12", "checkpoint.every=2",
        "checkpoint.keep=3", "max_steps=4", "eval.suite=smoke"]


def command(out: Path, model: Path, *extra: str, launcher: list[str] | None = None) -> list[str]:
    cmd = [*(launcher or [sys.executable]), "-m", "reasonlab", "train", "rl",
           "--config", "smoke", "--out", str(out), "--set", f"model={model}"]
    for pair in FAST:
        cmd += ["--set", pair]
    return cmd + list(extra)


def env() -> dict[str, str]:
    # One intra-op thread: a 0.9 M-parameter model gains nothing from more, and on a busy
    # machine two spinning OpenMP threads per process slow generation down tenfold.
    return {**os.environ, "TOKENIZERS_PARALLELISM": "false", "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": "1"}


def weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


@pytest.fixture(scope="module")
def straight(tiny_model_dir, tmp_path_factory) -> Path:
    """The uninterrupted run, launched by accelerate (one CPU process)."""
    out = tmp_path_factory.mktemp("rl") / "straight"
    launcher = [str(VENV_BIN / "accelerate"), "launch", "--num_processes", "1", "--cpu"]
    # In-loop evaluation on here only: the resumed run without it must still match exactly.
    result = subprocess.run(command(out, tiny_model_dir, "--set", "eval.every=2",
                                    launcher=launcher), env=env(),
                            timeout=300, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_smoke_under_accelerate_launch_writes_final_rollouts_and_metrics(straight, tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    final = straight / "final"
    model = AutoModelForCausalLM.from_pretrained(final)
    AutoTokenizer.from_pretrained(final)
    assert sum(p.numel() for p in model.parameters()) > 0
    assert max_diff(weights(final), weights(tiny_model_dir)) > 0, "training changed nothing"
    rows = read_rollouts(straight / "rollouts")
    assert {r["step"] for r in rows} == {1, 2, 3, 4}
    assert len(rows) == 4 * 8   # 4 steps x 2 prompts x 4 generations
    for row in rows:
        assert set(row["rewards"]) == {"correctness", "format", "length"}
        assert row["verdict"]["status"] in ("correct", "wrong", "unparsable")
        assert row["prompt"] and isinstance(row["completion"], str)
    logged = [json.loads(line) for line in (straight / "metrics.jsonl").read_text().splitlines()]
    assert any("rewards/correctness/mean" in r and "curriculum/addition/level" in r
               for r in logged)
    names = sorted(p.name for p in (straight / "checkpoints").iterdir())
    assert names == ["checkpoint-2", "checkpoint-4"]
    steps = [json.loads(line) for line in (straight / "evals" / "steps.jsonl").read_text()
             .splitlines()]
    assert [r["step"] for r in steps] == [2, 4]
    assert (straight / "evals" / "step-4" / "summary.json").is_file()
    # The suite's prompts were held out of training.
    held = {json.loads(line)["prompt"] for line in
            (straight / "evals" / "step-2" / "samples.jsonl").read_text().splitlines()}
    assert not held & {r["prompt"] for r in rows}


def test_sigkill_then_resume_matches_the_uninterrupted_run(straight, tiny_model_dir,
                                                           tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.Popen(command(out, tiny_model_dir), env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = out / "checkpoints" / "checkpoint-2" / "manifest.json"
    deadline = time.monotonic() + 240
    try:
        while not manifest.exists():
            assert proc.poll() is None, "the run ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within the time limit"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert not (out / "final").exists(), "the run finished before it could be killed"
    assert not (out / "checkpoints" / "checkpoint-4").exists()

    subprocess.run(command(out, tiny_model_dir, "--resume"), check=True, env=env(),
                   timeout=300, stdout=subprocess.DEVNULL)

    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(out / "final")
    assert max_diff(weights(straight / "final"), weights(out / "final")) < 1e-6
    # The data and the curriculum resumed too: steps 3-4 saw the same prompts and completions.
    after = [(r["step"], r["prompt"], r["completion"]) for r in read_rollouts(straight / "rollouts")
             if r["step"] > 2]
    resumed = [(r["step"], r["prompt"], r["completion"]) for r in read_rollouts(out / "rollouts")
               if r["step"] > 2]
    assert after == resumed


def test_bad_recipe_is_one_line_and_exit_code_2(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("kind: rl\nmodel: init:tiny\ntasks:\n  - name: nosuchtask\n")
    result = subprocess.run([str(VENV_BIN / "reasonlab"), "train", "rl", "--config", str(recipe),
                             "--out", str(tmp_path / "o")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert "bad.yaml:4" in result.stderr and "tasks[0].name" in result.stderr
    assert "Traceback" not in result.stderr
