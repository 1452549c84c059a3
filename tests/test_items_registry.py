"""Item JSONL round-trip, located errors, the registry's duplicate check, atomic writes."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.core.jsonl import atomic_writer, read_jsonl, write_jsonl
from reasonlab.tasks import Item, ProceduralTask, get_task, load_items
from reasonlab.tasks.base import Problem, TaskConfig, item_id
from reasonlab.tasks.registry import register, unregister


def test_item_round_trip_keeps_every_field(tmp_path):
    item = Item(id="t-1", task="t", domain="d", difficulty=3, prompt="p?", answer="42",
                verifier="numeric", meta={"seed": 0, "version": 1}, teacher="<answer>42</answer>",
                tests=["assert f(1) == 2"], spec="be nice",
                extra={"io": [{"stdin": "", "stdout": "1"}]})
    path = tmp_path / "items.jsonl"
    write_jsonl(path, [item.to_dict()])
    (back,) = load_items(str(path))
    assert back == item
    assert json.loads(path.read_text())["io"] == [{"stdin": "", "stdout": "1"}]


def test_item_without_answer_is_allowed_for_judged_items():
    item = Item.from_dict({"id": "j", "task": "judged", "prompt": "write", "spec": "s"})
    assert item.answer is None and item.verifier == "exact" and item.domain == "unknown"


@pytest.mark.parametrize("obj, field", [
    ({"task": "t", "prompt": "p"}, "id"),
    ({"id": "a", "prompt": "p"}, "task"),
    ({"id": "a", "task": "t"}, "prompt"),
    ({"id": "a", "task": "t", "prompt": "p", "difficulty": "hard"}, "difficulty"),
    ({"id": "a", "task": "t", "prompt": "p", "meta": [1]}, "meta"),
    ({"id": "a", "task": "t", "prompt": "p", "tests": [1, 2]}, "tests"),
    ({"id": "a", "task": "t", "prompt": ["p"]}, "prompt"),
])
def test_bad_item_names_file_line_and_field(tmp_path, obj, field):
    path = tmp_path / "bad.jsonl"
    good = {"id": "ok", "task": "t", "prompt": "p", "answer": "1"}
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(obj) + "\n")
    with pytest.raises(InputError) as info:
        load_items(str(path))
    assert info.value.line == 3 and info.value.field == field
    assert str(info.value).startswith(f"{path}:3: field '{field}'")


def test_duplicate_item_ids_are_rejected(tmp_path):
    path = tmp_path / "dup.jsonl"
    row = json.dumps({"id": "x", "task": "t", "prompt": "p"})
    path.write_text(row + "\n" + row + "\n")
    with pytest.raises(InputError, match="duplicate id 'x'"):
        load_items(str(path))


def test_invalid_json_is_located(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"id": "a"}\n{"id": \n')
    with pytest.raises(InputError, match=r"broken.jsonl:2: invalid JSON"):
        list(read_jsonl(path))


def test_atomic_writer_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_writer(path) as handle:
            handle.write("half")
            raise RuntimeError("boom")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


@dataclass
class _ToyConfig(TaskConfig):
    size: int = 2

    def validate(self) -> None:
        self.check(self.size > 0, "size", "must be positive")


class _Toy(ProceduralTask):
    """A throwaway family for registry tests."""

    name = "toy_registry_test"
    domain = "test"
    config_class = _ToyConfig
    min_difficulty, max_difficulty = 1, 3

    def params(self, difficulty):
        return {"n": difficulty * self.config.size}

    def generate(self, rng, params):
        value = rng.randint(0, 10 ** params["n"])
        return Problem(prompt=f"Echo {value}", answer=str(value), steps=[f"echo {value}"])


@pytest.fixture
def toy():
    register(_Toy)
    yield _Toy
    unregister(_Toy.name)


def test_registry_rejects_duplicate_names(toy):
    with pytest.raises(ValueError, match="already registered"):
        register(toy)


def test_unknown_task_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown task 'no-such-task'"):
        get_task("no-such-task")


def test_items_regenerate_alone_and_record_version(toy):
    task = get_task(toy.name)
    items = task.sample(5, 2, seed=7)
    assert task.item(3, 2, seed=7) == items[3]
    assert items[3].id == item_id(toy.name, 2, 7, 3)
    assert items[0].meta["version"] == 1 and items[0].meta["params"] == {"n": 4}
    assert task.sample(5, 2, seed=8) != items


def test_config_errors_name_the_field(toy):
    with pytest.raises(ConfigError) as info:
        get_task(toy.name, size=0)
    assert info.value.field == "size"
    with pytest.raises(ConfigError, match="no setting 'colour'"):
        get_task(toy.name, colour=1)
    with pytest.raises(ConfigError, match="difficulties 1..3"):
        get_task(toy.name).item(0, 4)
