"""One settings loader (core.spec) for recipes, suites and task configs: an unknown or mistyped
field fails with ``file:line: field 'path': message`` in the same words wherever it is, and the
CLI reports it as one line with exit code 2 before writing anything."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reasonlab.cli import main
from reasonlab.core.errors import ConfigError
from reasonlab.core.spec import build, locator
from reasonlab.core.yamlfile import load_yaml
from reasonlab.evaluate.suite import load_suite, parse_suite
from reasonlab.tasks import get_task

SUITE = """\
name: mine
items: 2
{top}tasks:
  - task: addition
    difficulties: [1, 2]
  - task: gcd
    difficulties: [1]
{entry}"""


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


BAD_SUITES = [   # (top-level lines, lines of the second entry, line, field, message)
    ("max_token: 5\n", "", 3, "max_token", "unknown suite field; known: budget_mode"),
    ("", "    level: 3\n", 8, "tasks[1].level", "unknown task-entry field; known: config"),
    ("", "    samples: two\n", 8, "tasks[1].samples", "must be int, got str 'two'"),
    ("confidence: yes please\n", "", 3, "confidence", "must be bool, got str 'yes please'"),
    ("", "    difficulties: [1, x]\n", 7, "tasks[1].difficulties[1]", "must be int, got str"),
    ("", "    config: {max_gcd: twelve}\n", 8, "tasks[1].config.max_gcd",
     "must be int, got str 'twelve'"),
    ("", "    config:\n      base_steps: 2\n      max_gdc: 5\n", 10, "tasks[1].config.max_gdc",
     "GcdConfig has no setting 'max_gdc'; known: base_steps"),
    ("", "    config: {max_gcd: 0}\n", 8, "tasks[1].config.max_gcd", "GcdConfig.max_gcd"),
]


@pytest.mark.parametrize("top, entry, line, where, words", BAD_SUITES)
def test_bad_suite_field_names_file_line_and_field(tmp_path, top, entry, line, where, words):
    if "difficulties" in entry:   # replace the entry's own list rather than repeat the key
        text = SUITE.format(top=top, entry="").replace("    difficulties: [1]\n", entry)
    else:
        text = SUITE.format(top=top, entry=entry)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_suite(str(path))
    assert str(info.value).startswith(f"{path}:{line}: field '{where}': {words}")


@pytest.mark.parametrize("top, entry, line, where, words", BAD_SUITES[:3])
def test_cli_refuses_bad_suite_before_the_run_folder(tmp_path, capsys, top, entry, line, where,
                                                    words):
    path = write(tmp_path, SUITE.format(top=top, entry=entry))
    out = tmp_path / "run"
    assert main(["eval", "--model", str(tmp_path / "no-model"), "--suite", str(path),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"{path}:{line}: field '{where}': {words}" in err
    assert not out.exists()


def test_valid_suite_loads_as_written(tmp_path):
    """Nulls mean defaults; a lone difficulty and a numeric name are accepted, as before."""
    path = write(tmp_path, "name: 2024\nseed: null\nitems: null\ntasks:\n"
                           "  - {task: addition, difficulties: 3, items: 4, config: null}\n")
    suite = load_suite(str(path))
    assert (suite.name, suite.seed, suite.items) == ("2024", 0, 8)
    entry = suite.tasks[0]
    assert (entry.difficulties, entry.items, entry.samples, entry.config) == ([3], 4, 1, {})


def test_inline_suite_is_located_in_the_recipe_that_holds_it(tmp_path):
    path = write(tmp_path, "kind: rl\neval:\n  suite:\n    name: inline\n    tasks:\n"
                           "      - {task: addition, difficulties: [1], level: 2}\n", "r.yaml")
    raw, lines = load_yaml(path)
    with pytest.raises(ConfigError) as info:
        parse_suite(raw["eval"]["suite"], source=str(path), lines=lines, prefix="eval.suite")
    assert str(info.value).startswith(f"{path}:6: field 'eval.suite.tasks[0].level': unknown")
    with pytest.raises(ConfigError) as info:   # no file: the field is still named
        parse_suite({"tasks": [{"task": "addition", "difficulties": "x"}]}, source="")
    assert str(info.value) == "field 'tasks[0].difficulties': must be a list, got str"


def test_train_names_the_line_of_a_bad_field_in_an_inline_eval_suite(tmp_path, capsys):
    path = write(tmp_path, "kind: rl\nmodel: init:tiny\ntasks: [{name: addition}]\neval:\n"
                           "  every: 5\n  suite:\n    tasks:\n      - task: addition\n"
                           "        level: 2\n        difficulties: [1]\n", "r.yaml")
    out = tmp_path / "run"
    assert main(["train", "rl", "--config", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:9: field 'eval.suite.tasks[0].level': unknown task-entry field" in err
    assert not out.exists()


@pytest.mark.parametrize("name, settings, where, words", [
    ("addition", {"max_digits": 3}, "max_digits", "AdditionConfig has no setting 'max_digits'"),
    ("addition", {"base_digits": "2"}, "base_digits", "must be int, got str '2'"),
    ("addition", {"restate": 1}, "restate", "must be bool, got int 1"),
    ("addition", {"base_digits": True}, "base_digits", "must be int, got bool True"),
    ("addition", {"base_digits": 0}, "base_digits", "AdditionConfig.base_digits must be in"),
    ("gym:leg_counting", {"min_animals": "x"}, "min_animals", "must be int, got str 'x'"),
    ("gym:leg_counting", {"partial_credit": 3}, "partial_credit", "must be bool, got int 3"),
    ("gym:leg_counting", {"min_animalz": 3}, "min_animalz", "gym:leg_counting has no setting"),
])
def test_task_config_names_the_setting(name, settings, where, words):
    with pytest.raises(ConfigError) as info:
        get_task(name, **settings)
    assert info.value.field == where and info.value.message.startswith(words)


def test_file_and_code_file_settings_name_the_setting(tmp_path):
    rows = tmp_path / "qa.jsonl"
    rows.write_text('{"question": "1+1=", "answer": "2"}\n')
    assert get_task(f"file:{rows}", question="question").item(0).answer == "2"
    with pytest.raises(ConfigError) as info:
        get_task(f"file:{rows}", qestion="prompt")
    assert info.value.field == "qestion" and "file: tasks have no setting 'qestion'" in str(
        info.value)
    with pytest.raises(ConfigError) as info:
        get_task(f"file:{rows}", lenient="yes")
    assert str(info.value) == "field 'lenient': must be bool, got str 'yes'"
    with pytest.raises(ConfigError) as info:
        get_task(f"mbpp:{rows}", split="test")
    assert info.value.field == "split"
    suite = write(tmp_path, f"name: f\ntasks:\n  - task: file:{rows}\n    difficulties: [1]\n"
                            "    config: {answer: solution, colum: 1}\n")
    with pytest.raises(ConfigError) as info:
        load_suite(str(suite))
    assert str(info.value).startswith(f"{suite}:5: field 'tasks[0].config.colum': file: tasks")


def test_recipe_task_config_error_names_its_line(tmp_path):
    from reasonlab.train.config import load_recipe

    path = write(tmp_path, "kind: rl\nmodel: init:tiny\ntasks:\n  - name: addition\n"
                           "    config:\n      base_digits: 2\n      max_digits: 3\n", "r.yaml")
    with pytest.raises(ConfigError) as info:
        load_recipe(str(path))
    assert str(info.value).startswith(f"{path}:7: field 'tasks[0].config.max_digits': "
                                      "AdditionConfig has no setting 'max_digits'")


def test_recipes_suites_and_task_configs_say_it_the_same_way(tmp_path):
    """A mistyped integer reads the same in a recipe, a suite and a task config, because all
    three are built by core.spec.build."""
    from reasonlab.train.config import load_recipe

    recipe = write(tmp_path, "kind: rl\nmodel: init:tiny\nmax_steps: many\n"
                             "tasks: [{name: addition}]\n", "r.yaml")
    suite = write(tmp_path, "name: s\nitems: many\ntasks: [{task: addition, difficulties: [1]}]\n")
    said = []
    for load in (lambda: load_recipe(str(recipe)), lambda: load_suite(str(suite)),
                 lambda: get_task("addition", base_digits="many")):
        with pytest.raises(ConfigError) as info:
            load()
        said.append(info.value.message)
    assert said == ["must be int, got str 'many'"] * 3
    assert str(info.value) == "field 'base_digits': must be int, got str 'many'"


def test_field_minimum_is_declared_once_on_the_field():
    @dataclass
    class Knobs:
        size: int = field(default=1, metadata={"min": 1})
        cap: int | None = field(default=None, metadata={"min": 1})

    fail = locator("k.yaml", {"size": 4})
    assert build(Knobs, {"cap": None}, fail) == Knobs()
    with pytest.raises(ConfigError, match=r"^k.yaml:4: field 'size': must be at least 1, got 0$"):
        build(Knobs, {"size": 0}, fail)


def test_every_family_module_is_discovered():
    """A new family is one module in tasks/families/: the package imports them all."""
    from reasonlab.tasks import families

    for module in pkgutil.iter_modules(families.__path__):
        assert f"{families.__name__}.{module.name}" in sys.modules
    importlib.reload(families)   # importing again registers nothing twice
