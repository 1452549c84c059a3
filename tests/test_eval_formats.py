"""Strict and flexible scores in summaries and the terminal table, the warning about runs whose
completions are mostly empty or lack the answer block, and distinct items counted once."""

from __future__ import annotations

import json

import yaml

from reasonlab.cli import main as cli_main
from reasonlab.core.stats import wilson_interval
from reasonlab.evaluate.flexible import annotate, flexible_block
from reasonlab.evaluate.health import completion_warnings
from reasonlab.evaluate.summary import accuracy_block
from reasonlab.tasks import get_task


def row(completion, status, prompt="What is 1 + 2?", item_id="a", **extra):
    item = get_task("addition").item(0, 1, seed=0).to_dict()
    item.update({"id": item_id, "prompt": prompt, "answer": "3", "completion": completion,
                 "verdict": {"id": item_id, "score": float(status == "correct"),
                             "status": status, "parsed": None, "detail": ""},
                 "finish_reason": "stop", **extra})
    return item


def test_format_rate_and_flexible_accuracy_of_a_group():
    rows = [row("<answer>3</answer>", "correct", item_id="a", prompt="p1"),
            row("The answer is 3.", "unparsable", item_id="b", prompt="p2"),
            row("1, 2, 3", "unparsable", item_id="c", prompt="p3"),
            row("x", "error", item_id="d", prompt="p4")]
    annotate(rows)
    assert [r.get("format_ok") for r in rows] == [True, False, False, False]
    block = flexible_block(rows)
    assert block["format_rate"] == 1 / 3            # over the decided samples
    assert block["flexible_accuracy"] == 2 / 3 and block["flexible_correct"] == 2
    assert block["flexible_ci95"] == list(wilson_interval(2, 3))
    empty = flexible_block([row("x", "error")])
    assert empty["format_rate"] is None and empty["flexible_accuracy"] is None


def test_a_prompt_drawn_twice_counts_once():
    rows = [row("<answer>3</answer>", "correct", item_id=f"i{k}", prompt=f"p{k % 3}")
            for k in range(6)]
    rows[0]["verdict"]["status"] = rows[3]["verdict"]["status"] = "wrong"    # prompt p0 twice
    block = accuracy_block(rows)
    assert block["n"] == 6 and block["n_distinct"] == 3 and block["n_items"] == 6
    # Identical repeats of 3 prompts (1 wrong, 2 right) are worth exactly 3 items.
    assert block["ci95"] == list(wilson_interval(2, 3))


def test_warnings_name_the_share_and_the_likely_causes():
    empty = [row("", "unparsable", format_ok=False) for _ in range(3)] + \
        [row("<answer>3</answer>", "correct", format_ok=True)]
    (message,) = completion_warnings(empty, "bare")
    assert message.startswith("3 of 4 completions are empty") and "--chat-template on" in message
    free = [row("The answer is 3.", "unparsable", format_ok=False, finish_reason="length")
            for _ in range(3)] + [row("<answer>3</answer>", "correct", format_ok=True)]
    (message,) = completion_warnings(free, "chat", max_tokens=64)
    assert message.startswith("3 of 4 non-empty completions have no answer block")
    assert "flex%" in message and "max_tokens (64)" in message
    assert completion_warnings(free[3:] * 3, "chat") == []


def test_eval_table_and_summary_show_both_scores_and_warn(tiny_model_dir, tmp_path, capsys):
    suite = tmp_path / "s.yaml"
    suite.write_text(yaml.safe_dump({"name": "s", "seed": 0, "items": 3, "max_tokens": 8,
                                     "tasks": [{"task": "addition", "difficulties": [1, 2]}]}))
    out = tmp_path / "run"
    assert cli_main(["eval", "--model", str(tiny_model_dir), "--suite", str(suite), "--out",
                     str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "Loading weights" not in err                  # --no-progress: no bars of HF's either
    header = next(line for line in err.splitlines() if "acc%" in line)
    assert "flex%" in header and "fmt%" in header
    assert "have no answer block" in err        # a random model writes no block
    summary = json.loads((out / "summary.json").read_text())
    task = summary["tasks"]["addition"]
    assert task["format_rate"] == 0.0 and task["flexible_accuracy"] is not None
    for cell in task["by_difficulty"].values():
        assert {"format_rate", "flexible_accuracy", "flexible_ci95", "n_distinct"} <= set(cell)
    lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert all("format_ok" in r and "flexible" in r for r in lines)
