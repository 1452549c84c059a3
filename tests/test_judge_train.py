"""Trained judges: the judge recipe, its examples (the exact prompt ``Judge`` sends; a
completion the strict parser reads as the truth label), a judge model folder judged in process,
calibration on ``judge data`` with 95 % intervals, and the paired comparison of two judges."""

from __future__ import annotations

import json
import random

import pytest
from judge_helpers import build_verdict_model

from reasonlab.cli import main
from reasonlab.judges.agreement import bootstrap, compare, confusion_of
from reasonlab.judges.data import judge_data
from reasonlab.judges.examples import judge_completion, judge_prompt, judge_rows
from reasonlab.judges.judge import Case, Judge, JudgeSettings
from reasonlab.judges.parse import parse_verdict
from reasonlab.judges.templates import REFERENCE_SHORT_V1, REFERENCE_V1


def records(n: int = 40, seed: int = 0) -> list[dict]:
    return [r.to_dict(i) for i, r in enumerate(judge_data("addition", [1, 2, 3], n, seed))]


@pytest.mark.parametrize("style", ["cot", "direct"])
def test_example_completions_parse_to_the_truth_label(style):
    rows = records()
    for record, row in zip(rows, judge_rows(rows, REFERENCE_SHORT_V1, style), strict=True):
        parsed = parse_verdict("reference", row["completion"])
        assert parsed.value == ("yes" if record["label"] else "no"), row["completion"]
        assert (len(row["completion"].splitlines()) == 1) == (style == "direct")


def test_cot_checks_the_answer_character_by_character():
    from reasonlab.core.item import Item

    item = Item.from_dict(records(1)[0]["item"])
    wrong = f"<think>\n</think>\n<answer>{item.answer}9</answer>"
    assert judge_completion(item, wrong, False, "cot").splitlines()[2].startswith("length ")
    missing = judge_completion(item, "The answer is 5.", False, "cot")
    assert missing.startswith("got none\n") and missing.endswith("Correct: no")


@pytest.fixture(scope="module")
def yes_judge(tiny_model_dir, tmp_path_factory):
    return build_verdict_model(tiny_model_dir, tmp_path_factory.mktemp("judge") / "yes")


def test_in_process_judge_and_the_exact_prompt(yes_judge):
    rows = records(6)
    for version, template in (("reference-short-v1", REFERENCE_SHORT_V1),
                              (None, REFERENCE_V1)):
        judge = Judge(str(yes_judge), JudgeSettings(mode="reference", template=version))
        from reasonlab.core.item import Item

        item = Item.from_dict(rows[0]["item"])
        prepared = judge.prepare(0, Case(item, rows[0]["completion"]))
        assert prepared.prompt == judge_prompt(item, rows[0]["completion"], template)
        assert prepared.template == template.version
        results = judge.judge_many([Case(item, item.teacher)])
        assert results[0].verdict.status == "correct" and results[0].votes == ["yes"]
        assert judge.client.requests == 1
        judge.close()
    with pytest.raises(ValueError, match="unknown judge template"):
        Judge(str(yes_judge), JudgeSettings(template="nope"))



def test_a_failing_in_process_judge_gives_error_verdicts(yes_judge):
    from reasonlab.core.item import Item

    item = Item.from_dict(records(1)[0]["item"])
    judge = Judge(str(yes_judge), JudgeSettings(mode="reference"))
    judge.client.local.close()          # the model is gone: every generation fails
    result = judge.judge_many([Case(item, item.teacher)])[0]
    assert result.verdict.status == "error" and result.verdict.score == 0.0
    assert "local judge failed" in result.verdict.detail and result.votes == ["error"]


def test_calibrate_on_judge_data_with_intervals_and_compare(yes_judge, tmp_path, capsys):
    data = tmp_path / "held.jsonl"
    assert main(["judge", "data", "--task", "addition", "--n", "40", "--seed", "7",
                 "--out", str(data)]) == 0
    report_path = tmp_path / "yes.json"
    assert main(["judge", "calibrate", "--judge", str(yes_judge), "--data", str(data),
                 "--out", str(report_path), "--no-progress"]) == 0
    text = capsys.readouterr().out
    report = json.loads(report_path.read_text())
    # Missing answers are left out (no rule-based verdict to compare); a yes-judge accepts
    # every other wrong candidate.
    right = report["truth_correct"]
    assert report["confusion"] == {"tp": right, "fp": report["truth_wrong"], "tn": 0, "fn": 0}
    assert report["kappa"] == 0.0 and report["ci95"]["kappa"] == [0.0, 0.0]
    assert report["ci95"]["fpr"][0] > 0.7 and report["ci95"]["fnr"] == [0.0, pytest.approx(
        report["ci95"]["fnr"][1])]
    assert len(report["truth"]) == len(report["said"]) == report["compared"]
    assert set(report["said"]) == {"y"}
    assert "Cohen's kappa 0.000 [0.000, 0.000]" in text
    assert main(["judge", "compare", "--reports", str(report_path), str(report_path),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["difference"] == 0.0 and result["ci95"] == [0.0, 0.0]
    page = tmp_path / "judges.html"
    assert main(["judge", "report", "--reports", str(report_path), "--out", str(page)]) == 0
    html = page.read_text()
    assert "Judge calibration" in html and "0.000 [0.000, 0.000]" in html
    assert f"<td>yes</td><td class=\"num\">{right}</td>" in html
    assert main(["judge", "compare", "--reports", str(report_path)]) == 2
    assert "takes two reports" in capsys.readouterr().err


def test_paired_bootstrap_sees_a_better_judge():
    rng = random.Random(0)
    truth = "".join(rng.choice("RW") for _ in range(300))
    good = "".join(("y" if t == "R" else "n") if rng.random() < 0.9 else
                   ("n" if t == "R" else "y") for t in truth)
    coin = "".join(rng.choice("yn") for _ in truth)
    result = compare({"truth": truth, "said": good}, {"truth": truth, "said": coin})
    assert result["kappa_a"] > 0.7 and abs(result["kappa_b"]) < 0.15
    assert result["ci95"][0] > 0.5
    # Reproducible: the same seed gives the same interval.
    again = bootstrap(truth, [good], lambda cs: cs[0].kappa())
    assert again == bootstrap(truth, [good], lambda cs: cs[0].kappa())
    assert confusion_of(truth, "u" * len(truth), range(len(truth))).n == 0
    with pytest.raises(ValueError, match="not on the same pairs"):
        compare({"truth": "RW", "said": "yn"}, {"truth": "WR", "said": "yn"})


def test_judge_smoke_recipe_trains_a_judge_folder(tmp_path):
    out = tmp_path / "judge"
    assert main(["train", "judge", "--config", "judge-smoke", "--out", str(out),
                 "--max-steps", "3"]) == 0
    final = out / "final"
    assert (final / "config.json").is_file() and (final / "model.safetensors").is_file()
    info = json.loads((final / "reasonlab_train.json").read_text())
    assert info["kind"] == "judge" and info["judge"]["template"] == "reference-short-v1"
    assert info["steps"] == 3 and info["examples"] == 160
    # The folder is a judge: asked in process with the template it was trained on; whatever
    # three steps taught it, every verdict is a decided, unparsable or error verdict.
    judge = Judge(str(final), JudgeSettings(mode="reference", max_tokens=24))
    assert judge.template_for("reference").version == "reference-short-v1"
    from reasonlab.core.item import Item

    rows = records(4)
    results = judge.judge_many([Case(Item.from_dict(r["item"]), r["completion"]) for r in rows])
    assert all(r.verdict.status in ("correct", "wrong", "unparsable") for r in results)
    judge.close()


@pytest.mark.parametrize(("override", "field"), [
    ("judge.style=long", "judge.style"),
    ("judge.data=no/such.jsonl", "judge.data"),
    ("judge.template=spec-v1", "judge.template"),
    ("judge.model=x", "judge.model"),
])
def test_bad_judge_recipes_are_one_line(tmp_path, capsys, override, field):
    out = tmp_path / "run"
    assert main(["train", "judge", "--config", "judge-smoke", "--out", str(out),
                 "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"field '{field}'" in err
    assert not out.exists()


def test_bad_judge_data_file_names_its_line(tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    good = records(2)
    data.write_text(json.dumps(good[0]) + "\n" + json.dumps({**good[1], "label": "yes"}) + "\n")
    assert main(["train", "judge", "--config", "judge-smoke", "--out", str(tmp_path / "run"),
                 "--set", f"judge.data={data}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"{data}:2: field 'label': must be true or false, got 'yes'")
    assert not (tmp_path / "run").exists()
