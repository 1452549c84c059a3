"""The demo's plan without running it (the run itself takes minutes; `make demo`): its suite
meets the issue's size rule on the trained task, loads as a real suite, uses the same addition
trace as the recipes, and the gain check reads intervals the way the README states it."""

from __future__ import annotations

import yaml

from reasonlab.core.summary import Summary, TaskSummary
from reasonlab.demo import (
    GROUPS,
    HELD_OUT_TASKS,
    RL_LEVELS,
    SIZES,
    TASK_CONFIG,
    TRAINED_TASKS,
    demo_suite,
    gain,
    print_table,
    warm_start_recipe,
)
from reasonlab.evaluate.suite import load_suite
from reasonlab.tasks import get_task
from reasonlab.train.config import load_recipe


def _load(tmp_path, size, seed=0):
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(demo_suite(size, seed), sort_keys=False))
    return load_suite(str(path))


def test_default_suite_has_200_items_per_trained_task(tmp_path):
    suite = _load(tmp_path, SIZES["default"])
    per_task = {t.task: len(t.difficulties) * t.items * t.samples for t in suite.tasks}
    for name in TRAINED_TASKS:
        assert per_task[name] >= 200
    assert set(HELD_OUT_TASKS) <= set(per_task)
    assert suite.seed == 1000 and _load(tmp_path, SIZES["default"], seed=2).seed == 1002


def test_suite_and_recipes_share_the_addition_trace(tmp_path):
    suite = _load(tmp_path, SIZES["fast"])
    entry = next(t for t in suite.tasks if t.task == "addition")
    assert entry.config == TASK_CONFIG["addition"]
    for name, kind in (("sft-tiny", "sft"), ("sft-tiny-habit", "sft"), ("rl-tiny", "rl")):
        spec = next(t for t in load_recipe(name, [], kind=kind).tasks if t.name == "addition")
        assert spec.config == TASK_CONFIG["addition"], name
    item = get_task("addition", **TASK_CONFIG["addition"]).item(0, 3, 0)
    assert item.teacher.split("\n")[-3] == f"so the sum is {item.answer}"


def task(**block) -> TaskSummary:
    return TaskSummary.from_dict(block)


def test_gain_reads_disjoint_intervals():
    base = task(accuracy=0.30, ci95=[0.24, 0.36], n=240)
    better = task(accuracy=0.55, ci95=[0.49, 0.61], n=240)
    close = task(accuracy=0.38, ci95=[0.32, 0.44], n=240)
    g = gain(base, better)
    assert g["points"] == 25.0 and g["intervals_disjoint"] and g["n_rl"] == 240
    assert g["meets_target"]
    # +16 points whose intervals overlap is not the promised gain.
    assert not gain(base, task(accuracy=0.46, ci95=[0.35, 0.57], n=80))["meets_target"]
    assert not gain(base, close)["intervals_disjoint"]
    assert gain(better, base)["intervals_disjoint"]      # a drop is reported, not hidden
    assert gain(better, base)["points"] == -25.0


def test_warm_start_is_staged_skill_then_habit_and_rl_trains_the_eval_levels(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(demo_suite(SIZES["fast"], 0), sort_keys=False))
    recipe = warm_start_recipe(SIZES["fast"], 3, path)
    assert [(p.name, p.max_steps) for p in recipe.phases] == [
        ("skill", SIZES["fast"].skill_steps), ("habit", SIZES["fast"].habit_steps)]
    assert recipe.seed == 3 and recipe.eval.suite == str(path.resolve())
    assert recipe.phases[1].styles["direct"] > recipe.phases[1].styles["full"]
    rl = load_recipe("rl-tiny", [], kind="rl")
    spec = next(t for t in rl.tasks if t.name == "addition")
    assert (spec.min_level, spec.max_level) == (min(RL_LEVELS), max(RL_LEVELS))
    assert [t.name for t in rl.tasks] == GROUPS["rl_trained"]
    suite = _load(tmp_path, SIZES["default"])
    tasks = {t.task for t in suite.tasks}
    assert all(set(names) <= tasks for names in GROUPS.values())


def test_table_shows_every_model_and_its_think_rate(capsys):
    def run(acc, think):
        cell = {"accuracy": acc, "ci95": [max(0.0, acc - 0.1), min(1.0, acc + 0.1)],
                "think_rate": think}
        return Summary.from_dict({"tasks": {"addition": {"by_difficulty": {"1": cell,
                                                                            "2": cell}}}})

    print_table({"skill": run(0.8, 1.0), "base": run(0.05, 0.0), "rl": run(0.7, 0.98)})
    out = capsys.readouterr().out.splitlines()
    assert "think rate skill -> base -> rl" in out[1]
    assert out[2].split()[:3] == ["RL-trained", "addition", "1"]
    assert "+65.0" in out[2] and out[2].endswith("1.00 -> 0.00 -> 0.98")
    undecided = {"accuracy": None, "ci95": None, "think_rate": None}
    print_table({"base": run(0.05, 0.0),
                 "rl": Summary.from_dict(
                     {"tasks": {"addition": {"by_difficulty": {"1": undecided}}}})})
    row = capsys.readouterr().out.splitlines()[2]
    assert row.split()[-6:] == ["[0,15]", "n/a", "n/a", "0.00", "->", "n/a"]


def test_gain_of_an_undefined_accuracy_is_null_not_zero():
    from reasonlab.demo import gain_line

    g = gain(task(accuracy=0.1, ci95=[0.05, 0.2], n=80), task(accuracy=None, ci95=None, n=0))
    assert g["points"] is None and not g["meets_target"] and not g["intervals_disjoint"]
    assert "n/a" in gain_line("addition", g)
