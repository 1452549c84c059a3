"""The judge and phased-training commands as a new user meets them (issue 21): no silent
no-ops, no duplicated metric rows after a resume, errors that point at what is wrong, each
sub-command's own help, quiet bars, and model cards that name their base."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from reasonlab.cli import main
from reasonlab.judges.data import judge_data


def records(n=8, seed=0):
    return [r.to_dict(i) for i, r in enumerate(judge_data("addition", [1, 2], n, seed))]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("reasonlab: error:"), err
    return err


# 1 -------------------------------------------------------------------------------------------
def test_max_steps_on_a_phased_recipe_is_refused_at_the_flag(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "sft", "--config", "sft-tiny-habit", "--out", str(out),
                 "--set", "max_steps=2"]) == 2
    err = one_line_error(capsys)
    assert "--set max_steps=2: field 'max_steps'" in err and "phases[i].max_steps" in err
    assert not out.exists()


def test_a_phased_recipe_records_the_steps_its_phases_run():
    from reasonlab.train.config import load_recipe

    recipe = load_recipe("sft-tiny-habit")
    assert recipe.max_steps == sum(p.max_steps for p in recipe.phases) == 920
    assert recipe.to_dict()["max_steps"] == 920


# 2, 5 ------------------------------------------------------------------------------------------
def test_judge_compare_writes_out_and_says_why_kappa_is_undefined(tmp_path, capsys):
    truth = "RW" * 13
    report = {"judge": "a", "truth": truth, "said": "u" * 26}
    other = {"judge": "b", "truth": truth, "said": "yn" * 13}
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(report))
    b.write_text(json.dumps(other))
    out = tmp_path / "cmp.json"
    assert main(["judge", "compare", "--reports", str(a), str(b), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "kappa A n/a (no parsable verdict in 26 pairs)" in printed
    written = json.loads(out.read_text())
    assert written["kappa_a"] is None and written["kappa_b"] == 1.0
    assert written["undefined"] == {"kappa_a": "no parsable verdict in 26 pairs"}
    assert main(["judge", "compare", "--reports", str(a), str(b), "--out", str(tmp_path)]) == 2
    assert "is a folder" in one_line_error(capsys)


# 3 -------------------------------------------------------------------------------------------
def killed_after_checkpoint(out, last_checkpoint: int) -> None:
    """What a kill after a later step leaves: its metric lines, no later checkpoint."""
    checkpoints = out / "checkpoints"
    for folder in checkpoints.iterdir():
        if int(folder.name.rsplit("-", 1)[1]) > last_checkpoint:
            shutil.rmtree(folder)
    shutil.rmtree(out / "final")
    (out / "metrics.jsonl").open("a").write('{"step": 4, "loss": 1.0, "lo')   # a torn line


def logged_steps(out):
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in rows if "loss" in r]


@pytest.mark.parametrize(("kind", "config", "extra"), [
    ("sft", "sft-smoke", ["--set", "checkpoint.every=2", "--set", "checkpoint.keep=3"]),
    ("rl", "smoke", ["--set", "checkpoint.every=2", "--set", "checkpoint.keep=3"]),
    ("judge", "judge-smoke", ["--set", "checkpoint.every=2", "--set", "checkpoint.keep=3"]),
])
def test_resume_drops_what_the_killed_run_logged_after_its_checkpoint(tmp_path, kind, config,
                                                                      extra, capsys):
    out = tmp_path / kind
    args = ["train", kind, "--config", config, "--out", str(out), "--max-steps", "4", *extra]
    assert main(args) == 0
    once = logged_steps(out)
    killed_after_checkpoint(out, 2)
    assert main([*args, "--resume"]) == 0
    again = logged_steps(out)
    assert again == once and len(set(again)) == len(again), again
    assert "resuming from" in capsys.readouterr().out
    if kind == "rl":
        assert sorted(p.name for p in (out / "rollouts").iterdir())[-1] == "step-000004.jsonl"


# 4 -------------------------------------------------------------------------------------------
def test_judge_data_refuses_to_replace_a_file_without_force(tmp_path, capsys):
    out = tmp_path / "d.jsonl"
    out.write_text("mine\n")
    args = ["judge", "data", "--task", "addition", "--n", "4", "--out", str(out)]
    assert main(args) == 2
    assert "pass --force" in one_line_error(capsys) and out.read_text() == "mine\n"
    assert main([*args, "--force"]) == 0
    assert len(out.read_text().splitlines()) == 4


def test_judge_data_takes_task_settings_and_excludes_another_sets_prompts(tmp_path):
    train = tmp_path / "train.jsonl"
    held = tmp_path / "held.jsonl"
    assert main(["judge", "data", "--task", "addition", "--difficulty", "2", "--n", "40",
                 "--config", "restate=false", "--out", str(train)]) == 0
    assert main(["judge", "data", "--task", "addition", "--difficulty", "2", "--n", "40",
                 "--seed", "0", "--config", "restate=false", "--exclude", str(train),
                 "--out", str(held)]) == 0
    prompts = [{json.loads(line)["item"]["prompt"] for line in path.read_text().splitlines()}
               for path in (train, held)]
    assert prompts[0] and not prompts[0] & prompts[1]     # same seed, yet disjoint
    import re

    completions = [json.loads(line)["completion"] for line in held.read_text().splitlines()]
    assert not any(re.search(r"so \d+ \+ \d+ =", c) for c in completions)   # restate=false


# 6 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    ["train", "sft", "--config", "sft-smoke"], ["train", "judge", "--config", "judge-smoke"],
    ["train", "rl", "--config", "smoke"], ["demo"]])
def test_out_naming_a_file_is_one_line_and_the_file_is_untouched(tmp_path, capsys, command):
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    assert main([*command, "--out", str(taken)]) == 2
    assert "is a file" in one_line_error(capsys) and taken.read_text() == "keep me"


def test_judge_report_out_naming_a_folder_is_one_line(tmp_path, capsys):
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"judge": "a", "truth": "RW", "said": "yn"}))
    assert main(["judge", "report", "--reports", str(report), "--out", str(tmp_path)]) == 2
    assert "is a folder" in one_line_error(capsys)


# 7 -------------------------------------------------------------------------------------------
def test_judge_paths_say_what_is_wrong(tmp_path, capsys, tiny_model_dir):
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps(records(1)[0]["item"]) + "\n")
    run = tmp_path / "run"
    (run / "final").mkdir(parents=True)
    shutil.copy(tiny_model_dir / "config.json", run / "final" / "config.json")
    for judge, said in ((str(tmp_path / "missing"), "no such folder"),
                        (str(run), f"is a training run folder; use {run / 'final'}"),
                        ("http://127.0.0.1:1/v1#m", "openai:BASE_URL#MODEL")):
        assert main(["judge", "calibrate", "--judge", judge, "--items", str(items)]) == 2
        assert said in one_line_error(capsys)


# 8 -------------------------------------------------------------------------------------------
def test_reports_accept_a_phased_sft_run(tmp_path, capsys):
    run = tmp_path / "phased"
    assert main(["train", "sft", "--config", "sft-smoke", "--out", str(run),
                 "--set", "phases=[{name: a, max_steps: 2}, {name: b, max_steps: 2}]"]) == 0
    from reasonlab.report.load import load_train_run

    train = load_train_run(run)
    assert train.phases == [("a", 1, 2), ("b", 3, 4)]
    assert [r["step"] for r in train.metrics if "loss" in r] == [1, 2, 3, 4]
    page = tmp_path / "judges.html"
    assert main(["judge", "report", "--train", str(run), "--out", str(page)]) == 0
    assert "a (steps 1-2), b (steps 3-4)" in page.read_text()


# 9 -------------------------------------------------------------------------------------------
def test_a_set_value_is_blamed_at_the_flag_and_a_missing_label_is_named(tmp_path, capsys):
    assert main(["train", "judge", "--config", "judge-smoke", "--out", str(tmp_path / "r"),
                 "--set", "judge.data=missing.jsonl"]) == 2
    assert "--set judge.data=missing.jsonl: field 'judge.data'" in one_line_error(capsys)
    data = tmp_path / "data.jsonl"
    record = records(1)[0]
    del record["label"]
    data.write_text(json.dumps(record) + "\n")
    assert main(["train", "judge", "--config", "judge-smoke", "--out", str(tmp_path / "r"),
                 "--set", f"judge.data={data}"]) == 2
    assert f"{data}:1: field 'label': is missing" in one_line_error(capsys)


# 10 ------------------------------------------------------------------------------------------
def test_each_judge_action_shows_only_its_own_options(capsys):
    helps = {}
    for action in ("audit", "calibrate", "data", "compare", "report"):
        with pytest.raises(SystemExit):
            main(["judge", action, "--help"])
        helps[action] = capsys.readouterr().out
    assert "--policy" in helps["data"] and "--policy" not in helps["calibrate"]
    assert "--judge" not in helps["compare"] and "--reports" not in helps["audit"]
    assert "required unless --data" in helps["calibrate"]
    assert "without it, --n built-in" in helps["audit"]
    with pytest.raises(SystemExit):
        main(["judge", "--help"])
    usage = capsys.readouterr().out.splitlines()[0]
    assert all(name in usage for name in ("audit", "calibrate", "data", "compare", "report"))
    with pytest.raises(SystemExit):
        main(["train", "judge", "--help"])
    text = capsys.readouterr().out
    assert "judge-smoke" in text and "e.g. smoke" not in text


# 11 ------------------------------------------------------------------------------------------
def test_no_progress_silences_dependency_bars_and_resume_messages_fit(tmp_path):
    out = tmp_path / "run"

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "reasonlab", "train", "sft", "--config",
                               "sft-smoke", "--out", str(out), "--max-steps", "2",
                               "--no-progress", *extra], capture_output=True, text=True,
                              timeout=300)

    done = run()
    assert done.returncode == 0, done.stderr[-2000:]
    both = done.stdout + done.stderr
    for bar in ("Loading weights", "Writing model shards", "Tokenizing", "it/s]"):
        assert bar not in both, both[-1500:]
    assert "nothing to resume" not in both
    again = run("--resume")
    assert again.returncode == 0 and "is finished" in again.stdout


# 12 ------------------------------------------------------------------------------------------
def test_model_cards_name_the_base_the_recipe_and_the_data(tmp_path):
    out = tmp_path / "judge"
    assert main(["train", "judge", "--config", "judge-smoke", "--out", str(out),
                 "--max-steps", "1"]) == 0
    card = (out / "final" / "README.md").read_text()
    assert "None" not in card and "huggingface.co" not in card
    assert "init:tiny" in card and "judge-smoke" in card and "perturbed teacher traces" in card


@pytest.mark.parametrize(("argv", "field"), [
    (["demo", "--model", "smollm2-135m-instruct", "--no-boundary"], "--no-boundary"),
    (["report", "RUN", "--prices", "nan,1"], "--prices"),
    (["report", "RUN", "--prices", "1,inf"], "--prices"),
    (["report", "RUN", "--prices=-1,1"], "--prices"),
])
def test_flags_that_cannot_apply_are_one_line_before_anything_is_written(tmp_path, capsys,
                                                                         argv, field):
    argv = [str(tmp_path / "run") if a == "RUN" else a for a in argv]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"field '{field}'" in err
    assert not (tmp_path / "out").exists()
