"""``reasonlab verify --items FILE --completions FILE [--out FILE]`` as a user runs it: one JSONL
verdict per completion, matched by id; bad input is one line naming file, line and field, exit
code 2, and nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ITEMS = [
    {"id": "ex-1", "task": "capitals", "prompt": "Capital of France?", "answer": "Paris",
     "verifier": "exact"},
    {"id": "num-1", "task": "arith", "prompt": "1234 + 1?", "answer": "1235",
     "verifier": "numeric"},
    {"id": "math-1", "task": "algebra", "prompt": "Solve 2x = 1.", "answer": "\\frac{1}{2}",
     "verifier": "math"},
    {"id": "math-2", "task": "algebra", "prompt": "Roots of x^2 = 4?", "answer": "\\{-2, 2\\}",
     "verifier": "math"},
]


def answer(text: str) -> str:
    return f"<think>...</think><answer>{text}</answer>"


COMPLETIONS = [  # several per item, not in item order
    {"id": "math-1", "completion": answer("0.5")},
    {"id": "ex-1", "completion": answer("Paris")},
    {"id": "num-1", "completion": answer("1,235")},
    {"id": "math-2", "completion": answer("2, -2")},
    {"id": "math-2", "completion": answer("2")},
    {"id": "ex-1", "completion": "Paris"},
    {"id": "num-1", "completion": answer("1234 or 1235"), "model": "m", "sample": 3},
]
EXPECTED = [("math-1", "correct"), ("ex-1", "correct"), ("num-1", "correct"),
            ("math-2", "correct"), ("math-2", "wrong"), ("ex-1", "unparsable"),
            ("num-1", "wrong")]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def run_verify(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reasonlab", "verify", *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture
def files(tmp_path):
    return (write_jsonl(tmp_path / "items.jsonl", ITEMS),
            write_jsonl(tmp_path / "completions.jsonl", COMPLETIONS))


def test_mixed_items_verdict_per_completion_on_stdout(files, tmp_path):
    items, completions = files
    done = run_verify("--items", str(items), "--completions", str(completions), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    verdicts = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(v["id"], v["status"]) for v in verdicts] == EXPECTED
    for verdict in verdicts:
        assert set(verdict) >= {"id", "score", "status", "parsed", "detail"}
        assert verdict["score"] == (1.0 if verdict["status"] == "correct" else 0.0)
    assert verdicts[0]["parsed"] == "0.5"
    assert "7 completions" in done.stderr and "4 correct" in done.stderr


def test_out_file_and_verifier_override(files, tmp_path):
    items, completions = files
    out = tmp_path / "runs" / "verdicts.jsonl"
    done = run_verify("--items", str(items), "--completions", str(completions),
                      "--out", str(out), "--verifier", "format", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    statuses = [json.loads(line)["status"] for line in out.read_text().splitlines()]
    assert statuses == ["correct"] * 5 + ["wrong", "correct"]
    assert [p.name for p in out.parent.iterdir()] == ["verdicts.jsonl"]  # no temp file left


def error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one clear line, no traceback
    return lines[0]


@pytest.mark.parametrize(("bad_line", "where"), [
    ("{not json", ":3: invalid JSON"),
    ('{"completion": "<answer>1</answer>"}', ":3: field 'id'"),
    ('{"id": "ex-1"}', ":3: field 'completion'"),
    ('{"id": "ex-1", "completion": 7}', ":3: field 'completion'"),
    ('{"id": "nope", "completion": "<answer>1</answer>"}', ":3: field 'id': no item"),
    ('["a list"]', ":3: expected a JSON object"),
])
def test_bad_completion_line_names_file_line_and_field(files, capsys, bad_line, where):
    from reasonlab.cli import main  # in process: the same handler, without a start-up per case

    items, completions = files
    lines = completions.read_text().splitlines()
    completions.write_text("\n".join(lines[:2] + [bad_line] + lines[2:]) + "\n")
    code = main(["verify", "--items", str(items), "--completions", str(completions)])
    captured = capsys.readouterr()
    line = error_line(subprocess.CompletedProcess([], code, captured.out, captured.err))
    assert f"{completions}{where}" in line
    assert captured.out == ""  # nothing half-written


def test_bad_items_file_names_file_line_and_field(files, tmp_path):
    items, completions = files
    rows = [dict(row) for row in ITEMS]
    del rows[1]["prompt"]
    write_jsonl(items, rows)
    line = error_line(run_verify("--items", str(items), "--completions", str(completions),
                                 cwd=tmp_path))
    assert f"{items}:2: field 'prompt'" in line
    write_jsonl(items, ITEMS + [ITEMS[0]])
    line = error_line(run_verify("--items", str(items), "--completions", str(completions),
                                 cwd=tmp_path))
    assert f"{items}:5: field 'id': duplicate" in line


def test_missing_file_and_unknown_verifier_are_one_line(files, tmp_path):
    items, completions = files
    line = error_line(run_verify("--items", str(tmp_path / "absent.jsonl"), "--completions",
                                 str(completions), cwd=tmp_path))
    assert "absent.jsonl" in line
    line = error_line(run_verify("--items", str(items), "--completions", str(completions),
                                 "--verifier", "nonexistent", cwd=tmp_path))
    assert "nonexistent" in line


def test_failing_run_leaves_out_untouched_and_creates_nothing(files, tmp_path):
    items, completions = files
    completions.write_text(completions.read_text() + '{"id": "ex-1"}\n')
    existing = tmp_path / "existing.jsonl"
    existing.write_text("previous verdicts\n")
    error_line(run_verify("--items", str(items), "--completions", str(completions),
                          "--out", str(existing), cwd=tmp_path))
    assert existing.read_text() == "previous verdicts\n"
    fresh = tmp_path / "fresh" / "verdicts.jsonl"
    error_line(run_verify("--items", str(items), "--completions", str(completions),
                          "--out", str(fresh), cwd=tmp_path))
    assert not fresh.exists()
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()
            and p.name not in ("items.jsonl", "completions.jsonl", "existing.jsonl")] == []


def test_progress_bar_on_stderr_for_long_inputs(tmp_path):
    items = write_jsonl(tmp_path / "items.jsonl", ITEMS[:2])
    rows = [{"id": "ex-1" if i % 2 else "num-1", "completion": answer(str(i))}
            for i in range(250)]
    completions = write_jsonl(tmp_path / "completions.jsonl", rows)
    done = run_verify("--items", str(items), "--completions", str(completions), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 250
    assert "250/250" in done.stderr  # tqdm's bar, on stderr only
    short = run_verify("--items", str(items), "--completions",
                       str(write_jsonl(tmp_path / "few.jsonl", rows[:10])), cwd=tmp_path)
    assert "10/10" not in short.stderr  # no bar for a handful
