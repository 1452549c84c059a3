"""What RL changed in the model's behaviour, and what it did not: think rate (the share of
samples that think at all) and thinking tokens beside accuracy, by difficulty and per task, for
the baseline, a demo's skill-phase model when there is one, and the run — and the summary's
sentences about them, each change called a change only when its 95% interval excludes 0."""

from __future__ import annotations

from typing import Any

from reasonlab.core.summary import TaskSummary
from reasonlab.report import plots_behaviour as PB
from reasonlab.report.load import ReportInputs
from reasonlab.report.parts import Figure, Section, Table, num, pct
from reasonlab.report.plots import BASE_COLOR, PRETRAINED_COLOR, RUN_COLOR, SKILL_COLOR
from reasonlab.report.series import rate_change

SKILL_LABEL = "skill"
PRETRAINED_LABEL = "pretrained"
ROLE_ORDER = ("RL-trained", "trained", "SFT only", "never trained")
GROUP_NAMES = {"RL-trained": "the RL-trained tasks", "trained": "the trained tasks",
               "SFT only": "the tasks warm-started by SFT but never RL-trained",
               "never trained": "the never-trained tasks",
               "not trained by this run": "the tasks not trained by this run",
               "other": "the other tasks"}


def series(inputs: ReportInputs, labels: tuple[str, str]) -> list[PB.Series]:
    """The models to draw, in drawing order: the pretrained model of a real-model demo, the
    baseline (dashed, open markers, on top so an identical run cannot hide it), the
    skill-phase model, the run."""
    out = []
    if inputs.pretrained is not None:
        out.append(PB.Series(PRETRAINED_LABEL, inputs.pretrained.summary, PRETRAINED_COLOR,
                             ":", "^", True, 2.5))
    if inputs.baseline is not None:
        out.append(PB.Series(labels[0], inputs.baseline.summary, BASE_COLOR, "--", "o", True, 3))
    if inputs.skill is not None:
        out.append(PB.Series(SKILL_LABEL, inputs.skill.summary, SKILL_COLOR, "-.", "s", True,
                             2.5))
    out.append(PB.Series(labels[1], inputs.run.summary, RUN_COLOR, "-", "o", False, 2))
    return out


def ordered_tasks(inputs: ReportInputs) -> list[str]:
    """The run's tasks, trained ones first, then by role as the demo's table lists them."""
    tasks = list(inputs.run.summary.tasks)
    rank = {role: i for i, role in enumerate(ROLE_ORDER)}
    return sorted(tasks, key=lambda t: rank.get(inputs.roles.get(t, ""), len(rank)))


def titled(inputs: ReportInputs, sep: str = " ") -> dict[str, str]:
    """Task -> "task (role)" where the role is known."""
    return {t: f"{t}{sep}({r})" if r else t for t, r in
            ((t, inputs.roles.get(t, "")) for t in inputs.run.summary.tasks)}


def _all_zero(runs: list[PB.Series], key: str) -> bool:
    values = [getattr(c, key) for s in runs for b in s.summary.tasks.values()
              for c in b.by_difficulty.values()]
    return all(not v for v in values) and any(v is not None for v in values)


def habit_section(inputs: ReportInputs, labels: tuple[str, str]) -> Section:
    runs = series(inputs, labels)
    s = Section("habit", "Thinking habit: think rate by difficulty and per task",
                "Think rate is the share of decided samples whose thinking is not empty: does "
                "the model reason before answering at all? Per task it sits beside accuracy, so "
                "a habit RL taught on the trained task can be followed to the tasks it never "
                "trained.")
    if inputs.skill is not None:
        s.intro += (f" '{SKILL_LABEL}' is the warm start after its skill phase, before its "
                    "habit phase.")
    values = [c.think_rate for r in runs for b in r.summary.tasks.values()
              for c in b.by_difficulty.values()]
    tasks = ordered_tasks(inputs)
    if all(v is None for v in values):
        s.notes.append("These summaries carry no think rate (written before reasonlab recorded "
                       "it, or no decided samples); rerun the evals to get one.")
    elif _all_zero(runs, "think_rate"):
        s.notes.append("No sample of any run thinks: the think rate is 0% in every task and "
                       "difficulty, so there is no curve to draw.")
    else:
        s.figures.append(Figure("think_rate_vs_difficulty", PB.by_difficulty(
            runs, tasks, titled(inputs), PB.think_rate, "think rate (%)", percent=True),
            "think rate against difficulty, one panel per task"))
    s.figures.append(Figure("behaviour_by_task", PB.by_task(runs, tasks, titled(inputs, "\n")),
                            "accuracy and think rate per task"))
    header = ["task", "role"] + [f"{what} {r.label}" for what in ("accuracy", "think rate",
                                                                 "thinking tokens")
                                 for r in runs]
    rows = []
    for task in tasks:
        blocks = [r.summary.tasks.get(task) or TaskSummary() for r in runs]
        rows.append([task, inputs.roles.get(task, "") or "—"]
                    + [pct(b.accuracy) for b in blocks]
                    + [pct(b.think_rate) for b in blocks]
                    + [num(b.mean_thinking_tokens, 0) for b in blocks])
    s.tables.append(Table(header, rows))
    return s


def _verdict(change: dict[str, Any] | None) -> int:
    ci = (change or {}).get("ci95")
    if not ci:
        return 0
    return 1 if ci[0] > 0 else -1 if ci[1] < 0 else 0


def _move(change: dict[str, Any]) -> str:
    d = change["delta"]
    return (f"{pct(change['base'])} → {pct(change['run'])} ({100 * d:+.0f} points, 95% "
            f"interval {100 * change['ci95'][0]:+.0f} to {100 * change['ci95'][1]:+.0f})"
            if change.get("ci95") else f"{pct(change['base'])} → {pct(change['run'])}")


def _tokens(base: TaskSummary, run: TaskSummary) -> str:
    return f"{num(base.mean_thinking_tokens, 0)} → {num(run.mean_thinking_tokens, 0)}"


def behaviour_sentences(inputs: ReportInputs, labels: tuple[str, str]) -> list[str]:
    """How the run behaves against the baseline, per role group: think rate (called changed
    only when its interval excludes 0) and thinking tokens per sample; then one sentence on
    every think rate and accuracy it reliably changed, and one on every one it did not."""
    if inputs.baseline is None:
        return []
    base, run = inputs.baseline.summary.tasks, inputs.run.summary.tasks
    moved = (inputs.transfer or {}).get("tasks") or {}
    tasks = [t for t in ordered_tasks(inputs) if t in base and t not in inputs.not_compared]
    if not tasks:
        return []
    out: list[str] = []
    groups: dict[str, list[str]] = {}
    for task in tasks:
        groups.setdefault(inputs.roles.get(task, ""), []).append(task)
    changed: list[str] = []
    unchanged: list[str] = []
    for role, names in groups.items():
        parts = []
        for task in names:
            change = rate_change(base[task], run[task])
            tokens = _tokens(base[task], run[task])
            if change is None:
                parts.append(f"{task}: think rate n/a, thinking tokens {tokens}")
                continue
            sign = _verdict(change)
            word = ("rose" if sign > 0 else "fell" if sign < 0 else "did not reliably change")
            parts.append(f"{task}: think rate {word}, {_move(change)}; thinking tokens per "
                         f"sample {tokens}")
            (changed if sign else unchanged).append(f"think rate on {task}"
                                                    + (f" ({word})" if sign else ""))
        where = f"On {GROUP_NAMES.get(role, role + ' tasks')}" if role else "Per task"
        lead = "" if out else f"Behaviour, {labels[0]} → {labels[1]}. "
        out.append(f"{lead}{where}: {'; '.join(parts)}.")
    for task in tasks:
        c = moved.get(task)
        if c and c.get("delta") is not None:
            sign = _verdict(c)
            (changed if sign else unchanged).append(
                f"accuracy on {task}" + ("" if not sign else " (rose)" if sign > 0
                                         else " (fell)"))
    out.append(f"What {labels[1]} reliably changed: {', '.join(changed)}." if changed else
               f"{labels[1]} reliably changed neither the think rate nor the accuracy of any "
               "task compared.")
    if unchanged:
        out.append(f"What {labels[1]} did not reliably change (95% interval includes 0): "
                   f"{', '.join(unchanged)}.")
    return out


def skill_sentence(inputs: ReportInputs, labels: tuple[str, str]) -> str | None:
    """Against the skill-phase model: what RL recovered of the skill the warm start had, or
    added beyond it, on the trained tasks (the same per-task interval as the transfer)."""
    from reasonlab.evaluate.transfer import transfer

    if inputs.skill is None:
        return None
    moved = transfer(inputs.skill.summary, inputs.run.summary, trained_tasks=[])["tasks"]
    parts = []
    for task in ordered_tasks(inputs):
        c = moved.get(task)
        if inputs.roles.get(task) not in ("RL-trained", "trained") or not c \
                or c["delta"] is None:
            continue
        ci = c["ci95"]
        parts.append(f"{task} accuracy {pct(c['base_accuracy'])} ({SKILL_LABEL}) → "
                     f"{pct(c['trained_accuracy'])} ({labels[1]}), {100 * c['delta']:+.0f} "
                     "points" + (f" (95% interval {100 * ci[0]:+.0f} to {100 * ci[1]:+.0f}; "
                                 + ("a reliable change)" if _verdict(c) else
                                    "no reliable change)") if ci else ""))
    if not parts:
        return None
    return ("Against the warm start after its skill phase, before its habit phase: "
            + "; ".join(parts) + ".")
