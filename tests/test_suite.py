"""Suite files: the built-ins load, and malformed suites fail with the file and field named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.core.prompting import build_prompt, parse_confidence
from reasonlab.core.yamlfile import line_of, load_yaml
from reasonlab.evaluate.suite import BUILTIN_SUITES, load_suite
from reasonlab.tasks import family_names, task_info

GOOD = {"name": "t", "items": 2, "tasks": [{"task": "addition", "difficulties": [1, 2]}]}


def write(tmp_path: Path, data, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("name", BUILTIN_SUITES)
def test_builtin_suites_load_and_are_valid(name):
    suite = load_suite(name)
    assert suite.name == name
    assert suite.tasks and suite.total_samples() > 0
    for entry in suite.tasks:
        info = task_info(entry.task)
        assert all(info.min_difficulty <= d <= info.max_difficulty for d in entry.difficulties)


def test_generalization_covers_every_builtin_family_at_three_difficulties():
    suite = load_suite("generalization")
    listed = {e.task: e for e in suite.tasks}
    missing = set(family_names()) - set(listed)
    assert not missing, f"generalization.yaml lacks families {sorted(missing)}"
    assert all(len(e.difficulties) >= 3 for e in suite.tasks)


def test_builtin_suites_by_designs_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_suite("suites/generalization.yaml").name == "generalization"
    assert load_suite("smoke.yaml").name == "smoke"
    (tmp_path / "suites").mkdir()
    write(tmp_path / "suites", {**GOOD, "name": "mine"}, "smoke.yaml")
    assert load_suite("suites/smoke.yaml").name == "mine"     # a real file wins


def test_overrides_and_limit(tmp_path):
    path = write(tmp_path, {**GOOD, "tasks": [{"task": "addition", "difficulties": [1, 2],
                                                "items": 9, "samples": 3}],
                            "temperature": 0.7})
    suite = load_suite(str(path), limit=4, samples=2, max_tokens=77)
    entry = suite.tasks[0]
    assert (entry.items, entry.samples, suite.max_tokens) == (4, 2, 77)
    assert suite.total_samples() == 2 * 4 * 2


def test_bad_command_line_override_names_the_flag(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_suite(str(write(tmp_path, GOOD)), max_tokens=0)
    assert info.value.field == "--max-tokens" and info.value.file is None


def test_several_samples_default_to_sampling_temperature(tmp_path):
    suite = load_suite(str(write(tmp_path, {**GOOD, "samples": 4})))
    assert suite.temperature > 0
    assert load_suite(str(write(tmp_path, GOOD))).temperature == 0.0


@pytest.mark.parametrize("data, field, words", [
    ({**GOOD, "tasks": [{"task": "no-such-task", "difficulties": [1]}]},
     "tasks[0].task", "unknown task"),
    ({**GOOD, "tasks": [{"task": "addition", "difficulties": [1]},
                        {"task": "addition", "difficulties": [99]}]},
     "tasks[1].difficulties", "outside"),
    ({**GOOD, "tasks": [{"task": "addition"}]}, "tasks[0].difficulties", "required"),
    ({**GOOD, "tasks": [{"task": "addition", "difficulties": "hard"}]},
     "tasks[0].difficulties", "must be a list"),
    ({**GOOD, "tasks": [{"task": "addition", "difficulties": []}]},
     "tasks[0].difficulties", "non-empty list of integers"),
    ({**GOOD, "tasks": [{"task": "addition", "difficulties": [1, "2"]}]},
     "tasks[0].difficulties[1]", "must be int"),
    ({**GOOD, "items": "many"}, "items", "must be int"),
    ({**GOOD, "items": 0}, "items", "at least 1"),
    ({**GOOD, "confidence": "yes"}, "confidence", "must be bool"),
    ({**GOOD, "max_token": 5}, "max_token", "unknown suite field"),
    ({"name": "t"}, "tasks", "required"),
    ({**GOOD, "tasks": [{"task": "addition", "difficulties": [1], "level": 2}]},
     "tasks[0].level", "unknown task-entry field"),
    ({**GOOD, "tasks": [{"task": "addition", "difficulties": [1],
                         "config": {"no_such_knob": 1}}]},
     "tasks[0].config.no_such_knob", "no setting"),
    ({**GOOD, "samples": 3, "temperature": 0}, "samples", "temperature"),
    ({**GOOD, "template": "Solve: {question}"}, "template", "{prompt}"),
    ({**GOOD, "thinking_budgets": [16, 0]}, "thinking_budgets", "positive integers"),
    ({**GOOD, "thinking_budgets": [16, "x"]}, "thinking_budgets[1]", "must be int"),
    ({**GOOD, "budget_mode": "sometimes"}, "budget_mode", "cap"),
    ({**GOOD, "top_p": 0}, "top_p", "(0, 1]"),
    ({**GOOD, "tasks": [{"task": "addition", "difficulties": [1]},
                        {"task": "addition", "difficulties": [2]}]},
     "tasks[1].task", "already listed"),
])
def test_malformed_suite_names_file_and_field(tmp_path, data, field, words):
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_suite(str(path))
    message = str(info.value)
    assert info.value.file == str(path) and info.value.field == field
    line = line_of(load_yaml(path)[1], field)   # None only for a field the file lacks
    assert info.value.line == line and (line is not None or field == "tasks")
    assert message.startswith(f"{path}{f':{line}' if line else ''}: field '{field}': ")
    assert words in message


def test_file_task_must_exist_and_hold_enough_items(tmp_path):
    rows = tmp_path / "qa.jsonl"
    rows.write_text('{"question": "1+1=", "answer": "2"}\n{"question": "2+2=", "answer": "4"}\n')
    ok = load_suite(str(write(tmp_path, {**GOOD, "tasks": [
        {"task": f"file:{rows}", "difficulties": [1]}]})))
    assert ok.tasks[0].items == 2
    path = write(tmp_path, {**GOOD, "items": 3,
                            "tasks": [{"task": f"file:{rows}", "difficulties": [1]}]})
    with pytest.raises(ConfigError) as info:
        load_suite(str(path))
    assert info.value.field == "tasks[0].items" and "3 items" in str(info.value)
    path = write(tmp_path, {**GOOD, "tasks": [{"task": f"file:{tmp_path}/gone.jsonl",
                                               "difficulties": [1]}]})
    with pytest.raises(ConfigError) as info:
        load_suite(str(path))
    assert info.value.field == "tasks[0].task" and "gone.jsonl" in str(info.value)


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "name: t\ntasks:\n  - task: addition\n    difficulties: [1, 2\n")
    with pytest.raises(InputError) as info:
        load_suite(str(path))
    assert info.value.file == str(path) and info.value.line is not None


def test_missing_suite_file(tmp_path):
    with pytest.raises(InputError, match="generalization, smoke"):
        load_suite(str(tmp_path / "nope.yaml"))


def test_cli_malformed_suite_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, {**GOOD, "tasks": [{"task": "addition", "difficulties": [0]}]})
    proc = subprocess.run(
        [sys.executable, "-m", "reasonlab", "eval", "--model", str(tmp_path / "no-model"),
         "--suite", str(path), "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0] and "tasks[0].difficulties" in lines[0]
    assert not (tmp_path / "run").exists()   # nothing is written for a bad suite


def test_prompt_template_and_confidence_parsing():
    prompt = build_prompt("What is 2 + 2?", "default", elicit_confidence=True)
    assert prompt.startswith("What is 2 + 2?") and "<answer>" in prompt
    assert "Confidence: {your confidence score between 0% and 100% for your answer}" in prompt
    assert build_prompt("Q", "Question: {prompt}\nA:", False) == "Question: Q\nA:"
    assert parse_confidence("<answer>4</answer>\nConfidence: 85%") == pytest.approx(0.85)
    assert parse_confidence("Confidence: 10%\n...\nconfidence: 92.5 %") == pytest.approx(0.925)
    assert parse_confidence("<think>Confidence: 30%?</think><answer>4</answer>") is None
    assert parse_confidence("<think>Confidence: 30%?</think><answer>4</answer>\n"
                            "Confidence: 70%") == pytest.approx(0.7)
    assert parse_confidence("<think>Confidence: 30%") is None
    assert parse_confidence("I am confident") is None
    assert parse_confidence("Confidence: 140%") is None
