"""Training's side of issue 12: resume knows a local model by its resolved path (item 12), and
a run prints compact progress lines — not the Trainer's raw log dicts — with every field in
metrics.jsonl and no dependency FutureWarnings (item 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reasonlab.core.errors import ConfigError
from reasonlab.train import runfolder
from reasonlab.train.config import parse_recipe


def recipe_for(model: str):
    return parse_recipe({"kind": "rl", "model": model, "tasks": [{"name": "addition"}]},
                        source="r.yaml")


def test_resume_knows_the_model_relative_or_absolute(tiny_model_dir, tmp_path, monkeypatch):
    out = tmp_path / "run"
    runfolder.prepare(recipe_for(str(tiny_model_dir)), out, resume=False)
    monkeypatch.chdir(tiny_model_dir.parent)
    runfolder.prepare(recipe_for(tiny_model_dir.name), out, resume=True)      # same folder
    runfolder.prepare(recipe_for(f"./{tiny_model_dir.name}"), out, resume=True)
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match="model"):
        runfolder.prepare(recipe_for(str(other)), out, resume=True)


@pytest.mark.slow
def test_training_prints_progress_lines_not_log_dicts(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "reasonlab", "train", "rl", "--config", "smoke", "--out",
         str(out), "--max-steps", "2"], capture_output=True, text=True, timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    both = done.stdout + done.stderr
    assert "{'loss'" not in both and "'learning_rate'" not in both, both[-2000:]
    assert "FutureWarning" not in both, both[-2000:]
    steps = [line for line in done.stderr.splitlines() if line.startswith("reasonlab: step ")]
    assert [line.split()[2] for line in steps] == ["1/2", "2/2"], done.stderr[-2000:]
    assert all("loss" in line and "reward" in line and len(line) < 120 for line in steps)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    logged = [r for r in rows if "reward" in r]
    assert [r["step"] for r in logged] == [1, 2]
    assert len(logged[0]) > 20     # the full record is kept on disk
