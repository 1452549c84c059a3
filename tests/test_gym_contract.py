"""The contract every ``gym:<name>`` task keeps, checked for every listed reasoning-gym dataset at
its lowest and highest difficulty (in the spirit of reasoning-gym's test_dataset_common.py):
its oracle answer in an answer block verifies correct through the ``gym`` verifier, a wrong
answer does not, and the same (seed, index) regenerates the same item alone."""

from __future__ import annotations

import json

import pytest

from reasonlab.core.item import Item
from reasonlab.tasks import get_task, list_tasks
from reasonlab.tasks import gym as gym_tasks
from reasonlab.verifiers.base import safe_check
from reasonlab.verifiers.gym import GymVerifier

VERIFIER = GymVerifier()
NAMES = gym_tasks.gym_names()


def check(item: Item, completion: str):
    return safe_check(VERIFIER, item, completion)


def roundtrip(item: Item) -> Item:
    """Items reach the verifier through JSONL files: check what a file gives back."""
    return Item.from_dict(json.loads(json.dumps(item.to_dict())))


def test_every_registered_dataset_is_listed_or_explained():
    from reasoning_gym.factory import DATASETS

    assert len(NAMES) >= 90
    assert set(NAMES) | set(gym_tasks.KNOWN_BROKEN) == set(DATASETS)
    assert not set(NAMES) & set(gym_tasks.KNOWN_BROKEN)
    listed = {info.name for info in list_tasks() if info.name.startswith("gym:")}
    assert listed == {f"gym:{n}" for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_oracle_verifies_at_lowest_and_highest_difficulty(name):
    task = get_task(f"gym:{name}")
    info = gym_tasks.gym_info(name)
    assert task.min_difficulty == 1 and task.max_difficulty == len(info.levels)
    for difficulty in sorted({task.min_difficulty, task.max_difficulty}):
        # Index 1 first, with nothing cached: an item regenerates without the ones before it.
        gym_tasks._entry.cache_clear()
        item = task.item(1, difficulty, seed=3)
        assert item.id == f"gym:{name}-{difficulty}-3-000001"
        assert item.task == f"gym:{name}" and item.verifier == "gym"
        assert item.domain == info.domain and item.difficulty == difficulty
        assert item.meta["version"] == gym_tasks.gym_version()
        assert item.meta["params"] == info.params[difficulty - 1]
        assert set(item.meta["gym"]) >= {"name", "config", "seed", "index", "level"}

        gym_tasks._entry.cache_clear()
        again = task.item(1, difficulty, seed=3)
        assert again.to_dict() == item.to_dict(), "same (seed, index) must give the same item"

        stored = roundtrip(item)
        verdict = check(stored, f"<think>work</think>\n<answer>{item.answer}</answer>")
        assert verdict.status == "correct", (difficulty, item.answer[:200], verdict.detail)
        assert verdict.score == 1.0
        wrong = check(stored, "<think>work</think>\n<answer>no idea, sorry</answer>")
        assert wrong.status == "wrong" and wrong.score == 0.0, (difficulty, wrong)
        assert check(stored, item.answer).status == "unparsable"  # strict: needs the block


def test_difficulties_follow_curriculum_levels():
    gcd = gym_tasks.gym_info("gcd")
    assert gcd.levels == (0, 1, 2, 3)
    assert gcd.params[0]["max_value"] < gcd.params[-1]["max_value"]
    # Without a curriculum: one difficulty, the default config.
    acre = get_task("gym:acre")
    assert (acre.min_difficulty, acre.max_difficulty) == (1, 1)
    # A level reasoning-gym's own config rejects is skipped, and the listing says so.
    caesar = gym_tasks.gym_info("caesar_cipher")
    assert caesar.levels == (0, 1) and "rotation must be in range" in caesar.note


def test_seeds_and_difficulties_give_different_items():
    task = get_task("gym:basic_arithmetic")
    prompts = {task.item(i, d, s).prompt for i in range(3) for d in (1, 2) for s in (0, 1)}
    # reasoning-gym alone would give seed 0 item 1 == seed 1 item 0; our seeds are spread apart.
    assert len(prompts) == 12
    ids = {task.item(i, d, s).id for i in range(3) for d in (1, 2) for s in (0, 1)}
    assert len(ids) == 12


def test_partial_credit_off_by_default_and_on_by_opt_in():
    # gcd keeps the base scorer: len(oracle)/len(answer) for an answer that merely contains it.
    strict = get_task("gym:gcd").item(0, 2, seed=0)
    padded = f"the GCD is {strict.answer}"
    expected = len(strict.answer) / len(padded)
    verdict = check(strict, f"<answer>{padded}</answer>")
    assert verdict.status == "wrong" and verdict.score == 0.0
    assert f"gym score {expected:.4g}" in verdict.detail  # the raw score is kept for the curious
    assert "verify" not in strict.meta

    lenient = get_task("gym:gcd", partial_credit=True).item(0, 2, seed=0)
    assert lenient.meta["verify"]["partial_credit"] is True
    verdict = check(lenient, f"<answer>{padded}</answer>")
    assert verdict.status == "wrong" and verdict.score == pytest.approx(expected)
    assert check(lenient, f"<answer>{lenient.answer}</answer>").status == "correct"
    # The opt-in can also be set on a stored item by hand.
    opted = roundtrip(strict)
    opted.meta["verify"] = {"partial_credit": True}
    assert check(opted, f"<answer>{padded}</answer>").score == pytest.approx(expected)


def test_long_oracles_raise_the_answer_cap():
    item = get_task("gym:spiral_matrix").item(0, 4, seed=0)
    assert len(item.answer) > 1000
    assert item.meta["verify"]["max_answer_chars"] >= len(item.answer)
    assert check(item, f"<answer>{item.answer}</answer>").correct


def test_answer_none_datasets_use_the_recorded_solution():
    item = get_task("gym:graph_color").item(0, 1, seed=0)
    coloring = json.loads(item.answer)
    assert check(item, f"<answer>{item.answer}</answer>").correct
    # Any proper coloring is right, not just the recorded string: permute the colors.
    colors = sorted(set(coloring.values()))
    shift = {c: colors[(i + 1) % len(colors)] for i, c in enumerate(colors)}
    other = json.dumps({v: shift[c] for v, c in coloring.items()})
    assert other != item.answer
    assert check(item, f"<answer>{other}</answer>").correct
    _, entry = gym_tasks.rebuild_entry(item.meta["gym"])
    u, v = entry["metadata"]["puzzle"]["edges"][0]
    clash = {**coloring, str(v): coloring[str(u)]}  # two neighbours share a color
    assert check(item, f"<answer>{json.dumps(clash)}</answer>").status == "wrong"


def test_solvers_give_datasets_without_answers_an_oracle():
    # rush_hour: breadth-first search finds a shortest plan, as long as the recorded minimum.
    task = get_task("gym:rush_hour")
    for difficulty in (1, task.max_difficulty):
        item = task.item(0, difficulty, seed=1)
        _, entry = gym_tasks.rebuild_entry(item.meta["gym"])
        assert len(item.answer.split()) == entry["metadata"]["min_moves"]
        assert check(item, f"<answer>{item.answer}</answer>").correct
        shorter = " ".join(item.answer.split()[:-1])  # stops one move short of the exit
        assert check(item, f"<answer>{shorter}</answer>").status == "wrong"
    # boxnet: a JSON list of one-action steps that lifts every box.
    item = get_task("gym:boxnet").item(0, 3, seed=1)
    steps = json.loads(item.answer)
    assert isinstance(steps, list) and all(len(step) == 1 for step in steps)
    assert check(item, f"<answer>{item.answer}</answer>").correct
    assert check(item, f"<answer>{json.dumps(steps[:-1])}</answer>").status == "wrong"


def test_guarded_scorer_no_longer_pays_for_the_opposite_answer():
    # game_of_life_halting's own scorer compares bool(answer) == bool(oracle): "False" == "True".
    item = get_task("gym:game_of_life_halting").item(0, 1, seed=0)
    opposite = {"True": "False", "False": "True"}[item.answer]
    dataset, entry = gym_tasks.rebuild_entry(item.meta["gym"])
    assert dataset.score_answer(opposite, entry) == 1.0  # the upstream bug, still there
    assert check(item, f"<answer>{opposite}</answer>").status == "wrong"
    assert check(item, f"<answer>{item.answer.lower()}</answer>").correct


def test_tampered_or_foreign_items_are_errors_not_wrong():
    item = get_task("gym:gcd").item(0, 1, seed=0)
    tampered = roundtrip(item)
    tampered.prompt = "What is the GCD of 4 and 6?"
    verdict = check(tampered, f"<answer>{item.answer}</answer>")
    assert verdict.status == "error" and "differs" in verdict.detail
    bare = roundtrip(item)
    bare.meta = {}
    assert check(bare, "<answer>2</answer>").status == "error"


def test_scorer_crash_is_an_error_verdict(monkeypatch):
    item = get_task("gym:gcd").item(0, 1, seed=0)
    dataset, _ = gym_tasks.rebuild_entry(item.meta["gym"])

    def boom(answer, entry):
        raise RuntimeError("scorer exploded")

    monkeypatch.setattr(dataset, "score_answer", boom)
    verdict = check(item, f"<answer>{item.answer}</answer>")
    assert verdict.status == "error" and "scorer exploded" in verdict.detail

    def unparsable_everything(answer, entry):
        raise ValueError("cannot parse anything")

    # A parse error that the oracle hits too is the scorer's fault: still undecided.
    monkeypatch.setattr(dataset, "score_answer", unparsable_everything)
    verdict = check(item, f"<answer>{item.answer}</answer>")
    assert verdict.status == "error" and "cannot parse anything" in verdict.detail


def test_scorer_that_chokes_on_a_malformed_answer_means_wrong():
    # prime_factorization's scorer calls int() on each factor without a guard.
    item = get_task("gym:prime_factorization").item(0, 1, seed=0)
    verdict = check(item, "<answer>no idea, sorry</answer>")
    assert verdict.status == "wrong" and verdict.score == 0.0
    assert "rejected the answer: ValueError" in verdict.detail


def test_bad_names_and_settings_are_config_errors():
    from reasonlab.core.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown reasoning-gym dataset"):
        get_task("gym:no_such_dataset")
    with pytest.raises(ConfigError, match="not offered"):
        get_task("gym:composite")
    with pytest.raises(ConfigError, match="no setting 'max_valu'"):
        get_task("gym:gcd", max_valu=10)
    with pytest.raises(ConfigError, match="difficulties 1..4"):
        get_task("gym:gcd").item(0, 5)
    small = get_task("gym:gcd", min_value=1, max_value=20).item(0, 4, seed=0)
    assert small.meta["params"]["max_value"] == 20
    assert all(n <= 20 for n in json.loads("[" + small.prompt.split(": ")[1].split(".")[0] + "]"))


def test_generators_that_print_do_not_touch_stdout(capsys):
    get_task("gym:codeio").item(0, 1, seed=0)
    assert capsys.readouterr().out == ""


def test_cli_samples_and_verifies_gym_items_across_processes(tmp_path):
    import subprocess
    import sys

    items = tmp_path / "items.jsonl"
    sample = subprocess.run(
        [sys.executable, "-m", "reasonlab", "tasks", "sample", "gym:time_intervals", "--n", "3",
         "--difficulty", "2", "--seed", "5"], capture_output=True, text=True, timeout=120)
    assert sample.returncode == 0, sample.stderr
    items.write_text(sample.stdout)
    rows = [json.loads(line) for line in sample.stdout.splitlines()]
    assert [r["id"] for r in rows] == [f"gym:time_intervals-2-5-{i:06d}" for i in range(3)]
    completions = tmp_path / "completions.jsonl"
    completions.write_text("".join(
        json.dumps({"id": r["id"], "completion": f"<answer>{r['answer']}</answer>" if i != 1
                    else "<answer>12:00</answer>"}) + "\n" for i, r in enumerate(rows)))
    out = subprocess.run(
        [sys.executable, "-m", "reasonlab", "verify", "--items", str(items), "--completions",
         str(completions)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    verdicts = [json.loads(line) for line in out.stdout.splitlines()]
    assert [v["status"] for v in verdicts] == ["correct", "wrong", "correct"]
