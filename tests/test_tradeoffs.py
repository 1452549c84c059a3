"""The reasoning boundary and the cost frontier (issue 19): the bootstrap intervals, the
crossover and the Pareto set against hand-computed cases, and the demo's boundary and budget
stages run for real (a tiny model) into a report opened in headless Chromium."""

from __future__ import annotations

import json
import math

import pytest
from test_report import open_in_chromium

from reasonlab.evaluate.boundary import (
    bootstrap_mean,
    crossover,
    item_counts,
    pass_at_k_curve,
    powers,
)
from reasonlab.report.frontier import Point, pareto, point


def test_pass_at_k_curve_is_the_codex_estimator_averaged_over_items():
    # Item A: 4 samples, 1 right; item B: 4 samples, 0 right; item C: 2 samples, 2 right.
    curve = pass_at_k_curve([(4, 1), (4, 0), (2, 2)])
    assert curve["k"] == [1, 2, 4]
    # k=1: A 1/4, B 0, C 1 -> 5/12; k=2: A 1 - C(3,2)/C(4,2) = 1/2, B 0, C 1 -> 1/2;
    # k=4: only A and B have 4 samples: A 1, B 0 -> 1/2.
    assert curve["pass_at_k"] == pytest.approx([5 / 12, 1 / 2, 1 / 2])
    assert curve["items"] == [3, 3, 2]
    assert all(lo <= v <= hi for v, (lo, hi) in zip(curve["pass_at_k"], curve["ci95"],
                                                     strict=True))
    assert powers(16) == [1, 2, 4, 8, 16] and powers(12) == [1, 2, 4, 8, 12]


def test_the_bootstrap_interval_is_reproducible_and_degenerate_when_items_agree():
    assert bootstrap_mean([0.3] * 10) == pytest.approx([0.3, 0.3])
    values = [0.0] * 50 + [1.0] * 50
    lo, hi = bootstrap_mean(values)
    assert bootstrap_mean(values) == [lo, hi]                # fixed seed
    # Normal approximation for 100 Bernoulli(0.5) means: ±1.96 * 0.05.
    assert lo == pytest.approx(0.5 - 0.098, abs=0.03) and hi == pytest.approx(0.5 + 0.098,
                                                                              abs=0.03)
    assert bootstrap_mean([]) is None


def test_item_counts_cluster_by_prompt_and_leave_undecided_out():
    rows = [{"id": "a", "prompt": "p", "task": "t", "verdict": {"status": s}}
            for s in ("correct", "wrong", "error")]
    rows.append({"id": "b", "prompt": "p", "task": "t", "verdict": {"status": "correct"}})
    assert item_counts(rows) == [(3, 2)]         # same prompt: one item; the error left out


def curve(ks, values):
    return {"k": ks, "pass_at_k": values, "ci95": [None] * len(ks)}


def test_crossover_is_the_first_k_where_the_lower_model_catches_up():
    rl = curve([1, 2, 4, 8, 16], [0.50, 0.60, 0.65, 0.70, 0.72])
    assert crossover(curve([1, 2, 4, 8, 16], [0.20, 0.40, 0.60, 0.75, 0.90]), rl) == 8
    assert crossover(curve([1, 2, 4, 8, 16], [0.20, 0.30, 0.40, 0.50, 0.60]), rl) is None
    assert crossover(curve([1, 2, 4, 8, 16], [0.60, 0.70, 0.80, 0.90, 0.95]), rl) is None
    assert crossover(curve([1, 2], [0.2, 0.6]), curve([1, 2], [0.5, 0.6])) == 2   # a tie


def test_pareto_set_by_hand():
    pts = [Point("cheap-bad", 0.2, None, 100, 20, 10.0, 0.001),
           Point("cheap-good", 0.5, None, 100, 50, 20.0, 0.004),
           Point("dear-same", 0.5, None, 100, 50, 40.0, 0.002),      # dominated on tokens
           Point("dear-best", 0.9, None, 100, 90, 80.0, 0.010),
           Point("worse", 0.4, None, 100, 40, 60.0, 0.005),           # dominated
           Point("undefined", None, None, 0, 0, 5.0, None)]
    assert [p.label for p in pareto(pts)] == ["cheap-bad", "cheap-good", "dear-best"]
    assert [p.label for p in pareto(pts, cost="dollars")] == ["cheap-bad", "dear-same",
                                                              "dear-best"]
    assert pts[1].tokens_per_correct == pytest.approx(20.0 * 100 / 50)


def test_a_point_is_computed_from_the_sample_lines_on_shared_cells():
    rows = [{"id": f"i{k}", "prompt": f"p{k}", "task": "addition", "difficulty": 1,
             "completion_tokens": 10 + k, "prompt_tokens": 5,
             "verdict": {"status": "correct" if k < 3 else "wrong"}} for k in range(4)]
    rows.append({**rows[0], "difficulty": 2})                   # a cell not shared: left out
    p = point("m", rows, {("addition", "1")}, prices=(1.0, 2.0))
    assert (p.accuracy, p.n, p.correct) == (0.75, 4, 3)
    assert p.tokens == pytest.approx(11.5)
    assert p.dollars == pytest.approx((5 * 1.0 + 11.5 * 2.0) / 1e6)
    assert p.ci95[0] < 0.75 < p.ci95[1]
    # Without token counts (an endpoint that reports none) there is no cost: not 0 tokens,
    # which would put the run on the frontier ahead of every other.
    blind = point("endpoint", [{k: v for k, v in r.items() if k != "completion_tokens"}
                               for r in rows], {("addition", "1")}, prices=(1.0, 2.0))
    assert (blind.accuracy, blind.tokens, blind.dollars) == (0.75, None, None)
    assert blind.tokens_per_correct is None
    assert [q.label for q in pareto([blind, p])] == ["m"]


@pytest.mark.slow
def test_the_demos_boundary_and_budgets_reach_the_report(tiny_model_dir, tmp_path):
    """Real runs of the demo's stage 5 (tiny model, few items), then the demo report."""
    from test_report import make_run

    from reasonlab import demo_tradeoffs as T
    from reasonlab.demo import _evaluate
    from reasonlab.report import write_report

    out = tmp_path / "demo"
    out.mkdir()
    spec = {"name": "demo", "seed": 5, "items": 4, "samples": 1, "max_tokens": 24,
            "template": "{prompt}\n<think>",
            "tasks": [{"task": "addition", "difficulties": [1, 2]},
                      {"task": "counting", "difficulties": [1], "items": 2}]}
    models = dict.fromkeys(T.BOUNDARY_RUNS, tiny_model_dir)
    found = T.run_boundary(models, T.boundary_suite(spec, ["addition"], "counting", 2), out,
                           _evaluate)
    budgets = T.run_budgets(tiny_model_dir, T.budget_suite(spec, ["addition"]), out,
                            _evaluate)
    for run in T.BOUNDARY_RUNS:
        summary = json.loads((out / f"boundary-{run}" / "summary.json").read_text())
        assert summary["scaling"]["samples"]["k"] == [1, 2, 4, 8, 16]
        assert len(summary["scaling"]["samples"]["pass_at_k_ci95"]) == 5
        assert set(found["boundary"][run]) == {"addition", "counting"}
    assert set(found["boundary_crossover"]) == {"addition", "counting"}
    for name in ("skill", "base", "rl"):
        make_run(out / name, {"addition": 0.5}, tasks={"addition": [1, 2]}, items=4, seed=1,
                 suite_name="demo")
    (out / "demo.json").write_text(json.dumps({
        "trained_tasks": ["addition"], "runs": {"base": "base", "rl": "rl", "skill": "skill"},
        **found, "frontier": {"skill": "skill", "base": "base", "rl": "rl", **budgets}}))
    page = write_report(out, out=out)
    text = page.read_text()
    assert 'id="boundary"' in text and 'id="frontier"' in text
    assert (out / "plots" / "boundary.png").is_file()
    assert (out / "plots" / "frontier_tokens.png").is_file()
    for label in budgets:
        assert label in text
    seen = open_in_chromium(page, tmp_path)
    assert seen["ready"] == "complete"
    assert not math.isnan(float(found["boundary"]["rl"]["addition"]["pass_at_k"][-1]))


def test_the_calibration_section_shows_stated_and_token_confidence_side_by_side(tmp_path):
    """Issue 19: a run whose samples carry both a stated confidence and the answer tokens'
    probability gets a row and a reliability curve for each."""
    from test_report import make_run

    from reasonlab.core.jsonl import write_jsonl
    from reasonlab.core.summary import write_summary
    from reasonlab.evaluate.runfolder import read_samples
    from reasonlab.evaluate.suite import parse_suite
    from reasonlab.evaluate.summary import summarize
    from reasonlab.report import write_report

    run = tmp_path / "run"
    make_run(run, {"addition": 0.6}, tasks={"addition": [1]}, items=40, samples=1, seed=4)
    rows = read_samples(run / "samples.jsonl")
    for k, row in enumerate(rows):
        stated = 0.9 if k % 2 else 0.3
        row["completion"] += f"\nConfidence: {round(100 * stated)}%"
        row["confidence"], row["confidence_source"] = stated, "verbalized"
    write_jsonl(run / "samples.jsonl", rows)
    suite = parse_suite({"name": "report-unit", "items": 40,
                         "tasks": [{"task": "addition", "difficulties": [1]}]}, source="t")
    write_summary(run, summarize(rows, suite, model_info={"name": "run"}))
    text = write_report(run, out=tmp_path / "page").read_text()
    assert "run (verbalized)" in text and "run (tokens)" in text
    assert "side by side" in text


def test_report_of_several_runs_draws_the_frontier_on_shared_cells_with_prices(tmp_path,
                                                                               capsys):
    """`reasonlab report RUN RUN ... --prices IN,OUT`: one point per run, the cells every run
    shares named, a dollars plot and cost per correct answer with prices, n/a without them;
    runs that share no cell are refused in one line."""
    from test_report import make_run

    from reasonlab.cli import main

    a, b = tmp_path / "a", tmp_path / "b"
    make_run(a, {"addition": 0.9}, seed=1, samples=1, tasks={"addition": [1, 2]})
    make_run(b, {"addition": 0.3}, seed=2, samples=1, tasks={"addition": [1, 3]})
    assert main(["report", str(b), str(a), "--prices", "0.5,2", "--out",
                 str(tmp_path / "priced")]) == 0
    page = (tmp_path / "priced" / "report.html").read_text()
    frontier = page[page.index('id="frontier"'):]
    assert "Cells compared (those every point shares): addition d1." in frontier
    assert "frontier_dollars" in frontier and "n/a (no prices)" not in frontier
    assert main(["report", str(b), str(a), "--out", str(tmp_path / "plain")]) == 0
    page = (tmp_path / "plain" / "report.html").read_text()
    frontier = page[page.index('id="frontier"'):]
    assert "frontier_dollars" not in frontier and "n/a (no prices)" in frontier
    c = tmp_path / "c"
    make_run(c, {"counting": 0.5}, seed=3, samples=1, tasks={"counting": [1]})
    capsys.readouterr()
    assert main(["report", str(a), str(c), "--out", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "share no task" in err
    assert not (tmp_path / "none").exists()
