"""``reasonlab judge data``: balanced records whose labels are the rule verifier's truth, every
perturbation kind, and bad input refused as one line before anything is written."""

from __future__ import annotations

import json
import random

import pytest

from reasonlab.cli import main
from reasonlab.core.item import Item
from reasonlab.judges.data import RIGHT_KINDS, WRONG_KINDS, change_digit, judge_data, perturb
from reasonlab.tasks import get_task
from reasonlab.verifiers import verify_many


def test_cli_writes_64_balanced_records_labelled_by_the_rule_verifier(tmp_path, capsys):
    out = tmp_path / "judge.jsonl"
    assert main(["judge", "data", "--task", "addition", "--n", "64", "--seed", "0",
                 "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 64
    assert all({"item", "completion", "label"} <= set(r) for r in rows)
    assert all(isinstance(r["label"], bool) for r in rows)
    right = sum(r["label"] for r in rows)
    assert right == 32                      # aimed at 50/50, both classes >= 25 %
    truth = verify_many([(Item.from_dict(r["item"]), r["completion"]) for r in rows])
    assert [v.status == "correct" for v in truth] == [r["label"] for r in rows]
    assert len({r["id"] for r in rows}) == 64
    assert "32 right, 32 wrong" in capsys.readouterr().err
    # Same seed, same bytes; another seed, other items.
    again = tmp_path / "again.jsonl"
    assert main(["judge", "data", "--task", "addition", "--n", "64", "--seed", "0",
                 "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_every_kind_and_its_truth():
    items = get_task("addition").sample(40, 3, seed=1)
    for kind in RIGHT_KINDS + WRONG_KINDS:
        pairs = [(i, perturb(i, kind, random.Random(n))) for n, i in enumerate(items)]
        statuses = {v.status for v in verify_many(pairs)}
        # A broken step before a right answer is still right by the rule: the label is truth.
        assert statuses == ({"correct"} if kind in RIGHT_KINDS else
                            {"unparsable"} if kind == "missing_answer" else {"wrong"}), kind
    broken = perturb(items[0], "broken_step", random.Random(0))
    assert broken != items[0].teacher and broken.endswith(f"<answer>{items[0].answer}</answer>")
    assert change_digit("abc", random.Random(0)) is None


def test_several_difficulties_and_other_tasks():
    records = judge_data("multiplication", [1, 2], 20, 3)
    assert {r.item.difficulty for r in records} == {1, 2}
    assert sum(r.label for r in records) == 10
    assert [r.label for r in records] == [i % 2 == 0 for i in range(20)]


@pytest.mark.parametrize(("args", "field"), [
    (["--task", "nope", "--n", "4"], "task"),
    (["--task", "addition", "--n", "1"], "n"),
    (["--task", "addition", "--n", "4", "--difficulty", "9"], "difficulty"),
    (["--task", "addition", "--n", "4", "--policy", "no/such/model"], "policy"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, field):
    out = tmp_path / "judge.jsonl"
    assert main(["judge", "data", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"field '{field}'" in err
    assert not out.exists()


def test_policy_samples_are_candidates_and_perturbations_fill_the_other_class(tiny_model_dir,
                                                                               tmp_path):
    # A random model never answers: its samples are all wrong (unparsable), so the right half
    # comes from perturbed traces of further items.
    records = judge_data("addition", [1], 6, 0, policy=str(tiny_model_dir), samples=2,
                         max_tokens=8)
    assert [r.label for r in records] == [True, False] * 3
    wrong = [r for r in records if not r.label]
    assert {r.source for r in wrong} == {"policy"} and {r.kind for r in wrong} == {"policy"}
    assert {r.source for r in records if r.label} == {"perturbed"}
    truth = verify_many([(r.item, r.completion) for r in records])
    assert [v.status == "correct" for v in truth] == [r.label for r in records]
    out = tmp_path / "policy.jsonl"
    assert main(["judge", "data", "--task", "addition", "--n", "4", "--policy",
                 str(tiny_model_dir), "--policy-samples", "1", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["source"] for r in rows if not r["label"]] == ["policy", "policy"]
