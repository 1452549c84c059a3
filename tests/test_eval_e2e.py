"""`reasonlab eval` end to end through the real local backend (a tiny random model): the run
folder's contract, resume after SIGKILL, refusal to mix settings, budget forcing, transfer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from reasonlab.cli import main as cli_main
from reasonlab.core.errors import ConfigError
from reasonlab.evaluate.runfolder import read_samples
from reasonlab.evaluate.runner import expand, run_eval
from reasonlab.evaluate.suite import load_suite

SAMPLE_FIELDS = {"id", "task", "domain", "difficulty", "prompt", "answer", "verifier", "meta",
                 "model", "sample", "completion", "thinking_tokens", "answer_tokens",
                 "confidence", "verdict", "latency_s"}
TASK_FIELDS = {"accuracy", "ci95", "n", "errors", "by_difficulty", "mean_thinking_tokens",
               "spearman_tokens_difficulty"}


@pytest.fixture(scope="module")
def model_dir(request, tmp_path_factory) -> Path:
    """The shared tiny model when conftest provides it, else one made here."""
    try:
        return Path(request.getfixturevalue("tiny_model_dir"))
    except pytest.FixtureLookupError:
        from reasonlab.models.tiny import init_tiny_model

        return init_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def write_suite(path: Path, **fields) -> Path:
    data = {"name": path.stem, "seed": 0, "items": 2, "max_tokens": 16,
            "tasks": [{"task": "addition", "difficulties": [1, 2]},
                      {"task": "gcd", "difficulties": [1, 3]}]}
    data.update(fields)
    path.write_text(yaml.safe_dump(data))
    return path


def keys(rows) -> list[tuple[str, int]]:
    return [(r["id"], r["sample"]) for r in rows]


def test_smoke_suite_end_to_end(model_dir, tmp_path, capsys):
    out = tmp_path / "run"
    code = cli_main(["eval", "--model", str(model_dir), "--suite", "smoke", "--out", str(out),
                     "--no-progress", "--prices", "1.0,2.0"])
    assert code == 0
    suite = load_suite("smoke")
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    # Lines are in the order samples finished; together they are the suite's work units.
    assert sorted(keys(rows)) == sorted(u.key for u in expand(suite))
    assert len(set(keys(rows))) == len(rows)
    for row in rows:
        assert SAMPLE_FIELDS <= set(row), SAMPLE_FIELDS - set(row)
        assert row["model"] == str(model_dir)
        assert row["verdict"]["status"] in ("correct", "wrong", "unparsable", "timeout", "error")
        assert row["thinking_tokens"] + row["answer_tokens"] == row["completion_tokens"]
        assert row["confidence"] is None or 0 <= row["confidence"] <= 1
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["model"] == str(model_dir) and config["suite"]["name"] == "smoke"
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["tasks"]) == {"addition", "multiplication"}
    for name, block in summary["tasks"].items():
        assert TASK_FIELDS <= set(block)
        mine = [r for r in rows if r["task"] == name]
        decided = [r for r in mine if r["verdict"]["status"] not in ("error", "timeout")]
        correct = sum(r["verdict"]["status"] == "correct" for r in decided)
        assert block["n"] == len(decided) and block["n_total"] == len(mine)
        assert block["accuracy"] == pytest.approx(correct / len(decided))
        lo, hi = block["ci95"]
        assert lo <= block["accuracy"] <= hi
        assert set(block["by_difficulty"]) == {"1", "2"}
    assert {"accuracy", "ci95", "n", "errors"} <= set(summary["overall"])
    assert {"rms_hle", "rms_all_bins", "ece", "brier", "n"} <= set(summary["calibration"])
    versions = summary["versions"]
    assert versions["reasonlab"] and set(versions["tasks"]) == {"addition", "multiplication"}
    assert "exact" in versions["verifiers"]
    completion = sum(r["completion_tokens"] for r in rows)
    prompt = sum(r["prompt_tokens"] for r in rows)
    assert summary["cost"]["money"] == pytest.approx((prompt * 1.0 + completion * 2.0) / 1e6)
    assert "overall" in capsys.readouterr().err


def test_resume_after_sigkill_has_no_duplicates_or_gaps(model_dir, tmp_path):
    suite_file = write_suite(tmp_path / "resume.yaml", items=6, max_tokens=24,
                             tasks=[{"task": "addition", "difficulties": [1, 2, 3]},
                                    {"task": "gcd", "difficulties": [1, 2, 3]}])
    total = load_suite(str(suite_file)).total_samples()
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "reasonlab", "eval", "--model", str(model_dir),
               "--suite", str(suite_file), "--out", str(out), "--batch-size", "2",
               "--no-progress"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = out / "samples.jsonl"
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if samples.exists() and samples.read_bytes().count(b"\n") >= 4:
                break
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    written = samples.read_bytes().count(b"\n")
    assert 4 <= written < total, f"the run was not killed midway ({written}/{total})"
    # A kill can land mid-line: leave a torn line as such a write would.
    with samples.open("ab") as handle:
        handle.write(b'{"id": "addition-2-0-000001", "sample": 0, "completion": "torn')

    # Rerunning the same command resumes (in process here: it is the same entry point).
    assert cli_main(command[3:]) == 0
    rows = read_samples(samples)
    assert len(samples.read_text().splitlines()) == len(rows) == total
    assert len(set(keys(rows))) == total                                 # no duplicates
    assert sorted(keys(rows)) == sorted(u.key for u in expand(load_suite(str(suite_file))))

    clean = tmp_path / "clean"
    run_eval(str(model_dir), load_suite(str(suite_file)), clean, batch_size=8, progress=False)
    clean_rows = read_samples(clean / "samples.jsonl")
    assert len(clean_rows) == total
    assert sorted(keys(clean_rows)) == sorted(keys(rows))
    # Greedy decoding: the interrupted-and-resumed run wrote the same answers.
    by_key = {(r["id"], r["sample"]): r["completion"] for r in clean_rows}
    assert all(by_key[(r["id"], r["sample"])] == r["completion"] for r in rows)


def test_resume_refuses_changed_settings_and_rerun_is_a_no_op(model_dir, tmp_path):
    suite_file = write_suite(tmp_path / "small.yaml", items=1)
    out = tmp_path / "run"
    first = run_eval(str(model_dir), load_suite(str(suite_file)), out, progress=False)
    before = (out / "samples.jsonl").read_bytes()
    again = run_eval(str(model_dir), load_suite(str(suite_file)), out, progress=False,
                     batch_size=3)    # batch size is not material
    assert (out / "samples.jsonl").read_bytes() == before
    assert again.overall == first.overall
    with pytest.raises(ConfigError) as info:
        run_eval(str(model_dir), load_suite(str(suite_file), max_tokens=40), out,
                 progress=False)
    assert "suite.max_tokens" in str(info.value) and "config.yaml" in str(info.value)


def test_small_local_models_generate_on_one_thread_then_restore(model_dir, tmp_path):
    import torch

    suite = load_suite(str(write_suite(tmp_path / "t.yaml", items=1, max_tokens=4)))
    before = torch.get_num_threads()
    summary = run_eval(str(model_dir), suite, tmp_path / "run", progress=False)
    assert summary.model["parameters"] < 20_000_000
    assert torch.get_num_threads() == before


def test_budget_forcing_sweep_and_token_confidence(model_dir, tmp_path):
    # The template opens the think block, so even a random model is "thinking" from token one
    # and budget forcing has something to cut; the forced answer block gives token confidence.
    suite_file = write_suite(tmp_path / "budget.yaml", max_tokens=40, items=2,
                             template="{prompt}\n<think>", thinking_budgets=[12, 24])
    out = tmp_path / "run"
    summary = run_eval(str(model_dir), load_suite(str(suite_file)), out, progress=False)
    curve = summary.scaling.thinking_budget
    assert [p.thinking_budget for p in curve] == [12, 24, None]
    for budget in (12, 24):
        rows = read_samples(out / f"budget-{budget}" / "samples.jsonl")
        assert len(rows) == 8
        assert all(r["thinking_tokens"] <= budget for r in rows)
        assert all("</think>\n<answer>" in r["completion"] for r in rows)
        assert all(r["thinking_budget"] == budget for r in rows)
        assert json.loads((out / f"budget-{budget}" / "summary.json").read_text())[
            "thinking_budget"] == budget
    point = {p.thinking_budget: p for p in curve}
    assert point[12].mean_thinking_tokens <= 12 < point[None].mean_thinking_tokens
    forced = read_samples(out / "budget-12" / "samples.jsonl")
    with_conf = [r for r in forced if r["confidence"] is not None]
    assert with_conf and all(r["confidence_source"] == "tokens" for r in with_conf)
    cal = json.loads((out / "budget-12" / "summary.json").read_text())["calibration"]
    assert cal["n"] == len(with_conf) and cal["brier"] is not None and cal["ece"] is not None


def test_samples_curve(model_dir, tmp_path):
    suite_file = write_suite(tmp_path / "k.yaml", samples=4, items=1, temperature=1.0)
    base = tmp_path / "base"
    summary = run_eval(str(model_dir), load_suite(str(suite_file)), base, progress=False)
    curve = summary.scaling.samples
    assert curve.k == [1, 2, 4] and curve.items == [4, 4, 4]
    assert curve.pass_at_k[0] == pytest.approx(summary.overall.accuracy)
    assert curve.pass_at_k == sorted(curve.pass_at_k)          # more samples, more passes


def sums_file(path: Path, sums: list[tuple[int, int]]) -> Path:
    path.write_text("".join(json.dumps({"question": f"{a}+{b}=", "answer": str(a + b)}) + "\n"
                            for a, b in sums))
    return path


def test_taught_model_accuracy_confidence_and_transfer(model_dir, format_model_dir, tmp_path,
                                                       capsys):
    """The model conftest taught to write "Let me add.</think>\n<answer>7</answer>": right
    exactly where the answer is 7, with a token confidence; transfer against the random model."""
    in_domain = sums_file(tmp_path / "sevens.jsonl", [(3, 4), (8, 1), (5, 2), (6, 6)])
    other = sums_file(tmp_path / "others.jsonl", [(0, 7), (2, 3), (9, 9), (4, 4)])
    suite_file = write_suite(tmp_path / "taught.yaml", items=4, max_tokens=48,
                             template="Q: {prompt}\n<think>",
                             tasks=[{"task": f"file:{in_domain}", "difficulties": [1]},
                                    {"task": f"file:{other}", "difficulties": [1]}])
    suite = load_suite(str(suite_file))
    trained = run_eval(str(format_model_dir), suite, tmp_path / "trained", progress=False)
    rows = read_samples(tmp_path / "trained" / "samples.jsonl")
    assert all(r["verdict"]["parsed"] == "7" for r in rows)
    assert trained.tasks[f"file:{in_domain}"].accuracy == 0.5
    assert trained.tasks[f"file:{other}"].accuracy == 0.25
    assert all(r["confidence_source"] == "tokens" and 0 < r["confidence"] <= 1 for r in rows)
    assert all(r["thinking_tokens"] > 0 for r in rows)
    cal = trained.calibration
    assert cal.n == 8 and cal.rms_hle is None          # fewer than HLE's 100 per bin
    assert cal.by_source["tokens"].n == 8 and cal.by_source["verbalized"].n == 0
    confidence = [r["confidence"] for r in rows]
    correct = [r["verdict"]["status"] == "correct" for r in rows]
    assert cal.brier == pytest.approx(
        sum((c - k) ** 2 for c, k in zip(confidence, correct, strict=True)) / 8)
    assert trained.overall.reflection_per_1k == 0.0   # "Let me add." is no reflection

    base = tmp_path / "base"
    run_eval(str(model_dir), suite, base, progress=False)
    code = cli_main(["eval", "transfer", str(base), str(tmp_path / "trained"),
                     "--trained-tasks", f"file:{in_domain}"])
    assert code == 0
    result = json.loads((tmp_path / "trained" / "transfer.json").read_text())
    row = result["tasks"][f"file:{in_domain}"]
    assert row["in_domain"] and not result["tasks"][f"file:{other}"]["in_domain"]
    assert row["delta"] == pytest.approx(0.5 - row["base_accuracy"])
    lo, hi = row["ci95"]
    assert lo < row["delta"] < hi
    assert result["in_domain"]["tasks"] == [f"file:{in_domain}"]
    if row["base_accuracy"] == 0:   # the random model never answers: relative gain undefined
        assert result["transferability_index"] is None
        assert "base accuracy is 0" in result["transferability_note"]
    # The same through `eval --baseline`: the finished run is re-summarized, not regenerated.
    again = run_eval(str(format_model_dir), suite, tmp_path / "trained", progress=False,
                     baseline=str(base), trained_tasks=[f"file:{in_domain}"])
    assert again.to_dict()["transfer"]["tasks"] == result["tasks"]
    assert json.loads((tmp_path / "trained" / "summary.json").read_text())["transfer"]
    assert cli_main(["eval", "transfer", str(base), str(base), "--trained-tasks", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_eval_through_openai_compatible_server(openai_server, tmp_path):
    """A real `reasonlab serve` on 127.0.0.1 (conftest) serving a model taught to answer
    "<think>…</think>\n<answer>7</answer>": every sample parses, and exactly the items whose
    answer is 7 are right."""
    questions = tmp_path / "sums.jsonl"
    sums = [(3, 4), (8, 1), (5, 2), (6, 6), (0, 7), (2, 3)]
    questions.write_text("".join(json.dumps({"question": f"{a}+{b}=", "answer": str(a + b)})
                                 + "\n" for a, b in sums))
    suite_file = write_suite(tmp_path / "served.yaml", items=6, max_tokens=48,
                             template="Q: {prompt}\n<think>",
                             tasks=[{"task": f"file:{questions}", "difficulties": [1]}])
    out = tmp_path / "served"
    code = cli_main(["eval", "--model", openai_server.spec, "--suite", str(suite_file),
                     "--out", str(out), "--no-progress", "--batch-size", "3"])
    assert code == 0
    rows = read_samples(out / "samples.jsonl")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"]["backend"] == "OpenAIModel"
    assert len(rows) == 6 and {r["model"] for r in rows} == {summary["model"]["name"]}
    for row in rows:
        assert SAMPLE_FIELDS <= set(row)
        assert row["verdict"]["parsed"] == "7", row["completion"]
        assert (row["verdict"]["status"] == "correct") == (row["answer"] == "7")
        assert row["latency_s"] > 0
    assert summary["tasks"][f"file:{questions}"]["accuracy"] == pytest.approx(3 / 6)
    with pytest.raises(ConfigError, match="local model"):   # budget forcing needs local tokens
        run_eval(openai_server.spec, load_suite(str(suite_file), thinking_budgets=[8]),
                 tmp_path / "budget", progress=False)
    assert not (tmp_path / "budget").exists()   # refused before anything was written
