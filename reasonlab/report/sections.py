"""The report's sections: for each, decide whether its data is there, draw its figure(s), and
say plainly why a section is empty when it is (no baseline, no confidence, one sample per item,
no training run) instead of drawing anything made up."""

from __future__ import annotations

import dataclasses
from typing import Any

from reasonlab.core.summary import Calibration, SamplesCurve
from reasonlab.report import plots, plots_training
from reasonlab.report.behaviour import habit_section, ordered_tasks, series, titled
from reasonlab.report.load import ReportInputs
from reasonlab.report.parts import Figure, Section, Table, ci_text, num, pct, undefined
from reasonlab.report.plots_behaviour import accuracy, by_difficulty, thinking_tokens
from reasonlab.report.series import cell_deltas, confidence_pairs, metric_keys, metric_series

EXAMPLES_PER_TASK = 2
MAX_EXAMPLES = 12


def transfer_section(inputs: ReportInputs, labels: tuple[str, str]) -> Section:
    s = Section("transfer", "Transfer: accuracy change by task and difficulty",
                f"{labels[1]} − {labels[0]} accuracy in points, with the 95% interval of the "
                "difference (Newcombe's hybrid score method) in each cell.")
    if inputs.baseline is None or inputs.transfer is None:
        s.intro = ""
        s.notes.append("No baseline run was given (--baseline RUN), so there is no transfer "
                       "heatmap: a change needs a before and an after.")
        return s
    s.notes += [f"Warning: {w}." for w in inputs.warnings]
    moved = inputs.transfer
    deltas = cell_deltas(inputs.baseline.summary, inputs.run.summary)
    tasks = [t for t in ordered_tasks(inputs) if t in deltas]
    trained = {n for n, c in moved["tasks"].items() if c["in_domain"]}
    names = {t: ("★ " if t in trained else "") + label for t, label in titled(inputs).items()}
    if tasks:
        s.figures.append(Figure("transfer_heatmap", plots.transfer_heatmap(deltas, tasks, names),
                                "heatmap of the accuracy change per task and difficulty"))
    else:
        s.notes.append("The two runs share no task × difficulty cell with decided samples.")
    rows = [[("★ " if c["in_domain"] else "") + name, inputs.roles.get(name, "") or "—",
             pct(c["base_accuracy"]), pct(c["trained_accuracy"]),
             "n/a" if c["delta"] is None else f"{100 * c['delta']:+.0f}", ci_text(c["ci95"], True),
             f"{c['n_base']} / {c['n_trained']}"] for name, c in moved["tasks"].items()]
    rows += [[name, inputs.roles.get(name, "") or "—", "", "", "n/a", f"not compared: {why}", ""]
             for name, why in inputs.not_compared.items()]
    s.tables.append(Table(["task", "role", labels[0], labels[1], "Δ points", "95% interval",
                           "n"], rows))
    index = moved["transferability_index"]
    s.intro += (" Transferability index: " + (f"{index:.2f}" if index is not None else
                   f"undefined ({moved['transferability_note']})") + ". " +
                (f"Trained tasks: {', '.join(inputs.trained_tasks)} ({inputs.trained_phrase})."
                 if inputs.trained_tasks else "Which tasks were trained is not known."))
    return s


def accuracy_section(inputs: ReportInputs, labels: tuple[str, str]) -> Section:
    s = Section("accuracy", "Accuracy vs difficulty",
                "Accuracy over decided samples per difficulty, error bars the Wilson 95% "
                "intervals from the summaries.")
    s.figures.append(Figure("accuracy_vs_difficulty", by_difficulty(
        series(inputs, labels), ordered_tasks(inputs), titled(inputs), accuracy,
        "accuracy (%)", errors=True, percent=True),
        "accuracy against difficulty, one panel per task"))
    return s


def compute_section(inputs: ReportInputs, labels: tuple[str, str]) -> Section:
    s = Section("compute", "Thinking tokens vs difficulty (compute allocation)",
                "Does the model think longer on harder items? Mean thinking tokens per sample; "
                "ρ is Spearman's between a sample's thinking tokens and its difficulty, within "
                "each task and then averaged (as the summaries record it).")
    runs = series(inputs, labels)
    overall = [(r.label, r.summary.overall) for r in runs]
    if all(o.mean_thinking_tokens is None for _, o in overall):
        s.notes.append("No samples with a thinking-token count in these runs.")
        return s
    if all(not o.mean_thinking_tokens for _, o in overall):
        s.notes.append("No sample of any run thinks (0 thinking tokens everywhere), so there "
                       "is no thinking-token curve.")
    else:
        s.figures.append(Figure("thinking_vs_difficulty", by_difficulty(
            runs, ordered_tasks(inputs), titled(inputs), thinking_tokens,
            "mean thinking tokens"), "mean thinking tokens against difficulty, one panel per "
            "task (y from 0, the same in every panel)"))
    s.tables.append(Table(
        ["run", "think rate", "mean thinking tokens", "ρ(tokens, difficulty)", "on correct",
         "on wrong"],
        [[label, pct(o.think_rate), num(o.mean_thinking_tokens),
          num(o.spearman_tokens_difficulty, 2), num(o.thinking_tokens_correct),
          num(o.thinking_tokens_wrong)] for label, o in overall]))
    return s


def _colored_runs(inputs: ReportInputs, labels: tuple[str, str]) -> list[tuple[str, str, Any]]:
    """(label, colour, run) for the baseline and the run, whichever exist."""
    runs = [(labels[0], plots.BASE_COLOR, inputs.baseline),
            (labels[1], plots.RUN_COLOR, inputs.run)]
    return [(label, color, r) for label, color, r in runs if r is not None]


def calibration_section(inputs: ReportInputs, labels: tuple[str, str]) -> Section:
    s = Section("calibration", "Calibration: reliability diagram",
                "Accuracy against the model's stated confidence; the diagonal is perfect "
                "calibration. RMS calibration error as Humanity's Last Exam computes it "
                "(equal-count bins of 100, last bin skipped) and over all bins.")
    runs = _colored_runs(inputs, labels)
    with_conf = [(label, color, r) for label, color, r in runs
                 if r.summary.calibration is not None and r.summary.calibration.n]
    if not with_conf:
        s.notes.append("No sample carries a confidence, so there is no calibration to show: "
                       "calibration needs `confidence: true` in the suite (or `reasonlab eval "
                       "--confidence`), or a backend that reports token probabilities.")
        return s
    def legend(label: str, r: Any) -> str:
        rms = calibration(r.summary.calibration).rms_hle
        return label + ("" if rms is None else f", RMS (hle) {100 * rms:.1f}%")

    both = any(_both_sources(r) for _, _, r in with_conf)
    if both:
        # Stated and token confidence side by side: one curve (and row) per source.
        curves = [(f"{label} ({source})", color, confidence_pairs(r, source))
                  for label, color, r in with_conf for source in _sources(r)]
        s.intro += (" Where a run has both, the stated confidence (the model's own "
                    "'Confidence: NN%' line) and the answer tokens' mean probability are "
                    "shown side by side.")
    else:
        curves = [(legend(label, r), color, confidence_pairs(r)) for label, color, r
                  in with_conf]
    if any(pairs for _, _, pairs in curves):
        s.figures.append(Figure("reliability_diagram", plots.reliability_diagram(
            [c for c in curves if c[2]]), "reliability diagram"))
    else:
        s.notes.append("The summaries report confidences but samples.jsonl is missing, so the "
                       "diagram cannot be drawn; the numbers below are the summaries'.")
    rows = []
    for label, _, r in with_conf:
        blocks = ([(f"{label} ({source})", r.summary.calibration.by_source[source])
                   for source in _sources(r)] if both else
                  [(label, r.summary.calibration)])
        for name, block in blocks:
            cal = calibration(block)
            rows.append([name, str(cal.n), pct(cal.mean_confidence, 1),
                         undefined(cal, "rms_hle"), undefined(cal, "rms_all_bins"),
                         undefined(cal, "ece"), num(cal.brier, 3)])
    s.tables.append(Table(["run", "n", "mean confidence", "RMS (hle)", "RMS (all bins)", "ECE",
                           "Brier"], rows))
    return s


def _sources(run: Any) -> list[str]:
    by = run.summary.calibration.by_source or {}
    return [source for source in ("verbalized", "tokens") if by.get(source) and by[source].n]


def _both_sources(run: Any) -> bool:
    return len(_sources(run)) == 2


def calibration(cal: Calibration) -> Calibration:
    """The summary's calibration block, with ``rms_hle`` null below two bins even in a summary
    written before reasonlab nulled it there (HLE's code returns 0.0 for one bin)."""
    beta = int(cal.beta or 100)
    if cal.n >= 2 * beta or cal.rms_hle is None and cal.undefined:
        return cal
    why = {**cal.undefined, "rms_hle": f"HLE's method needs ≥ {2 * beta} samples"}
    return dataclasses.replace(cal, rms_hle=None, undefined=why)


def scaling_section(inputs: ReportInputs, labels: tuple[str, str]) -> Section:
    s = Section("scaling", "Test-time scaling",
                "Accuracy as more inference compute is spent: more samples per item (pass@k, "
                "majority vote maj@k, best-of-k picked by the verifier's score) and, when "
                "swept, a larger thinking budget.")
    runs = _colored_runs(inputs, labels)
    curves = [(label, color, r.summary.scaling.samples if r.summary.scaling else SamplesCurve())
              for label, color, r in runs]
    multi = [(label, color, c) for label, color, c in curves if len(c.k) > 1]
    if multi:
        s.figures.append(Figure("scaling_samples", plots.scaling_samples(multi),
                                "pass@k, maj@k and best-of-k against k"))
    else:
        s.notes.append("Each item was sampled once (samples: 1), so there is no pass@k / maj@k "
                       "curve; rerun the eval with --samples K (K > 1) to draw one.")
    budgets = [(label, color, r.summary.scaling.thinking_budget if r.summary.scaling else None)
               for label, color, r in runs]
    budgets = [(label, color, b) for label, color, b in budgets if b]
    if budgets:
        s.figures.append(Figure("scaling_budget", plots.scaling_budget(budgets),
                                "accuracy against thinking budget"))
    else:
        s.notes.append("No thinking-budget sweep in these runs (suite `thinking_budgets`, or "
                       "`reasonlab eval --budgets 16,32,64`), so no accuracy-vs-budget curve.")
    return s


def training_section(inputs: ReportInputs) -> Section:
    s = Section("training", "Training curves",
                "From the training run's metrics.jsonl (every logged step) and evals/steps.jsonl "
                "(in-loop evaluation on held-out items).")
    train = inputs.train
    if train is None:
        s.notes.append("No training run was given (--train DIR), so there are no training "
                       "curves.")
        return s
    last, logged = plots_training.step_count(train.metrics)
    s.intro += f" Run: {train.path} ({train.kind}" + (
        f", {last} steps" + (f", {logged} of them logged" if logged != last else "")
        if last is not None else "") + ")."
    if train.phases:
        s.intro += " Its phases, one after another: " + ", ".join(
            f"{name} (steps {first}-{end})" for name, first, end in train.phases) + "."
    rows = train.metrics
    flat = plots_training.constant_levels(rows)
    wanted = [
        ("training_rewards", "reward components",
         bool(metric_keys(rows, "rewards/", "/mean")), plots_training.training_rewards, rows),
        ("training_judge", "judge reward against true accuracy",
         bool(metric_series(rows, "eval/judge_reward")[0]), plots_training.training_judge,
         rows),
        ("training_accuracy", "in-loop held-out accuracy",
         any(r.get("accuracy") is not None for r in train.eval_steps),
         plots_training.training_accuracy, train.eval_steps),
        ("training_length", "response length",
         bool(metric_keys(rows, "completions/mean_length")), plots_training.training_length,
         rows),
        ("training_curriculum", "curriculum level",
         bool(metric_keys(rows, "curriculum/", "/level")) and not flat,
         plots_training.training_curriculum, rows),
        ("training_loss", "loss", bool(metric_keys(rows, "loss")), plots_training.training_loss,
         rows),
    ]
    alarms = plots_training.alarm_steps(rows)
    if alarms:
        s.notes.append("The reward-hacking alarm fired at step " + ", ".join(
            f"{step} ({rules})" if rules else str(step) for step, rules in alarms)
            + ": the judge's reward and true accuracy parted (docs/judges.md, the alarm); "
              "marked on the curves.")
    for name, what, present, draw, data in wanted:
        if name == "training_judge" and not present:
            continue   # only runs rewarded by a learned judge log it
        if present:
            s.figures.append(Figure(name, draw(data), what))
        elif name == "training_curriculum" and flat:
            s.notes.append("The curriculum level never moved (" + ", ".join(
                f"{task} at {level:g}" for task, level in flat.items())
                + f" for all {last} steps), so there is no curriculum curve.")
        else:
            s.notes.append(f"No {what} in this training run" + (
                " (in-loop evaluation off or not yet run: recipe eval.every)"
                if name == "training_accuracy" else "") + ".")
    return s


def reflection_section(inputs: ReportInputs, labels: tuple[str, str]) -> Section:
    s = Section("reflection", "Reflection markers",
                "Phrases such as “wait”, “let me check”, “verify” per 1,000 thinking tokens.")
    runs = [r for r in (inputs.baseline, inputs.run) if r is not None]
    if all(r.summary.overall.reflection_per_1k is None for r in runs):
        s.notes.append("No thinking tokens in these runs, so no reflection rate.")
        return s
    if all(not r.summary.overall.reflection_per_1k for r in runs):
        s.notes.append("No reflection marker occurs in any thinking of these runs (0 per 1k "
                       "tokens), so there is no chart.")
        return s
    s.figures.append(Figure("reflection_rates", plots.reflection_rates(
        inputs.run.summary, inputs.baseline.summary if inputs.baseline else None, labels),
        "reflection markers per 1k thinking tokens"))
    return s


def _first_samples(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: int(r.get("sample", 0))):
        out.setdefault(str(row["id"]), row)
    return out


def _status(row: dict[str, Any] | None) -> str:
    return ((row or {}).get("verdict") or {}).get("status", "error")


def pick_examples(inputs: ReportInputs) -> list[dict[str, Any]]:
    """Per task, items whose verdict changed first (fixed, then broken), then others; sample 0
    of each run, matched by item id."""
    run = _first_samples(inputs.run.samples)
    base = _first_samples(inputs.baseline.samples) if inputs.baseline else {}
    by_task: dict[str, list[str]] = {}
    for item_id, row in run.items():
        if not base or item_id in base:
            by_task.setdefault(str(row.get("task")), []).append(item_id)

    def rank(item_id: str) -> tuple[int, str]:
        after, before = _status(run[item_id]) == "correct", _status(base.get(item_id)) == \
            "correct"
        if base:
            return (0 if after and not before else 1 if before and not after else 2, item_id)
        return (0 if after else 1, item_id)

    order = [t for t in inputs.run.summary.tasks if t in by_task]
    picked = []
    for ids in [by_task[t] for t in order + sorted(set(by_task) - set(order))]:
        ordered = sorted(ids, key=rank)
        if not base:   # one right and one wrong answer when there is no comparison
            right = [i for i in ordered if _status(run[i]) == "correct"][:1]
            wrong = [i for i in ordered if _status(run[i]) != "correct"][:1]
            ordered = right + wrong
        for item_id in ordered[:EXAMPLES_PER_TASK]:
            picked.append({"run": run[item_id], "base": base.get(item_id)})
    return picked[:MAX_EXAMPLES]


def examples_section(inputs: ReportInputs, labels: tuple[str, str]) -> Section:
    s = Section("examples", "Example rollouts",
                "The same items answered by both runs (first sample), items whose verdict "
                "changed first." if inputs.baseline else
                "Completions of this run (first sample): one right and one wrong per task "
                "where there are both.")
    if not inputs.run.samples:
        s.notes.append(f"{inputs.run.path}/samples.jsonl is missing, so there are no examples.")
        return s
    s.examples = pick_examples(inputs)
    if not s.examples:
        s.notes.append("The two runs share no item id, so no side-by-side examples.")
    return s


def build_sections(inputs: ReportInputs, labels: tuple[str, str]) -> list[Section]:
    from reasonlab.report.formats import strict_flexible_section
    from reasonlab.report.tradeoffs import boundary_section, frontier_section

    return [transfer_section(inputs, labels), habit_section(inputs, labels),
            accuracy_section(inputs, labels), strict_flexible_section(inputs, labels),
            boundary_section(inputs), frontier_section(inputs),
            compute_section(inputs, labels),
            calibration_section(inputs, labels), scaling_section(inputs, labels),
            training_section(inputs),
            reflection_section(inputs, labels), examples_section(inputs, labels)]
