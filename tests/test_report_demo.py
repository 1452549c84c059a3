"""The report of a demo folder: tasks labelled as the demo's table labels them, the runs read
from demo.json's ``runs`` map (a skill-phase run drawn beside base and rl), think rate and
thinking tokens by difficulty, what RL changed in behaviour and what it did not; plus the
contracts of issue 12 on numbers that must not mislead (HLE calibration below 200 samples, the
heatmap's colours, shared y axes from 0, degenerate plots, the step count, a baseline from
another suite). Run folders are made as in test_report.py, by the project's own summarize."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
from test_report import CHROMIUM, make_run, make_training_run, open_in_chromium

from reasonlab.cli import main
from reasonlab.core.summary import Summary
from reasonlab.report import plots_behaviour as PB
from reasonlab.report import write_report
from reasonlab.report.behaviour import series
from reasonlab.report.load import EvalRun, ReportInputs
from reasonlab.report.plots import cell_look, heat_span, transfer_heatmap

DEMO_TASKS = {"addition": [1, 2], "counting": [1, 2], "multiplication": [1]}
RUNS = {"skill": "eval-skill", "base": "eval-base", "rl": "eval-rl", "rl_train": "train-rl"}
HLE_NA = "n/a (HLE's method needs ≥ 200 samples)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report-demo") / "demo"
    common = {"tasks": DEMO_TASKS, "samples": 1, "items": 40, "suite_name": "demo"}
    make_run(root / RUNS["base"], {"addition": 0.1, "counting": 0.2, "multiplication": 0.2},
             p_think={"addition": 0.05, "counting": 0.05, "multiplication": 0.0}, seed=1,
             **common)
    make_run(root / RUNS["skill"], {"addition": 0.5, "counting": 0.3, "multiplication": 0.2},
             seed=3, **common)
    rl = make_run(root / RUNS["rl"], {"addition": 0.95, "counting": 0.3, "multiplication": 0.2},
                  p_think={"addition": 1.0, "counting": 0.8, "multiplication": 0.0}, seed=2,
                  **common)
    make_training_run(root / RUNS["rl_train"], rl, steps=24, level_moves=False)
    (root / "demo.json").write_text(json.dumps({
        "trained_tasks": ["addition"], "sft_only_tasks": ["counting"],
        "unseen_tasks": ["multiplication"], "runs": RUNS}))
    return root


def edit_summary(folder: Path, change) -> None:
    path = folder / "summary.json"
    summary = json.loads(path.read_text())
    change(summary)
    path.write_text(json.dumps(summary))


def test_demo_report_labels_roles_and_says_what_rl_changed(demo, tmp_path):
    folder = tmp_path / "demo"
    shutil.copytree(demo, folder)

    def old_calibration(summary):     # written before rms_hle was nulled below 200 samples
        summary["calibration"].update(n=115, rms_hle=0.0)
        summary["calibration"].pop("undefined", None)
        summary["overall"]["reflection_per_1k"] = 0.0

    def new_calibration(summary):
        summary["calibration"].update(n=115, rms_hle=None, undefined={
            "rms_hle": "HLE's method needs ≥ 200 samples"})
        summary["overall"]["reflection_per_1k"] = 0.0

    edit_summary(folder / RUNS["base"], old_calibration)
    edit_summary(folder / RUNS["rl"], new_calibration)
    path = write_report(folder)
    raw = path.read_text(encoding="utf-8")
    text = html.unescape(raw)
    plots = {p.stem for p in (folder / "plots").glob("*.png")}
    assert {"think_rate_vs_difficulty", "behaviour_by_task", "accuracy_vs_difficulty",
            "thinking_vs_difficulty", "transfer_heatmap"} <= plots

    # Roles as the demo's terminal table names them; nothing SFT trained is "held out".
    for role in ("RL-trained", "SFT only", "never trained"):
        assert f"<td>{role}</td>" in raw
    assert not re.search(r"held.out task", text, re.I) and "<td>held out</td>" not in raw
    assert "trained tasks from given" not in text
    assert "Trained tasks: addition (from demo.json)." in text

    # What RL changed in behaviour, and what it did not, in the summary.
    summary = text[text.index('id="summary"'):text.index('<section')]
    assert re.search(r"Behaviour, base → rl\. "
                     r"On the RL-trained tasks: addition: think rate rose, \d+% → 100% "
                     r"\(\+\d+ points, 95% interval \+\d+ to \+\d+\); thinking tokens per "
                     r"sample \d+ → \d+", summary)
    assert re.search(r"On the tasks warm-started by SFT but never RL-trained: counting: think "
                     r"rate rose", summary)
    assert re.search(r"On the never-trained tasks: multiplication: think rate did not reliably "
                     r"change, 0% → 0%", summary)
    assert "What rl reliably changed: think rate on addition (rose), think rate on counting " \
           "(rose), accuracy on addition (rose)." in summary
    assert re.search(r"What rl did not reliably change \(95% interval includes 0\): [^<]*"
                     r"think rate on multiplication", summary)
    assert "Tasks warm-started by SFT but never RL-trained moved by counting" in summary
    # The skill-phase run, from the runs map, beside base and rl.
    assert "Against the warm start after its skill phase, before its habit phase: addition " \
           "accuracy" in summary
    assert f"<td>skill</td><td>{folder / RUNS['skill']}</td>" in raw

    # Calibration below 200 samples: n/a with the reason, old summary (0.0) included.
    assert f"RMS calibration error (HLE method): base {HLE_NA}, rl {HLE_NA}." in text
    assert "0.0%" not in summary and "perfectly calibrated" not in summary
    # Degenerate plots are one line; the step count is the run's.
    assert "reflection_rates" not in plots and "so there is no chart" in text
    assert "training_curriculum" not in plots
    assert "The curriculum level never moved (addition at 2 for all 24 steps)" in text
    assert re.search(r"<td>training</td>.*?<td>rl</td><td[^>]*>24 steps</td>", raw)
    assert "(rl, 24 steps)" in text and "25 logged steps" not in text
    if CHROMIUM:
        seen = open_in_chromium(path, tmp_path)
        assert seen["errors"] == [] and seen["broken"] == []

    # The demo's rl folder alone still gets the demo's roles (demo.json one level up), as
    # when the demo passes its runs and its trained tasks explicitly.
    alone = write_report(folder / RUNS["rl"], baseline=folder / RUNS["base"],
                         out=tmp_path / "alone", trained_tasks=["addition"])
    alone_text = alone.read_text(encoding="utf-8")
    assert "<td>SFT only</td>" in alone_text and "<td>skill</td>" in alone_text
    assert "Trained tasks: addition (from demo.json)." in alone_text


def test_demo_json_without_runs_uses_todays_folder_names(demo, tmp_path):
    folder = tmp_path / "old-demo"
    folder.mkdir()
    for role, name in (("base", "base"), ("rl", "rl"), ("rl_train", "rl-train")):
        shutil.copytree(demo / RUNS[role], folder / name)
    (folder / "demo.json").write_text(json.dumps({"trained_tasks": ["addition"],
                                                  "sft_only_tasks": ["counting"]}))
    text = write_report(folder).read_text(encoding="utf-8")
    assert str(folder / "rl-train") in text and "<td>skill</td>" not in text
    assert "<td>SFT only</td>" in text


def test_baseline_from_another_suite_warns_and_names_the_cells(demo, tmp_path, capsys):
    other = tmp_path / "other"
    make_run(other, {"addition": 0.1, "counting": 0.2, "multiplication": 0.2}, seed=5,
             samples=1, items=40, suite_name="other-suite",
             tasks={"addition": [1, 3], "counting": [1, 2], "multiplication": [1]})
    out = tmp_path / "out"
    assert main(["report", str(demo / RUNS["rl"]), "--baseline", str(other), "--out",
                 str(out)]) == 0
    err = capsys.readouterr().err
    assert ("warning: the baseline is from suite 'other-suite' and the run from suite 'demo'; "
            "cells not in both: addition d3 (baseline only); addition d2 (run only)") in err
    text = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert "addition is not compared as a whole task: difficulties differ (baseline d1, d3; " \
           "run d1, d2)" in text
    assert not re.search(r"raised addition|lowered addition|addition moved|addition stayed", text)
    assert "Warning: the baseline is from suite 'other-suite'" in text
    # Same suite: no warning.
    assert main(["report", str(demo / RUNS["rl"]), "--baseline", str(demo / RUNS["base"]),
                 "--out", str(tmp_path / "same")]) == 0
    assert "warning" not in capsys.readouterr().err


def test_by_difficulty_panels_start_at_zero_share_y_and_keep_an_identical_baseline_visible():
    cell = {"accuracy": 0.5, "ci95": [0.4, 0.6], "n": 40, "think_rate": 1.0}
    summary = Summary.from_dict({"tasks": {
        "a": {"by_difficulty": {"1": {**cell, "mean_thinking_tokens": 50.0},
                                "2": {**cell, "mean_thinking_tokens": 80.0}}},
        "b": {"by_difficulty": {"1": {**cell, "mean_thinking_tokens": 5.0}}}},
        "overall": {}})
    inputs = ReportInputs(run=EvalRun(Path("rl"), summary, []),
                          baseline=EvalRun(Path("base"), summary, []))
    runs = series(inputs, ("base", "rl"))
    fig = PB.draw_by_difficulty(runs, ["a", "b"], {}, PB.thinking_tokens, "tokens")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2
    assert axes[0].get_ylim() == axes[1].get_ylim()
    assert axes[0].get_ylim()[0] == 0 and axes[0].get_ylim()[1] >= 80
    for ax in axes:
        base, run = ax.get_lines()
        assert (base.get_label(), run.get_label()) == ("base", "rl")
        assert list(base.get_ydata()) == list(run.get_ydata())       # identical values …
        assert base.get_zorder() > run.get_zorder()                  # … base drawn on top,
        assert base.get_linestyle() == "--" and base.get_markerfacecolor() == "white"
        assert all(b != r for b, r in zip(base.get_xdata(), run.get_xdata(), strict=True))


def test_heatmap_scale_is_the_datas_and_only_reliable_cells_get_full_colour():
    deltas = {"a": {"1": {"delta": 0.08, "ci95": [-0.21, 0.37]},
                    "2": {"delta": -0.21, "ci95": [-0.35, -0.05]}},
              "b": {"1": {"delta": 0.03, "ci95": None}}}
    assert heat_span(deltas) == pytest.approx(21)        # not a fixed ±10
    assert heat_span({"a": {"1": {"delta": 0.0, "ci95": [-0.1, 0.1]}}}) == 1.0
    assert cell_look([-0.21, 0.37]) == (0.3, "///")      # +8 [−21, +37]: faded, hatched
    assert cell_look([-0.35, -0.05]) == (1.0, None)
    assert cell_look(None) == (0.3, "///")
    assert transfer_heatmap(deltas, ["a", "b"], {"a": "★ a"})[:4] == b"\x89PNG"
