"""Fixed level shares (issue 25): with the curriculum off, a recipe's ``tasks[i].levels`` puts
every level in its share into every generation batch, so RL cannot narrow the trace to one level.
Checked on the apportionment, on TaskMix's batches, on a real RL run's rollouts, and on the
recipe's refusals."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from reasonlab.core.errors import ConfigError
from reasonlab.train.config import load_recipe
from reasonlab.train.data import TaskMix, level_plan
from reasonlab.train.recipe import PromptSpec, TaskSpec


@pytest.mark.parametrize(("shares", "count", "want"), [
    ({2: 0.5, 3: 0.5}, 4, {2: 2, 3: 2}),
    ({2: 0.5, 3: 0.5}, 2, {2: 1, 3: 1}),
    ({1: 0.5, 2: 0.25, 3: 0.25}, 8, {1: 4, 2: 2, 3: 2}),
    ({1: 2, 2: 1, 3: 1}, 8, {1: 4, 2: 2, 3: 2}),        # weights, not only fractions
    ({1: 1.0, 2: 0.0}, 3, {1: 3}),                      # a zero share is never drawn
])
def test_level_plan_holds_each_level_in_its_share(shares, count, want):
    assert Counter(level_plan(shares, count, "k")) == want


def test_a_share_that_does_not_divide_the_batch_is_rounded_by_turns():
    """3 prompts over two equal shares: 2 + 1, and the level left short is not always the same."""
    plans = [Counter(level_plan({2: 0.5, 3: 0.5}, 3, f"k{i}")) for i in range(40)]
    assert all(sorted(p.values()) == [1, 2] for p in plans)
    assert {min(p, key=p.get) for p in plans} == {2, 3}


def mix(levels):
    spec = TaskSpec(name="addition", min_level=1, max_level=3, start_level=1, levels=levels)
    return TaskMix([spec], PromptSpec(), seed=3)


def batch(slots, generations=8):
    return [{"slot": s, "prompt": ""} for s in slots for _ in range(generations)]


@pytest.mark.parametrize("first", [0, 4, 16, 100])
def test_every_generation_batch_holds_every_level_in_its_share(first):
    m = mix({1: 0.5, 2: 0.25, 3: 0.25})
    rows = m.materialize(batch(range(first, first + 8)), level_of=lambda _: 1)
    per_prompt = {r["item"]["id"]: r["item"]["difficulty"] for r in rows}
    assert Counter(per_prompt.values()) == {1: 4, 2: 2, 3: 2}
    # Every completion of one prompt is of that prompt's level.
    assert all(r["item"]["difficulty"] == per_prompt[r["item"]["id"]] for r in rows)


def test_shares_ignore_the_curriculum_level_and_are_the_same_on_a_second_draw():
    m = mix({2: 0.5, 3: 0.5})
    slots = [5, 1, 9, 2]
    first = m.materialize(batch(slots, 2), level_of=lambda _: 1)
    again = mix({2: 0.5, 3: 0.5}).materialize(batch(slots, 2), level_of=lambda _: 3)
    assert [r["item"]["id"] for r in first] == [r["item"]["id"] for r in again]
    assert {r["item"]["difficulty"] for r in first} == {2, 3}


def test_without_shares_the_curriculum_level_is_drawn():
    m = mix(None)
    rows = m.materialize(batch(range(4), 2), level_of=lambda _: 3)
    assert {r["item"]["difficulty"] for r in rows} == {3}


@pytest.mark.parametrize(("overrides", "message"), [
    (["tasks[0].levels={1: 0.5, 2: 0.5}"], "set curriculum.enabled: false"),
    (["curriculum.enabled=false", "tasks[0].levels={3: 1.0}"], r"within min_level..max_level"),
    (["curriculum.enabled=false", "tasks[0].levels={1: -0.5}"], "a share >= 0"),
    (["curriculum.enabled=false", "tasks[0].levels={1: .inf}"], "a share >= 0"),
    (["curriculum.enabled=false", "tasks[0].levels={1: 0, 2: 0}"], "positive share"),
    (["curriculum.enabled=false", "tasks[0].levels={}"], "must map levels to shares"),
    (["curriculum.enabled=false", "tasks[0].levels={one: 1}"], "must be a level"),
])
def test_bad_level_shares_are_refused_at_their_flag(overrides, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load_recipe("smoke", overrides, kind="rl")
    assert "tasks[0].levels" in str(caught.value) and "--set" in str(caught.value)


@pytest.mark.parametrize("name", ["sft-smoke", "judge-smoke"])
def test_level_shares_are_refused_outside_rl(name):
    with pytest.raises(ConfigError, match="RL recipes only"):
        load_recipe(name, ["tasks[0].levels={1: 1.0}"])


def test_a_real_rl_run_trains_every_level_in_its_share_at_every_step(tmp_path, tiny_model_dir):
    from reasonlab.train.rl import train_rl

    recipe = load_recipe("smoke", [
        f"model={tiny_model_dir}", "max_steps=3", "curriculum.enabled=false",
        "tasks[0].levels={1: 0.5, 2: 0.5}", "trl.per_device_train_batch_size=8",
        "trl.num_generations=2", "trl.max_completion_length=8", "prompt.template=raw",
        "checkpoint.every=10"], kind="rl")
    out = tmp_path / "rl"
    train_rl(recipe, out)
    for step in (1, 2, 3):
        rows = [json.loads(line) for line in
                (out / "rollouts" / f"step-{step:06d}.jsonl").read_text().splitlines()]
        prompts = {r["id"]: r["difficulty"] for r in rows}
        assert Counter(prompts.values()) == {1: 2, 2: 2}, (step, prompts)
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    keys = set().union(*logged)
    assert {"curriculum/addition/level1/success", "curriculum/addition/level2/success"} <= keys
    assert "curriculum/addition/level" not in keys    # no curriculum level to report
    info = json.loads((out / "final" / "reasonlab_train.json").read_text())
    assert info["level_shares"] == {"addition": {1: 0.5, 2: 0.5}} or \
        info["level_shares"] == {"addition": {"1": 0.5, "2": 0.5}}
    assert info["curriculum"] == {}


def test_shares_are_planned_over_the_whole_batch_when_processes_split_it():
    """Two processes each materialize half of one generation batch: with the batch's slots
    given, each slot gets the level the whole-batch plan gives it, and the batch holds the
    shares (a process planning over its own half alone would not)."""
    m = mix({2: 0.5, 3: 0.5})
    slots = [7, 3, 11, 5, 2, 9, 4, 8]
    whole = {r["slot"]: r["item"]["difficulty"]
             for r in m.materialize(batch(slots, 1), level_of=lambda _: 1)}
    halves = {}
    for part in (slots[:3], slots[3:]):       # uneven, as a group may span processes
        rows = mix({2: 0.5, 3: 0.5}).materialize(batch(part, 1), level_of=lambda _: 1,
                                                 batch_slots=slots)
        halves.update({r["slot"]: r["item"]["difficulty"] for r in rows})
    assert halves == whole and Counter(halves.values()) == {2: 4, 3: 4}


def test_a_start_level_beside_shares_is_refused():
    with pytest.raises(ConfigError, match="no starting level"):
        load_recipe("smoke", ["curriculum.enabled=false",
                              "tasks=[{name: addition, min_level: 1, max_level: 2, "
                              "start_level: 2, levels: {1: 1, 2: 1}}]"], kind="rl")
