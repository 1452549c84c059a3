"""The report's strict-and-flexible section: per model and task, the strict accuracy (the
``<answer>`` block, the score rewards use) beside the flexible one (the answer read from free
text, ``verifiers/flexible.py``) and the share of samples with the block. A gap between the
two is a format problem, not a skill problem: the reader sees which one training moved."""

from __future__ import annotations

from reasonlab.report.behaviour import ordered_tasks, series
from reasonlab.report.load import ReportInputs
from reasonlab.report.parts import Section, Table, ci_text, pct

GAP = 0.10   # flexible above strict by more than this: worth a remark


def strict_flexible_section(inputs: ReportInputs, labels: tuple[str, str]) -> Section:
    s = Section("strict-flexible", "Strict and flexible scores",
                "Strict: the answer in the <answer> block, the score every summary and reward "
                "uses. Flexible: the answer read where free text puts it (the last \\boxed{}, "
                "\"the answer is …\", the last line; a list of numbers never counts), so a "
                "model that knows the answer but ignores the format is told apart from one "
                "that does not know it. Format: the share of decided samples with the strict "
                "answer block.")
    rows, gaps, recorded = [], [], False
    for run in series(inputs, labels):
        for task in ordered_tasks(inputs):
            block = run.summary.tasks.get(task)
            if block is None:
                continue
            recorded |= block.flexible_accuracy is not None or block.format_rate is not None
            flexible = ("n/a" if block.flexible_accuracy is None else
                        f"{pct(block.flexible_accuracy)} {ci_text(block.flexible_ci95)}")
            rows.append([run.label, task, f"{pct(block.accuracy)} {ci_text(block.ci95)}",
                         flexible, pct(block.format_rate), pct(block.think_rate), str(block.n),
                         "n/a" if block.n_distinct is None else str(block.n_distinct)])
            if (block.accuracy is not None and block.flexible_accuracy is not None
                    and block.flexible_accuracy - block.accuracy > GAP):
                gaps.append(f"{run.label} on {task}")
    if not recorded:
        s.notes.append("These summaries carry no flexible score or format rate (written before "
                       "reasonlab recorded them); rerun `reasonlab eval` on the run folders, "
                       "which re-summarizes them.")
    s.tables.append(Table(["model", "task", "strict accuracy [95%]",
                           "flexible accuracy [95%]", "format", "think rate", "n",
                           "distinct items"], rows))
    if gaps:
        s.notes.append(f"Flexible above strict by more than {100 * GAP:.0f} points (the model "
                       "answers, but not in the block): " + ", ".join(gaps) + ".")
    return s
