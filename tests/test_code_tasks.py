"""Code tasks: the procedural ``code_functions`` family, the MBPP/HumanEval adapter, and
``reasonlab verify`` on code items (including the refusal without a sandbox)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.tasks import get_task
from reasonlab.tasks.code_files import humaneval_tests, load_code_file


def test_family_items_are_deterministic_and_graded():
    task = get_task("code_functions")
    assert (task.min_difficulty, task.max_difficulty) == (1, 8)
    assert task.item(3, 5, seed=1).to_dict() == task.item(3, 5, seed=1).to_dict()
    lengths = []
    for difficulty in range(1, 9):
        items = task.sample(6, difficulty, seed=2)
        for item in items:
            assert item.verifier == "code" and item.domain == "code"
            assert len(item.prompt) < 220 and "```python" in item.prompt
            assert item.tests and all(t.startswith("assert ") for t in item.tests)
            assert item.teacher.startswith("<think>") and item.teacher.endswith("```")
        lengths.append(sum(len(i.answer) for i in items) / len(items))
    assert lengths[-1] > 2 * lengths[0]  # harder specs need longer reference solutions
    with pytest.raises(ConfigError):
        get_task("code_functions", tests_base=0)


def test_family_teacher_passes_and_a_wrong_solution_does_not(code_verifier):
    task = get_task("code_functions")
    items = [task.item(i, d, seed=0) for d in range(1, 9) for i in range(3)]
    verdicts = code_verifier.check_many([(item, item.teacher) for item in items])
    assert all(v.correct for v in verdicts), [v.detail for v in verdicts if not v.correct]
    stub = "```python\ndef {0}(*args):\n    return None\n```"
    verdicts = code_verifier.check_many([(item, stub.format(item.meta["function"]))
                                    for item in items])
    assert all(v.score < 1 for v in verdicts)


MBPP = [
    {"task_id": 2, "text": "Write a function to find the shared elements of two lists.",
     "code": "def similar_elements(a, b):\n    return tuple(set(a) & set(b))",
     "test_list": ["assert set(similar_elements((3, 4, 5, 6), (5, 7, 4, 10))) == set((4, 5))",
                   "assert set(similar_elements((1, 2, 3, 4), (5, 4, 3, 7))) == set((3, 4))"],
     "test_setup_code": "", "challenge_test_list": []},
    {"task_id": 3, "prompt": "Write a python function to identify non-prime numbers.",
     "code": "import math\ndef is_not_prime(n):\n    return any(n % i == 0 for i in "
             "range(2, int(math.sqrt(n)) + 1))",
     "test_imports": ["import math"],
     "test_list": ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True",
                   "assert is_not_prime(35) == True"]},
]
HUMANEVAL = [
    {"task_id": "HumanEval/0", "entry_point": "has_close_elements",
     "prompt": "from typing import List\n\n\ndef has_close_elements(numbers: List[float], "
               "threshold: float) -> bool:\n    \"\"\" Any two numbers closer than threshold?\n"
               "    \"\"\"\n",
     "canonical_solution": "    for i, a in enumerate(numbers):\n        for j, b in "
                           "enumerate(numbers):\n            if i != j and abs(a - b) < "
                           "threshold:\n                return True\n    return False\n",
     "test": "\n\nMETADATA = {'author': 'jt'}\n\n\ndef check(candidate):\n"
             "    assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True\n"
             "    assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05) == False\n"
             "    assert abs(float(len(candidate([1.0], 0.5) * [0])) - 0.0) < 1e-6\n"
             "    assert True\n"},
    {"task_id": "HumanEval/1", "entry_point": "f", "prompt": "def f(x):\n",
     "canonical_solution": "    return x\n",
     "test": "def check(candidate):\n    for x in range(3):\n        assert candidate(x) == x\n"},
]


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_mbpp_and_humaneval_files_become_code_items(tmp_path, code_verifier):
    mbpp, skipped = load_code_file(write_jsonl(tmp_path / "mbpp.jsonl", MBPP))
    assert skipped == 0 and [i.id for i in mbpp] == ["mbpp:mbpp.jsonl-2", "mbpp:mbpp.jsonl-3"]
    assert mbpp[1].extra["setup"] == "import math" and len(mbpp[1].tests) == 3
    assert "similar_elements((3, 4, 5, 6)" in mbpp[0].prompt
    humaneval, skipped = load_code_file(write_jsonl(tmp_path / "he.jsonl", HUMANEVAL))
    assert skipped == 0 and len(humaneval) == 2
    # the looping check is kept whole, to be recorded against the canonical solution
    assert humaneval[1].tests is None and humaneval[1].extra["check"] == HUMANEVAL[1]["test"]
    assert humaneval[1].extra["entry_point"] == "f" and humaneval[1].answer == "def f(x):\n" \
        "    return x\n"
    assert humaneval[0].tests[0] == ("assert has_close_elements([1.0, 2.0, 3.9, 4.0, 5.0, 2.2],"
                                     " 0.3) == True")
    assert "def has_close_elements" not in humaneval[0].extra["setup"]
    verdicts = code_verifier.check_many([(i, i.teacher) for i in mbpp + humaneval])
    assert all(v.correct for v in verdicts), [v.detail for v in verdicts]
    # a completion that gives only the function still finds the prompt's imports
    body = ("```python\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:"
            "\n    return False\n```")
    # `assert True` holds whatever the program does: it is not counted
    assert code_verifier.check(humaneval[0], body).score == pytest.approx(2 / 3)
    assert code_verifier.check(humaneval[1], "```python\ndef f(x):\n    return 0\n```").score \
        == pytest.approx(1 / 3)
    task = get_task(f"mbpp:{tmp_path / 'mbpp.jsonl'}")
    assert [i.id for i in task.sample(5, 1)] == [i.id for i in mbpp]


def test_bad_code_files_name_file_line_and_field(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [MBPP[0], {"text": "x", "test_list": "nope"}])
    with pytest.raises(InputError, match=r"bad.jsonl:2: field 'test_list'"):
        load_code_file(path, "mbpp")
    with pytest.raises(InputError, match="field 'entry_point'"):
        load_code_file(write_jsonl(tmp_path / "h.jsonl", [{"prompt": "", "test": ""}]),
                       "humaneval")
    assert humaneval_tests("def check(c):\n    x = 1\n    assert c(x)\n", "f") is None
    # a check beyond plain asserts with no canonical solution to record it with is skipped
    rows = [HUMANEVAL[0], {k: v for k, v in HUMANEVAL[1].items() if k != "canonical_solution"}]
    assert load_code_file(write_jsonl(tmp_path / "h2.jsonl", rows), "humaneval")[1] == 1


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reasonlab", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_verify_command_on_code_items_and_refusal_without_sandbox(tmp_path, code_verifier):
    items = get_task("code_functions").sample(3, 2, seed=4)
    item_path = write_jsonl(tmp_path / "items.jsonl", [i.to_dict() for i in items])
    rows = [{"id": items[0].id, "completion": items[0].teacher},
            {"id": items[1].id, "completion": "```python\nimport os\nos._exit(0)\n```"},
            {"id": items[2].id, "completion": "no program"}]
    completions = write_jsonl(tmp_path / "c.jsonl", rows)
    done = run_cli("verify", "--items", item_path, "--completions", completions)
    assert done.returncode == 0, done.stderr
    statuses = [json.loads(line)["status"] for line in done.stdout.splitlines()]
    assert statuses == ["correct", "wrong", "unparsable"]
    refused = run_cli("verify", "--items", item_path, "--completions", completions,
                      env={"REASONLAB_BWRAP": "/nonexistent/bwrap"})
    assert refused.returncode == 2 and refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "bubblewrap" in refused.stderr and "--unsafe-no-sandbox" in refused.stderr
    broken = run_cli("verify", "--items", item_path, "--completions", completions,
                     env={"REASONLAB_BWRAP": "/usr/bin/false"})
    assert broken.returncode == 2 and "cannot start" in broken.stderr
    unsafe = run_cli("verify", "--items", item_path, "--completions", completions,
                     "--unsafe-no-sandbox", env={"REASONLAB_BWRAP": "/nonexistent/bwrap"})
    assert unsafe.returncode == 0, unsafe.stderr
    assert [json.loads(line)["status"] for line in unsafe.stdout.splitlines()] == statuses
