"""``reasonlab tasks list|show|sample`` over the built-in families: output formats, determinism,
and bad input as one line with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reasonlab.cli import main
from reasonlab.tasks import Item, family_names, get_task


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_is_one_task_per_line(capsys):
    code, out, _ = run(capsys, "tasks", "list", "--builtin")
    assert code == 0
    lines = out.splitlines()
    expected = [f"{n}\t{get_task(n).domain}\t{get_task(n).min_difficulty}-"
                f"{get_task(n).max_difficulty}" for n in family_names()]
    assert lines == expected
    code, out, _ = run(capsys, "tasks", "list")
    assert code == 0
    full = out.splitlines()
    assert full[:len(expected)] == expected  # built-ins first, then prefixed sources
    assert all(len(line.split("\t")) == 3 for line in full)


@pytest.mark.parametrize("name", family_names())
def test_show_describes_the_family(capsys, name):
    code, out, _ = run(capsys, "tasks", "show", name, "--difficulty", "2")
    assert code == 0
    assert f"name:         {name}" in out
    assert f"verifier:     {get_task(name).verifier}" in out
    example = json.loads(out[out.index("{\n"):])
    assert example["id"] == f"{name}-2-0-000000" and example["difficulty"] == 2


@pytest.mark.parametrize("name", family_names())
def test_sample_writes_items_deterministically(capsys, name):
    args = ("tasks", "sample", name, "--n", "3", "--difficulty", "4", "--seed", "1")
    code, first, _ = run(capsys, *args)
    assert code == 0
    _, second, _ = run(capsys, *args)
    assert first == second
    items = [Item.from_dict(json.loads(line)) for line in first.splitlines()]
    # Items 0, 1, 2, … skipping an index whose prompt an earlier item has (no repeats).
    indices = [int(i.id.rsplit("-", 1)[1]) for i in items]
    assert [i.id.rsplit("-", 1)[0] for i in items] == [f"{name}-4-1"] * 3
    assert indices[0] == 0 and indices == sorted(set(indices))
    assert len({i.prompt for i in items}) == 3
    assert all(i.difficulty == 4 and i.teacher for i in items)
    _, bare, _ = run(capsys, *args, "--no-teacher")
    assert all("teacher" not in json.loads(line) for line in bare.splitlines())


def test_sample_is_the_same_in_a_fresh_process_with_another_hash_seed(capsys):
    args = ["tasks", "sample", "deduction", "--n", "4", "--difficulty", "5", "--seed", "3"]
    _, here, _ = run(capsys, *args)
    env = dict(os.environ, PYTHONHASHSEED="12345")
    there = subprocess.run([sys.executable, "-m", "reasonlab", *args], env=env,
                           capture_output=True, text=True, timeout=60, check=True).stdout
    assert here == there


@pytest.mark.parametrize(("argv", "message"), [
    (["tasks", "sample", "countdown", "--set", "max_number=-5"], "field 'max_number'"),
    (["tasks", "sample", "countdown", "--set", "max_number=abc"],
     "field 'max_number': must be int"),
    (["tasks", "sample", "sorting", "--set", "bogus=1"], "has no setting 'bogus'"),
    (["tasks", "sample", "sorting", "--set", "count"], "--set expects KEY=VALUE"),
    (["tasks", "sample", "gcd", "--difficulty", "9"], "field 'difficulty'"),
    (["tasks", "show", "gcd", "--set", "max_gcd=0"], "GcdConfig.max_gcd"),
    (["tasks", "sample", "no_such_task"], "unknown task 'no_such_task'"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("reasonlab: error: "), err
    assert message in err, err
