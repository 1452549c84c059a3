"""Judge calibration and reward hacking on one page (``reasonlab judge report``): per judge its
agreement with the rule-based truth (accuracy, Cohen's κ, false-positive and false-negative
rates, each with its 95 % interval) and confusion matrix, from ``judge calibrate --out`` reports;
and, for an RL run rewarded by a learned judge, the held-out judge reward and true accuracy
against the step with the steps where the reward-hacking alarm fired marked.

Built from the report package's parts (``Section``, ``Table``, ``html.section``); the run
report itself is unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasonlab.report.parts import Figure, Section, Table, pct
from reasonlab.train.alarm import ALARM_KEY


def _ci(report: dict[str, Any], name: str, percent: bool = True) -> str:
    value = report.get(name)
    if value is None:
        return "n/a (no parsable verdict)" if name != "kappa" else "n/a (undefined)"
    bounds = (report.get("ci95") or {}).get(name)
    show = (lambda v: pct(v, 1)) if percent else (lambda v: f"{v:.3f}")
    if bounds is None:
        return f"{show(value)} (95% CI n/a)"
    return f"{show(value)} [{show(bounds[0])}, {show(bounds[1])}]"


def calibration_section(reports: list[tuple[str, dict[str, Any]]]) -> Section:
    """One row per (label, calibration report), then each judge's confusion matrix."""
    summary = Table(["judge", "template", "compared / pairs", "accuracy", "Cohen's κ", "FPR",
                     "FNR", "unparsable", "errors"], [])
    tables = [summary]
    for label, r in reports:
        summary.rows.append([label, str(r.get("template")), f"{r['compared']} / {r['pairs']}",
                             _ci(r, "accuracy"), _ci(r, "kappa", False), _ci(r, "fpr"),
                             _ci(r, "fnr"), str(r["judge_unparsable"]), str(r["judge_error"])])
        c = r["confusion"]
        tables.append(Table([f"{label}: judge \\ truth", "right", "wrong"],
                            [["yes", str(c["tp"]), str(c["fp"])],
                             ["no", str(c["fn"]), str(c["tn"])]]))
    notes = [f"{label}: {r['judge_unparsable']} unparsable and {r['judge_error']} failed "
             f"verdicts are outside the matrix; {r['truth_unparsable']} candidates without an "
             "extractable answer are left out (the pre-filter scores those without the judge)"
             for label, r in reports if r["judge_unparsable"] or r["judge_error"]
             or r["truth_unparsable"]]
    return Section("judge-calibration", "Judge calibration: agreement with the rule verifier",
                   intro="Each judge's verdicts on the same candidates against the truth of "
                         "the items' own rule verifiers. Intervals are 95% (Wilson for rates, "
                         "a paired-pair bootstrap for κ).", tables=tables, notes=notes)


def hacking_figure(metrics_rows: list[dict[str, Any]]) -> bytes | None:
    """Judge reward and true accuracy on the held-out items against the step; alarms marked."""
    from matplotlib.figure import Figure as MplFigure

    from reasonlab.report.plots import png

    evals = [r for r in metrics_rows if "eval/judge_reward" in r and "eval/accuracy" in r]
    if not evals:
        return None
    fig = MplFigure(figsize=(6.4, 3.4))
    ax = fig.subplots()
    for key, label in (("eval/judge_reward", "judge reward"), ("eval/accuracy",
                                                                "true accuracy")):
        points = [(r["step"], r[key]) for r in evals if r[key] is not None]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    alarms = [r["step"] for r in metrics_rows if r.get(ALARM_KEY)]
    for i, step in enumerate(alarms):
        ax.axvline(step, color="#b3261e", linestyle="--", linewidth=1,
                   label="reward-hacking alarm" if i == 0 else None)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("training step")
    ax.set_title("Held-out items: what the judge rewards vs what is right")
    ax.legend(fontsize=8)
    return png(fig)


def training_section(run: str | Path) -> Section:
    """A judge-rewarded RL run's judge reward against true accuracy, with the alarm; any other
    training run (a judge's SFT, a phased SFT run: its phases in sequence) shows its loss."""
    from reasonlab.report.load import load_train_run
    from reasonlab.report.plots_training import training_loss

    train = load_train_run(run)
    rows = train.metrics
    figure = hacking_figure(rows)
    if figure is None:
        notes = ["this run has no judge-scored evaluations (eval/judge_reward): its loss is "
                 "shown instead"]
        if train.phases:
            notes.append("phases, one after another: " + ", ".join(
                f"{name} (steps {first}-{end})" for name, first, end in train.phases))
        figures = [Figure("training_loss", training_loss(rows), "training loss")] \
            if any("loss" in r for r in rows) else []
        return Section("training", f"Training: {Path(run).name} ({train.kind})",
                       figures=figures, notes=notes)
    alarms = [r for r in rows if r.get(ALARM_KEY)]
    notes = [f"alarm at step {a['step']} ({', '.join(a['alarm/rules'])}): judge reward "
             f"{a['alarm/judge_reward']} vs true accuracy {a['alarm/accuracy']} at steps "
             f"{a['alarm/steps']}" for a in alarms] or ["the reward-hacking alarm did not fire"]
    return Section("reward-hacking", f"Reward hacking: {Path(run).name}",
                   intro="RL rewarded by a learned judge alone; the rule verifier measures.",
                   figures=[Figure("judge_vs_truth", figure, "judge reward and true accuracy")],
                   notes=notes)


def write_page(reports: list[tuple[str, dict[str, Any]]], runs: list[str | Path],
               out: str | Path) -> Path:
    from reasonlab.core.jsonl import atomic_writer
    from reasonlab.report.html import CSS, esc, section

    sections = ([calibration_section(reports)] if reports else []) + \
        [training_section(run) for run in runs]
    body = "".join(section(s, ("", ""), False) for s in sections)
    with atomic_writer(out) as handle:
        handle.write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     f"<title>Judges</title><style>{CSS}</style></head><body>"
                     f"<h1>{esc('Judges: calibration and reward hacking')}</h1>{body}"
                     "<footer>Written by <code>reasonlab judge report</code>.</footer>"
                     "</body></html>\n")
    return Path(out)
