"""The report's plain-language summary, written from the numbers.

Every claim is driven by a 95% interval: a change is called a gain or a loss only when its
interval excludes 0, and "no reliable change" otherwise. No number appears here that is not in a
summary or the transfer (formatted as percentages and points).
"""

from __future__ import annotations

from typing import Any

from reasonlab.core.summary import Overall
from reasonlab.report.behaviour import GROUP_NAMES, behaviour_sentences, skill_sentence
from reasonlab.report.load import ReportInputs
from reasonlab.report.series import cell_deltas


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def points(value: float) -> str:
    return f"{100 * value:+.0f}"


def interval(ci: list[float] | None) -> str:
    return "no interval" if not ci else f"{points(ci[0])} to {points(ci[1])}"


def verdict(ci: list[float] | None) -> int:
    """+1 reliable gain, -1 reliable loss, 0 interval includes 0 (or none)."""
    if not ci:
        return 0
    return 1 if ci[0] > 0 else -1 if ci[1] < 0 else 0


def task_change(task: str, cell: dict[str, Any], run_label: str) -> str:
    before, after, delta = cell["base_accuracy"], cell["trained_accuracy"], cell["delta"]
    if delta is None:
        return f"{task}: no decided samples in one of the runs, so no comparison."
    if before == after:
        return (f"{task} stayed at {pct(after)} ({points(delta)} points, 95% interval "
                f"{interval(cell['ci95'])}): no reliable change.")
    numbers = (f"from {pct(before)} to {pct(after)} ({points(delta)} points, 95% interval "
               f"{interval(cell['ci95'])})")
    sign = verdict(cell["ci95"])
    if sign > 0:
        return f"{run_label} raised {task} {numbers}."
    if sign < 0:
        return f"{run_label} lowered {task} {numbers}."
    return (f"{task} moved {numbers}; the interval includes 0, so this is no reliable "
            "change.")


def held_out_sentence(names: list[str], per_task: dict[str, Any], group: str) -> str:
    """How the accuracy of one group of untrained tasks moved, e.g. "Tasks warm-started by SFT
    but never RL-trained moved by …"."""
    parts, gains, losses = [], [], []
    for name in names:
        cell = per_task[name]
        if cell["delta"] is None:
            parts.append(f"{name} n/a")
            continue
        parts.append(f"{name} {points(cell['delta'])} ({interval(cell['ci95'])})")
        sign = verdict(cell["ci95"])
        (gains if sign > 0 else losses if sign < 0 else []).append(name)
    conclusion = []
    if gains:
        conclusion.append(f"reliable transfer to {', '.join(gains)}")
    if losses:
        conclusion.append(f"reliably worse on {', '.join(losses)} (negative transfer)")
    if not conclusion:
        conclusion.append("no reliable transfer (every interval includes 0)")
    return (f"{group[0].upper() + group[1:]} moved by {'; '.join(parts)} points: "
            f"{' and '.join(conclusion)}.")


def cells_sentence(inputs: ReportInputs) -> str | None:
    deltas = cell_deltas(inputs.baseline.summary, inputs.run.summary)
    total = sum(len(c) for c in deltas.values())
    if not total:
        return None
    sure = [(t, d, c) for t, cells in deltas.items() for d, c in cells.items()
            if verdict(c["ci95"])]
    if not sure:
        return (f"Per task and difficulty, none of the {total} cells changed reliably (each "
                "cell's interval includes 0; cells hold fewer samples than whole tasks).")
    listed = ", ".join(f"{t} d{d} {points(c['delta'])}" for t, d, c in sure[:8])
    more = f" and {len(sure) - 8} more" if len(sure) > 8 else ""
    return (f"Per task and difficulty, {len(sure)} of {total} cells changed reliably: "
            f"{listed}{more}.")


def index_sentence(moved: dict[str, Any], other: str) -> str | None:
    inside, outside = moved["in_domain"], moved["out_of_domain"]
    if inside["delta"] is None or outside["delta"] is None:
        return None
    text = (f"Mean task accuracy changed by {points(inside['delta'])} points on the trained "
            f"tasks and {points(outside['delta'])} points on the {other}; ")
    index = moved["transferability_index"]
    if index is None:
        return text + f"the transferability index is undefined ({moved['transferability_note']})."
    return text + (f"transferability index {index:.2f} (1 = the gain carried over in full, "
                   "0 = not at all, below 0 = it hurt).")


def compute_sentence(inputs: ReportInputs, labels: tuple[str, str]) -> str | None:
    run = inputs.run.summary.overall
    base = inputs.baseline.summary.overall if inputs.baseline else None

    def tokens(block: Overall | None) -> str:
        value = block.mean_thinking_tokens if block else None
        return "n/a" if value is None else f"{value:.0f}"

    def rho(block: Overall | None) -> str:
        value = block.spearman_tokens_difficulty if block else None
        return "undefined" if value is None else f"{value:.2f}"

    if run.mean_thinking_tokens is None:
        return None
    if base is None:
        return (f"{labels[1]} spent {tokens(run)} thinking tokens per sample on average; "
                f"Spearman ρ between thinking tokens and difficulty: {rho(run)}.")
    return (f"Thinking tokens per sample: {tokens(base)} ({labels[0]}) → {tokens(run)} "
            f"({labels[1]}); Spearman ρ between thinking tokens and difficulty: {rho(base)} → "
            f"{rho(run)}.")


def calibration_sentence(inputs: ReportInputs, labels: tuple[str, str]) -> str | None:
    from reasonlab.report.parts import undefined
    from reasonlab.report.sections import calibration

    parts, defined = [], False
    for label, run in ((labels[0], inputs.baseline), (labels[1], inputs.run)):
        cal = run.summary.calibration if run else None
        if cal is not None and cal.n:
            cal = calibration(cal)
            parts.append(f"{label} {undefined(cal, 'rms_hle')}")
            defined = defined or cal.rms_hle is not None
    if not parts:
        return None
    return (f"RMS calibration error (HLE method): {', '.join(parts)}"
            + (" (0% = perfectly calibrated)." if defined else "."))


def caveats(inputs: ReportInputs, labels: tuple[str, str]) -> list[str]:
    out = []
    for label, run in ((labels[0], inputs.baseline), (labels[1], inputs.run)):
        if run is None:
            continue
        s = run.summary
        if not s.complete:
            out.append(f"The {label} run is incomplete ({s.samples} of "
                       f"{s.samples_expected} samples); rerun its eval to finish it.")
        undecided = s.overall.errors + s.overall.timeouts
        if undecided:
            out.append(f"{undecided} {label} samples were undecided (verifier error or timeout) "
                       "and are left out of accuracy.")
    return out + [f"Warning: {w}." for w in inputs.warnings] + [
        note[0].upper() + note[1:] + "." for note in inputs.notes]


def summary_sentences(inputs: ReportInputs, labels: tuple[str, str]) -> list[str]:
    """The summary as a list of sentences, most important first."""
    out: list[str] = []
    run = inputs.run.summary
    if inputs.baseline is None or inputs.transfer is None:
        out.append("No baseline run was given, so this report cannot say what changed; it "
                   "describes one run.")
        listed = "; ".join(f"{name} {pct(block.accuracy)} (95% interval "
                           f"{pct((block.ci95 or [None])[0])}–"
                           f"{pct((block.ci95 or [None, None])[1])}, n={block.n})"
                           for name, block in run.tasks.items())
        out.append(f"Accuracy of {labels[1]}: {listed}.")
    else:
        moved = inputs.transfer
        per_task = moved["tasks"]
        trained = [n for n, c in per_task.items() if c["in_domain"]]
        held = [n for n in per_task if n not in trained]
        if not trained:
            out.append("Which tasks were trained is not known (pass --trained-tasks or the "
                       "training run), so tasks are not split into trained and others.")
            out += [task_change(n, per_task[n], labels[1]) for n in per_task]
        else:
            out += [task_change(n, per_task[n], labels[1]) for n in trained]
            groups: dict[str, list[str]] = {}
            for name in held:
                groups.setdefault(inputs.roles.get(name, ""), []).append(name)
            for role, names in groups.items():
                group = GROUP_NAMES.get(role, inputs.other_group)
                out.append(held_out_sentence(names, per_task, group.removeprefix("the ")))
            sentence = index_sentence(moved, inputs.other_group)
            if sentence:
                out.append(sentence)
        out += behaviour_sentences(inputs, labels)
        sentence = cells_sentence(inputs)
        if sentence:
            out.append(sentence)
        if moved.get("missing"):
            out.append(f"Evaluated in only one of the runs (not compared): "
                       f"{', '.join(moved['missing'])}.")
        out += [f"{task} is not compared as a whole task: {why}." for task, why in
                inputs.not_compared.items()]
    for sentence in (skill_sentence(inputs, labels), compute_sentence(inputs, labels),
                     calibration_sentence(inputs, labels)):
        if sentence:
            out.append(sentence)
    return out + caveats(inputs, labels)
