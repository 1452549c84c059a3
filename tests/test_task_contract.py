"""The contract every registered procedural family keeps (in the spirit of reasoning-gym's
tests/test_dataset_common.py): the oracle answer and the teacher trace verify at every difficulty,
items are deterministic and regenerate alone, ids are unique, meta records the generator, teacher
traces lengthen with difficulty, and bad configs fail clearly.

Families that answer in an ``<answer>`` block after a ``<think>`` trace (all but code, which
answers in a ```python block and has its own tests) are also held to what warm-starting a tiny
model needs: short ASCII prompts and traces, one more reasoning line per level, the answer on the
last line, varied items, and wrong answers that do not verify."""

from __future__ import annotations

import dataclasses
import statistics

import pytest

from reasonlab.core.errors import ConfigError
from reasonlab.tasks import Item, ProceduralTask, family_names, get_task
from reasonlab.verifiers import verify, verify_many

N = 20  # items per (family, difficulty): enough to average lengths, small enough to stay fast

FAMILIES = family_names()
CASES = [(name, d) for name in FAMILIES
         for d in range(get_task(name).min_difficulty, get_task(name).max_difficulty + 1)]
# How an answer is written for verifiers that do not read an <answer> block.
ANSWER_FORMATS = {"code": "```python\n{answer}```"}
TRACE_FAMILIES = [n for n in FAMILIES if get_task(n).verifier not in ANSWER_FORMATS]
TRACE_CASES = [(name, d) for name, d in CASES if name in TRACE_FAMILIES]


def oracle_completion(item: Item) -> str:
    return ANSWER_FORMATS.get(item.verifier, "<answer>{answer}</answer>").format(answer=item.answer)


def thinking_lines(teacher: str) -> list[str]:
    assert teacher.startswith("<think>\n") and "\n</think>\n" in teacher
    return teacher[len("<think>\n"):teacher.index("\n</think>\n")].split("\n")


def test_registry_has_enough_families_and_domains():
    domains = {get_task(name).domain for name in TRACE_FAMILIES}
    assert len(TRACE_FAMILIES) >= 8, TRACE_FAMILIES
    assert len(domains) >= 4, domains


@pytest.mark.parametrize("name", FAMILIES)
def test_family_shape(name):
    task = get_task(name)
    assert isinstance(task, ProceduralTask)
    assert task.name == name and name.replace("_", "").isalpha() and name.islower()
    assert task.min_difficulty == 1 and task.max_difficulty >= 6
    assert dataclasses.is_dataclass(task.config) and callable(task.config.validate)
    assert (task.description or type(task).__doc__ or "").strip()
    versions = task.versions()
    assert versions["task"] == name and versions["version"] == task.version
    assert versions["config"] == dataclasses.asdict(task.config)


@pytest.mark.parametrize(("name", "difficulty"), CASES)
def test_oracle_and_teacher_verify(name, difficulty):
    task = get_task(name)
    items = task.sample(N, difficulty, seed=0)
    # Items survive a JSONL round trip, meta included (verifiers read it), so what is checked
    # below holds for items read back from a file too.
    assert [Item.from_dict(item.to_dict()) for item in items] == items
    # One batch, so verifiers with a worker pool (code) start it once.
    pairs = ([(item, oracle_completion(item)) for item in items]
             + [(item, item.teacher) for item in items])
    for (_, completion), verdict in zip(pairs, verify_many(pairs), strict=True):
        assert (verdict.status, verdict.score) == ("correct", 1.0), (completion, verdict)
    for item in items:
        assert item.task == name and item.difficulty == difficulty and item.domain == task.domain
        assert item.answer and item.teacher
        assert item.teacher.endswith(oracle_completion(item)), "the trace ends in the answer"


@pytest.mark.parametrize(("name", "difficulty"), TRACE_CASES)
def test_trace_families_answer_on_the_last_line_and_reject_wrong_answers(name, difficulty):
    for item in get_task(name).sample(N, difficulty, seed=0):
        assert item.prompt.isascii() and item.teacher.isascii() and item.answer.isascii()
        assert item.answer == item.answer.strip() and "\n" not in item.answer
        lines = thinking_lines(item.teacher)
        assert all(line.strip() for line in lines), item.teacher
        assert item.answer in lines[-1], "the last reasoning step states the answer"
        for bad in (item.answer + "1", "1" + item.answer, "<answer></answer>"):
            got = verify(item, bad if bad.startswith("<") else f"<answer>{bad}</answer>")
            assert got.status in ("wrong", "unparsable") and got.score == 0.0, (bad, got)


@pytest.mark.parametrize(("name", "difficulty"), CASES)
def test_deterministic_and_regenerates_alone(name, difficulty):
    task = get_task(name)
    first = [i.to_dict() for i in task.sample(5, difficulty, seed=7)]
    assert first == [i.to_dict() for i in get_task(name).sample(5, difficulty, seed=7)]
    # Every sampled item regenerates alone from the index in its id (sampling skips an index
    # whose prompt an earlier item has, so positions and indices may differ).
    for row in first:
        index = int(row["id"].rsplit("-", 1)[1])
        assert task.item(index, difficulty, seed=7).to_dict() == row
    assert task.sample(2, difficulty, seed=7, start=3)[0].to_dict() == \
        task.item(3, difficulty, seed=7).to_dict()
    other = [i.to_dict() for i in task.sample(5, difficulty, seed=8)]
    assert [i["prompt"] for i in other] != [i["prompt"] for i in first]


@pytest.mark.parametrize(("name", "difficulty"), TRACE_CASES)
def test_trace_families_vary(name, difficulty):
    prompts = [i.prompt for i in get_task(name).sample(N, difficulty, seed=0)]
    assert len(set(prompts)) >= N // 2, prompts


@pytest.mark.parametrize(("name", "difficulty"), CASES)
def test_meta_records_generator(name, difficulty):
    task = get_task(name)
    item = task.item(4, difficulty, seed=2)
    assert item.meta["version"] == task.version
    assert item.meta["params"] == task.params(difficulty)
    assert (item.meta["seed"], item.meta["index"]) == (2, 4)
    assert item.id == f"{name}-{difficulty}-2-000004"


def test_ids_unique_across_task_difficulty_and_seed():
    ids = [item.id for name, d in CASES for seed in (0, 1, 12) for item in
           get_task(name).sample(3, d, seed=seed)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", FAMILIES)
def test_teacher_is_longer_at_the_top_than_at_the_bottom(name):
    task = get_task(name)
    lengths = [statistics.mean(len(i.teacher) for i in task.sample(N, d, seed=0))
               for d in (task.min_difficulty, task.max_difficulty)]
    assert lengths[0] < lengths[1], lengths


@pytest.mark.parametrize("name", TRACE_FAMILIES)
def test_teacher_length_grows_with_every_level(name):
    task = get_task(name)
    levels = [task.sample(N, d, seed=0) for d in range(task.min_difficulty,
                                                        task.max_difficulty + 1)]
    means = [statistics.mean(len(i.teacher) for i in items) for items in levels]
    steps = [statistics.mean(len(thinking_lines(i.teacher)) for i in items) for items in levels]
    assert all(a < b for a, b in zip(means, means[1:], strict=False)), means
    # Harder means more reasoning steps (lines), not only longer numbers.
    assert all(a < b for a, b in zip(steps, steps[1:], strict=False)), steps
    assert steps[-1] >= steps[0] + 5, steps
    # Traces warm-start a tiny model with a short context: short at the bottom, bounded on top.
    assert means[0] <= 200, means
    assert max(len(i.teacher) for i in levels[-1]) <= 1500
    assert max(len(i.prompt) for i in levels[-1]) <= 500


def int_fields(name: str) -> list[str]:
    config = get_task(name).config
    return [f.name for f in dataclasses.fields(config)
            if type(getattr(config, f.name)) is int]


@pytest.mark.parametrize("name", FAMILIES)
def test_bad_config_names_the_setting(name):
    fields = int_fields(name)
    assert fields, f"{name} has no integer settings to check"
    # Our families also reject wrong types and absurd sizes (FamilyConfig checks the types).
    bad_values = (-5, "abc", True, 10 ** 9) if name in TRACE_FAMILIES else (-5,)
    for field in fields:
        for bad in bad_values:
            with pytest.raises(ConfigError) as info:
                get_task(name, **{field: bad})
            assert info.value.field == field, (field, bad)
            assert field in str(info.value)
    with pytest.raises(ConfigError) as info:
        get_task(name, no_such_setting=1)
    assert info.value.field == "no_such_setting"
    assert "no_such_setting" in str(info.value)


@pytest.mark.parametrize("name", FAMILIES)
def test_difficulty_out_of_range_is_a_config_error(name):
    task = get_task(name)
    for bad in (task.min_difficulty - 1, task.max_difficulty + 1, "3", True, 2.0):
        with pytest.raises(ConfigError) as info:
            task.item(0, bad)
        assert info.value.field == "difficulty"
        with pytest.raises(ConfigError):
            task.sample(2, bad)
    with pytest.raises(ConfigError):
        task.sample(-1, task.min_difficulty)


@pytest.mark.parametrize("name", FAMILIES)
def test_valid_overrides_keep_the_contract(name):
    """A valid neighbour of each default setting still makes items whose teacher verifies."""
    default = get_task(name)
    for field in int_fields(name):
        value = getattr(default.config, field)
        for candidate in (value + 1, value - 1):
            try:
                task = get_task(name, **{field: candidate})
            except ConfigError:
                continue
            for d in (task.min_difficulty, task.max_difficulty):
                for item in task.sample(3, d, seed=0):
                    assert verify(item, oracle_completion(item)).status == "correct"
                    assert verify(item, item.teacher).status == "correct", (field, candidate)
            break
