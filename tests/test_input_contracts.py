"""Bad input is one line naming file, line and field, exit code 2, and nothing created or lost
(issue 12, items 9-11, 13, 16, 17): bytes that are not UTF-8 in every kind of input file, an
unknown verifier, endpoint specs and model folders that cannot work, recipes whose TRL settings
or levels are wrong, the mode of written files, and the command line's help."""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from reasonlab.cli import build_parser, main
from reasonlab.core.jsonl import atomic_writer

BAD = b"\xff\xfe\x00\x81binary\x00"    # not UTF-8: what a binary file or a Latin-1 export holds


def item_line(**over) -> str:
    item = {"id": "a", "task": "t", "prompt": "1+1?", "answer": "2", "verifier": "exact"}
    return json.dumps({**item, **over}) + "\n"


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.fixture
def files(tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_text(item_line() + item_line(id="b"))
    completions = tmp_path / "completions.jsonl"
    completions.write_text(json.dumps({"id": "a", "completion": "<answer>2</answer>"}) + "\n")
    return items, completions


# -- item 9: bytes that are not UTF-8 --------------------------------------------------------

def test_binary_items_and_completions_name_file_and_line(files, tmp_path, capsys):
    items, completions = files
    items.write_bytes(item_line().encode() + b'{"id": "b\xff"}\n')
    assert main(["verify", "--items", str(items), "--completions", str(completions)]) == 2
    err = one_error_line(capsys)
    assert f"{items}:2:" in err and "not UTF-8" in err
    items.write_text(item_line())
    completions.write_bytes(BAD)
    out = tmp_path / "verdicts.jsonl"
    assert main(["verify", "--items", str(items), "--completions", str(completions),
                 "--out", str(out)]) == 2
    assert f"{completions}:1:" in one_error_line(capsys)
    assert not out.exists()


@pytest.mark.parametrize("name", ["rows.jsonl", "rows.csv"])
def test_binary_file_task_names_file_and_line(tmp_path, capsys, name):
    path = tmp_path / name
    head = (b'{"question": "q", "answer": "1"}\n' if name.endswith(".jsonl")
            else b"question,answer\nq,1\n")
    path.write_bytes(head + b"q2," + BAD + b"\n")
    assert main(["tasks", "sample", f"file:{path}", "--n", "1"]) == 2
    err = one_error_line(capsys)
    line = 2 if name.endswith(".jsonl") else 3
    assert f"{path}:{line}:" in err and "not UTF-8" in err


@pytest.mark.parametrize("prefix", ["humaneval", "mbpp"])
def test_binary_code_files_name_file_and_line(tmp_path, capsys, prefix):
    path = tmp_path / "problems.jsonl"
    path.write_bytes(BAD + b"\n")
    assert main(["tasks", "sample", f"{prefix}:{path}", "--n", "1"]) == 2
    assert f"{path}:1:" in one_error_line(capsys)


def test_binary_suite_recipe_and_spec_name_file_and_line(tmp_path, capsys, files):
    suite = tmp_path / "suite.yaml"
    suite.write_bytes(b"name: s\nseed: 0\n" + BAD)
    out = tmp_path / "run"
    assert main(["eval", "--model", str(tmp_path), "--suite", str(suite),
                 "--out", str(out)]) == 2
    assert f"{suite}:3:" in one_error_line(capsys)
    suite.write_bytes(b"name: s\nseed: \x00\n")   # valid UTF-8, but a control character
    assert main(["eval", "--model", str(tmp_path), "--suite", str(suite),
                 "--out", str(out)]) == 2
    assert f"{suite}:2:" in one_error_line(capsys)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_bytes(b"kind: rl\nmodel: init:tiny\n" + BAD)
    assert main(["train", "rl", "--config", str(recipe), "--out", str(out)]) == 2
    assert f"{recipe}:3:" in one_error_line(capsys)
    spec = tmp_path / "policy.txt"
    spec.write_bytes(b"Be kind.\n" + BAD)
    items, completions = files
    assert main(["judge", "--judge", "openai:http://127.0.0.1:9/v1#m", "--items", str(items),
                 "--completions", str(completions), "--spec", str(spec)]) == 2
    err = one_error_line(capsys)
    assert f"{spec}:2:" in err and "field 'spec'" in err
    assert not out.exists()


def test_binary_run_summary_names_the_file(tmp_path, capsys):
    for name in ("base", "trained"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_bytes(b'{"tasks": {}}\n' + BAD)
    assert main(["eval", "transfer", str(tmp_path / "base"), str(tmp_path / "trained")]) == 2
    assert f"{tmp_path / 'base' / 'summary.json'}:2:" in one_error_line(capsys)


def test_binary_input_never_prints_a_traceback(tmp_path):
    """The installed entry point, as a user runs it."""
    items = tmp_path / "items.bin"
    items.write_bytes(os.urandom(64) + BAD)
    done = subprocess.run([sys.executable, "-m", "reasonlab", "verify", "--items", str(items),
                           "--completions", str(items)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and str(items) in done.stderr


# -- item 10: an unknown verifier ------------------------------------------------------------

def test_unknown_verifier_in_an_item_is_refused_up_front(files, tmp_path, capsys):
    items, completions = files
    items.write_text(item_line() + item_line(id="b", verifier="0.9*exactt+0.1*format"))
    out = tmp_path / "verdicts.jsonl"
    assert main(["verify", "--items", str(items), "--completions", str(completions),
                 "--out", str(out)]) == 2
    err = one_error_line(capsys)
    assert f"{items}:2:" in err and "field 'verifier'" in err and "exactt" in err
    assert not out.exists()
    items.write_text(item_line(verifier="exactt"))
    assert main(["judge", "--judge", "openai:http://127.0.0.1:9/v1#m", "--items", str(items),
                 "--completions", str(completions)]) == 2
    assert f"{items}:1:" in one_error_line(capsys)


def test_unknown_verifier_in_a_file_task_config(tmp_path, capsys):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"question": "q", "answer": "1"}\n')
    assert main(["tasks", "sample", f"file:{path}", "--set", "verifier=exactt"]) == 2
    err = one_error_line(capsys)
    assert "field 'verifier'" in err and "exactt" in err


# -- item 11: nothing is created before all input is checked --------------------------------

@pytest.mark.parametrize("model", ["openai:http://127.0.0.1:9/v1", "EMPTY_DIR", "missing"])
def test_eval_checks_the_model_before_creating_the_run_folder(tmp_path, capsys, model):
    empty = tmp_path / "empty"
    empty.mkdir()
    model = str(empty) if model == "EMPTY_DIR" else str(tmp_path / model) \
        if model == "missing" else model
    out = tmp_path / "run"
    assert main(["eval", "--model", model, "--suite", "smoke", "--out", str(out)]) == 2
    err = one_error_line(capsys)
    assert "model" in err
    assert not out.exists()


def test_eval_checks_the_baseline_before_creating_the_run_folder(tiny_model_dir, tmp_path,
                                                                 capsys):
    out = tmp_path / "run"
    assert main(["eval", "--model", str(tiny_model_dir), "--suite", "smoke", "--out", str(out),
                 "--baseline", str(tmp_path / "nope"), "--trained-tasks", "addition"]) == 2
    assert "nope" in one_error_line(capsys)
    assert not out.exists()


@pytest.mark.parametrize(("setting", "field"), [
    ("trl.learnin_rate=1e-4", "trl.learnin_rate"),
    ("trl.num_generations=3", "trl"),               # TRL's own check: 8 prompts by 3
    ("model=EMPTY_DIR", "model"),
    ("eval.suite=no-such-suite", "eval.suite"),
])
def test_train_checks_the_recipe_before_creating_the_run_folder(tmp_path, capsys, setting,
                                                                field):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "run"
    setting = setting.replace("EMPTY_DIR", str(empty))
    assert main(["train", "rl", "--config", "smoke", "--out", str(out), "--set", setting]) == 2
    assert f"field '{field}'" in one_error_line(capsys)
    assert not out.exists()


def test_sft_phase_trl_keys_are_checked_too(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "sft", "--config", "sft-smoke", "--out", str(out), "--set",
                 "phases=[{name: a, max_steps: 1, trl: {warmup_stepz: 1}}]"]) == 2
    assert "field 'phases[0].trl.warmup_stepz'" in one_error_line(capsys)
    assert not out.exists()


# -- item 13: the level that is wrong is the one named ---------------------------------------

@pytest.mark.parametrize(("levels", "field"), [
    ({"min_level": 0}, "min_level"), ({"max_level": 99}, "max_level"),
    ({"min_level": 3, "max_level": 2}, "min_level"), ({"min_level": 99}, "min_level"),
])
def test_recipe_levels_blame_the_right_field(tmp_path, capsys, levels, field):
    recipe = tmp_path / "r.yaml"
    task = {"name": "addition", **levels}
    recipe.write_text(f"kind: rl\nmodel: init:tiny\ntasks:\n  - {json.dumps(task)}\n")
    assert main(["train", "rl", "--config", str(recipe), "--out", str(tmp_path / "o")]) == 2
    err = one_error_line(capsys)
    assert f"{recipe}:4: field 'tasks[0].{field}'" in err


# -- item 16: written files are 0644 ---------------------------------------------------------

def test_atomic_writes_are_readable_by_others(tmp_path):
    previous = os.umask(0o022)
    try:
        path = tmp_path / "report.html"
        with atomic_writer(path) as handle:
            handle.write("<html></html>")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o640)     # a replaced file keeps the mode its owner gave it
        with atomic_writer(path) as handle:
            handle.write("again")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(previous)


def test_eval_run_files_are_0644(tiny_model_dir, tmp_path, capsys):
    previous = os.umask(0o022)
    try:
        out = tmp_path / "run"
        assert main(["eval", "--model", str(tiny_model_dir), "--suite", "smoke", "--out",
                     str(out), "--max-tokens", "2", "--limit", "1", "--no-progress"]) == 0
        for name in ("config.yaml", "samples.jsonl", "summary.json"):
            assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name
    finally:
        os.umask(previous)


# -- item 17: the command line ---------------------------------------------------------------

def _options_without_help(parser: argparse.ArgumentParser, path: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += _options_without_help(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_option_has_help_text():
    missing = _options_without_help(build_parser(), "reasonlab")
    assert not missing, missing


def test_eval_transfer_has_its_own_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "transfer", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: reasonlab eval transfer") and "--trained-tasks" in out
    assert "--suite" not in out


def test_eval_template_flag_sets_the_runs_template(tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["eval", "--model", str(tiny_model_dir), "--suite", "smoke", "--out", str(out),
                 "--max-tokens", "2", "--limit", "1", "--no-progress", "--template",
                 "Q: {prompt}\nA:"]) == 0
    config = (out / "config.yaml").read_text()
    assert "Q: {prompt}" in config
    assert main(["eval", "--model", str(tiny_model_dir), "--suite", "smoke", "--out",
                 str(tmp_path / "bad"), "--template", "no placeholder"]) == 2
    assert "--template" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_eval_table_shows_pass_and_maj_at_k_and_transfer_prints_tasks(tiny_model_dir,
                                                                       tmp_path, capsys):
    out = tmp_path / "run"
    args = ["eval", "--model", str(tiny_model_dir), "--suite", "smoke", "--max-tokens", "2",
            "--limit", "1", "--no-progress"]
    assert main([*args, "--out", str(out), "--samples", "3"]) == 0
    lines = capsys.readouterr().err.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("task "))
    header, rows = lines[at], lines[at + 1:at + 4]
    assert header.split()[-2:] == ["pass@3", "maj@3"], header
    assert [r.split()[0] for r in rows] == ["addition", "multiplication", "overall"]
    assert all(len(r.split()) == 12 for r in rows), rows  # ... fmt%, n, distinct, ..., maj@3
    one = tmp_path / "one"
    assert main([*args, "--out", str(one)]) == 0
    assert "pass@" not in capsys.readouterr().err
    assert main(["eval", "transfer", str(one), str(out), "--trained-tasks", "addition"]) == 0
    printed = capsys.readouterr().out
    assert "addition" in printed and "multiplication" in printed and "out-of-domain" in printed
    assert "transferability index" in printed
    assert Path(out / "transfer.json").is_file()


def test_eval_transfer_keeps_options_given_before_the_sub_command():
    from reasonlab.cli import build_parser

    parser = build_parser()
    before = parser.parse_args(["eval", "--trained-tasks", "addition", "--out", "t.json",
                                "transfer", "b", "r"])
    after = parser.parse_args(["eval", "transfer", "b", "r", "--trained-tasks", "addition",
                               "--out", "t.json"])
    assert (before.trained_tasks, before.out) == (after.trained_tasks, after.out) == (
        "addition", "t.json")
    neither = parser.parse_args(["eval", "transfer", "b", "r"])
    assert (neither.trained_tasks, neither.out) == (None, None)
