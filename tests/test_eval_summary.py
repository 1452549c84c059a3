"""From sample lines to summary.json: grouping, the decided-sample rule, confidence sources,
scaling curves — checked against the metric functions on known rows."""

from __future__ import annotations

import random

import pytest

from reasonlab.evaluate import metrics as M
from reasonlab.evaluate.runfolder import read_samples
from reasonlab.evaluate.runner import WorkUnit, sample_row
from reasonlab.evaluate.scaling import samples_curve
from reasonlab.evaluate.suite import parse_suite
from reasonlab.evaluate.summary import summarize, thinking_text
from reasonlab.models.base import Generation
from reasonlab.tasks import get_task


def suite(samples: int = 1):
    return parse_suite({"name": "unit", "items": 10, "samples": samples,
                        "tasks": [{"task": "addition", "difficulties": [1, 2, 3]}]},
                       source="unit.yaml")


def rows_for(seed: int, samples: int = 1) -> list[dict]:
    """Sample lines as the runner writes them, with a known outcome per line."""
    rng = random.Random(seed)
    task = get_task("addition")
    rows = []
    statuses = ["correct", "wrong", "unparsable", "error", "timeout"]
    for difficulty in (1, 2, 3):
        for item in task.sample(10, difficulty):
            for sample in range(samples):
                thinking = rng.randint(5, 40) * difficulty
                gen = Generation(text=f"<think>{'wait ' * difficulty}</think><answer>1</answer>",
                                 thinking_tokens=thinking, answer_tokens=3,
                                 completion_tokens=thinking + 3, prompt_tokens=20,
                                 token_confidence=rng.random(), latency_s=0.1)
                row = sample_row(WorkUnit(item, sample, 0), gen, "m", None)
                status = rng.choices(statuses, weights=[4, 4, 1, 1, 1])[0]
                row["verdict"] = {"id": item.id, "score": float(status == "correct"),
                                  "status": status, "parsed": str(rng.randint(0, 2)),
                                  "detail": ""}
                rows.append(row)
    return rows


def test_sample_row_prefers_the_verbalized_confidence():
    item = get_task("addition").item(0, 1)
    gen = Generation(text="<think>hm</think><answer>15</answer>\nConfidence: 80%",
                     token_confidence=0.6, thinking_tokens=3, answer_tokens=30)
    row = sample_row(WorkUnit(item, 2, 0), gen, "model-x", 16)
    assert (row["confidence"], row["confidence_source"]) == (0.8, "verbalized")
    assert row["token_confidence"] == 0.6 and row["sample"] == 2 and row["model"] == "model-x"
    assert row["id"] == item.id and row["answer"] == item.answer and "teacher" not in row
    assert row["thinking_budget"] == 16
    gen.text = "<think>hm</think><answer>15</answer>"
    assert sample_row(WorkUnit(item, 0, 0), gen, "m", None)["confidence_source"] == "tokens"


def test_summary_accuracy_excludes_undecided_and_matches_metrics():
    rows = rows_for(0)
    summary = summarize(rows, suite(), model_info={"name": "m"}).to_dict()
    block = summary["tasks"]["addition"]
    decided = [r for r in rows if r["verdict"]["status"] not in ("error", "timeout")]
    correct = sum(r["verdict"]["status"] == "correct" for r in decided)
    assert block["n"] == len(decided) and block["n_total"] == len(rows) == 30
    assert block["errors"] == sum(r["verdict"]["status"] == "error" for r in rows)
    assert block["timeouts"] == sum(r["verdict"]["status"] == "timeout" for r in rows)
    assert block["errors"] > 0 and block["timeouts"] > 0
    assert block["n"] + block["errors"] + block["timeouts"] == block["n_total"]
    assert block["accuracy"] == pytest.approx(correct / len(decided))
    assert block["ci95"] == pytest.approx(list(M.wilson_interval(correct, len(decided))))
    assert block["spearman_tokens_difficulty"] == pytest.approx(
        M.spearman([r["thinking_tokens"] for r in rows], [r["difficulty"] for r in rows]))
    for d in ("1", "2", "3"):
        cell = [r for r in rows if str(r["difficulty"]) == d]
        assert block["by_difficulty"][d]["mean_thinking_tokens"] == pytest.approx(
            sum(r["thinking_tokens"] for r in cell) / len(cell))
    # "wait " repeated difficulty times in each think: markers per 1k thinking tokens.
    expected = 1000 * sum(r["difficulty"] for r in rows) / sum(r["thinking_tokens"]
                                                               for r in rows)
    assert block["reflection_per_1k"] == pytest.approx(expected)
    assert summary["overall"]["accuracy"] == block["accuracy"]
    assert summary["domains"]["arithmetic"]["n"] == block["n"]


def test_summary_calibration_uses_decided_samples_with_confidence():
    rows = rows_for(1) * 10         # 300 lines: two HLE bins and a remainder
    for i, row in enumerate(rows):
        row = dict(row)
        rows[i] = row
        row["sample"] = i
    summary = summarize(rows, suite(), model_info={"name": "m"}).to_dict()
    decided = [r for r in rows if r["verdict"]["status"] not in ("error", "timeout")]
    conf = [r["confidence"] for r in decided]
    correct = [r["verdict"]["status"] == "correct" for r in decided]
    cal = summary["calibration"]
    assert cal["n"] == len(decided) >= 200
    assert cal["rms_hle"] == pytest.approx(M.calibration_error(conf, correct, "hle"))
    assert cal["rms_hle"] is not None and cal["undefined"] == {}
    assert cal["rms_all_bins"] == pytest.approx(M.calibration_error(conf, correct, "all-bins"))
    assert cal["ece"] == pytest.approx(M.ece(conf, correct))
    assert cal["brier"] == pytest.approx(M.brier(conf, correct))
    assert cal["by_source"]["tokens"]["n"] == len(decided)
    assert cal["by_source"]["verbalized"]["n"] == 0


def test_summary_calibration_is_null_with_its_reason_below_hle_two_bins():
    # The --fast demo's case: 115 confident samples, where HLE's code returns 0.0.
    rows = []
    for i, row in enumerate(rows_for(1) * 10):
        row = dict(row, sample=i, verdict=dict(row["verdict"], status="wrong", score=0.0))
        rows.append(row)
    cal = summarize(rows[:115], suite(), model_info={"name": "m"}).to_dict()["calibration"]
    assert cal["n"] == 115
    assert cal["rms_hle"] is None
    assert cal["undefined"]["rms_hle"] == "HLE's method needs ≥ 200 samples"
    assert cal["rms_all_bins"] is not None and "rms_all_bins" not in cal["undefined"]
    for source in ("tokens", "verbalized"):
        assert cal["by_source"][source]["rms_hle"] is None
    assert cal["by_source"]["tokens"]["undefined"]["rms_hle"] == \
        "HLE's method needs ≥ 200 samples"
    assert cal["by_source"]["verbalized"]["undefined"]["ece"] == "no samples with a confidence"
    few = summarize(rows[:40], suite(), model_info={"name": "m"}).to_dict()["calibration"]
    assert few["rms_hle"] is None and few["rms_all_bins"] is None
    assert few["undefined"]["rms_all_bins"] == "needs ≥ 100 samples (one bin of 100)"


def test_samples_curve_matches_per_item_estimators():
    rows = rows_for(2, samples=4)
    curve = samples_curve(rows)
    by_item: dict[str, list[dict]] = {}
    for r in rows:
        if r["verdict"]["status"] not in ("error", "timeout"):
            by_item.setdefault(r["id"], []).append(r)
    for k, pass_k, maj_k in zip(curve["k"], curve["pass_at_k"], curve["maj_at_k"], strict=True):
        usable = [g for g in by_item.values() if len(g) >= k]
        expected_pass = sum(M.pass_at_k(len(g), sum(r["verdict"]["status"] == "correct"
                                                    for r in g), k) for g in usable) / len(usable)
        assert pass_k == pytest.approx(expected_pass)
        assert 0.0 <= maj_k <= 1.0
    assert curve["k"] == [1, 2, 4]


def test_thinking_text_and_torn_line_repair(tmp_path):
    assert thinking_text("<think>abc</think><answer>1</answer>") == "abc"
    assert thinking_text("reasoning<answer>1</answer>") == "reasoning"
    assert thinking_text("<think>unfinished") == "unfinished"
    path = tmp_path / "samples.jsonl"
    path.write_text('{"id": "a", "sample": 0}\n{"id": "a", "sample": 1}\n{"id": "b", "sa')
    assert [r["id"] for r in read_samples(path)] == ["a", "a"]
    assert path.read_text().endswith('{"id": "b", "sa')        # reading alone changes nothing
    read_samples(path, repair=True)
    assert path.read_text() == '{"id": "a", "sample": 0}\n{"id": "a", "sample": 1}\n'
    path.write_text('{"id": "a", "sample": 0}\nnot json\n{"id": "b", "sample": 0}\n')
    with pytest.raises(Exception, match=r"samples.jsonl:2"):
        read_samples(path)


def test_ci95_is_clustered_over_items_when_items_repeat():
    single = summarize(rows_for(3), suite(), model_info={"name": "m"}).to_dict()["tasks"][
        "addition"]
    assert single["ci95"] == list(M.wilson_interval(single["correct"], single["n"]))   # exact
    assert single["n_eff"] == single["n"] == single["n_items"]
    # Three identical samples per item: worth as much as one sample per item.
    rows = rows_for(4, samples=3)
    first = {r["id"]: r["verdict"] for r in rows if r["sample"] == 0}
    for r in rows:
        r["verdict"] = dict(first[r["id"]])
    block = summarize(rows, suite(3), model_info={"name": "m"}).to_dict()["tasks"][
        "addition"]
    items = [v for v in first.values() if v["status"] not in ("error", "timeout")]
    correct_items = sum(v["status"] == "correct" for v in items)
    assert block["n"] == 3 * len(items) and block["n_items"] == len(items)
    assert block["n_eff"] == pytest.approx(len(items))
    assert block["ci95"] == pytest.approx(list(M.wilson_interval(correct_items, len(items))))
    assert block["by_difficulty"]["1"]["n_items"] == sum(
        1 for r in rows if r["sample"] == 0 and r["difficulty"] == 1
        and r["verdict"]["status"] not in ("error", "timeout"))
    # transfer's difference interval is built from the same clustered intervals.
    from reasonlab.evaluate.transfer import transfer

    other = [dict(r, verdict=dict(r["verdict"], status="correct")) if r["difficulty"] == 1
             else r for r in rows]
    trained = summarize(other, suite(3), model_info={"name": "t"})
    result = transfer(summarize(rows, suite(3), model_info={"name": "m"}), trained,
                      trained_tasks=["addition"])["tasks"]["addition"]
    t = trained.to_dict()["tasks"]["addition"]
    assert result["ci95"] == pytest.approx(list(M.newcombe_difference(
        block["accuracy"], block["ci95"], t["accuracy"], t["ci95"])))
    naive = M.difference_interval(block["correct"], block["n"], t["correct"], t["n"])
    assert result["ci95"][1] - result["ci95"][0] > naive[1] - naive[0]


def test_terminal_table_shows_think_rate_and_undefined_calibration_as_na(tmp_path, capsys):
    import json

    from reasonlab.commands.eval import print_summary

    rows = rows_for(0)
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = summarize(rows, suite(), model_info={"name": "m"})
    assert summary.calibration.rms_hle is None
    print_summary(summary, str(tmp_path))
    err = capsys.readouterr().err
    assert "rms(hle) n/a (HLE's method needs ≥ 200 samples)" in err
    assert "thinks%" in err.splitlines()[0]
    addition = next(line for line in err.splitlines() if line.startswith("addition"))
    assert addition.split()[-1] == "100"     # every decided sample thought ("wait ...")
    # n and the distinct prompts the interval stands on, side by side (issue 18)
    header = err.splitlines()[0].split()
    cells = addition.split()
    at = header.index("distinct") - 1        # "95% CI" is two words in the header, one below
    assert int(cells[at]) == summary.tasks["addition"].n_distinct
    assert int(cells[at - 1]) == summary.tasks["addition"].n
