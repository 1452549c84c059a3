"""``write_report``: one eval run (plus, optionally, a baseline run and a training run) into
``report.html`` and ``plots/*.png``.

```
write_report("runs/eval-rl", baseline="runs/eval-base", train="runs/rl", out="runs/eval-rl")
write_report("runs/demo")     # a demo folder: rl vs base, rl-train, written into runs/demo
```
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from reasonlab import __version__
from reasonlab.core.jsonl import atomic_writer
from reasonlab.report import html
from reasonlab.report.behaviour import PRETRAINED_LABEL, SKILL_LABEL
from reasonlab.report.load import ReportInputs, gather, is_demo_folder
from reasonlab.report.narrative import summary_sentences
from reasonlab.report.parts import Table
from reasonlab.report.plots_training import step_count
from reasonlab.report.sections import build_sections

REPORT_FILE, PLOTS_DIR = "report.html", "plots"


def run_labels(inputs: ReportInputs) -> tuple[str, str]:
    """What the baseline and the run are called on the page: base/rl for a demo's own runs,
    else the folder names (or baseline/run when those coincide)."""
    if inputs.demo_pair:
        return "base", "rl"
    run = inputs.run.path.resolve().name
    base = inputs.baseline.path.resolve().name if inputs.baseline else "baseline"
    return ("baseline", "run") if base == run else (base, run)


def runs_table(inputs: ReportInputs, labels: tuple[str, str]) -> Table:
    rows = []
    for label, run in ((PRETRAINED_LABEL, inputs.pretrained), (labels[0], inputs.baseline),
                       (SKILL_LABEL, inputs.skill), (labels[1], inputs.run)):
        if run is None:
            continue
        s = run.summary
        o = s.overall
        rows.append([label, str(run.path), run.name, "" if s.suite is None else s.suite,
                     f"{o.n} decided / {o.n_total}",
                     "n/a" if o.accuracy is None else f"{100 * o.accuracy:.1f}%",
                     "" if s.created is None else s.created])
    if inputs.train is not None:
        last, logged = step_count(inputs.train.metrics)
        steps = "no logged steps" if last is None else f"{last} steps" + (
            f" ({logged} logged)" if logged != last else "")
        rows.append(["training", str(inputs.train.path), str(inputs.train.config.get("model",
                                                                                     "")),
                     inputs.train.kind, steps, "", ""])
    return Table(["role", "folder", "model", "suite", "samples", "accuracy", "created"], rows)


def write_report(run: str | Path, baseline: str | Path | None = None,
                 train: str | Path | None = None, out: str | Path | None = None,
                 title: str | None = None, trained_tasks: list[str] | None = None,
                 warn: Callable[[str], None] | None = None,
                 extra: list[str | Path] | None = None,
                 prices: tuple[float, float] | None = None) -> Path:
    """Write ``report.html`` and ``plots/*.png`` into ``out`` (default: the run folder, or the
    demo folder when ``run`` is one) and return the page's path. ``trained_tasks`` overrides
    what the demo.json, the run's summary or the training recipe say was trained. ``warn`` is
    called with each warning the page also shows (e.g. a baseline from another suite).
    ``extra``: more eval runs for the cost frontier; ``prices`` (USD per 1M input, output
    tokens) put it in dollars too."""
    demo = Path(run).is_dir() and is_demo_folder(run)
    inputs = gather(run, baseline=baseline, train=train, trained_tasks=trained_tasks,
                    extra=extra, prices=prices)
    for message in inputs.warnings:
        if warn is not None:
            warn(message)
    labels = run_labels(inputs)
    target = Path(out) if out is not None else Path(run) if demo else inputs.run.path
    sections = build_sections(inputs, labels)
    plots_dir = target / PLOTS_DIR
    plots_dir.mkdir(parents=True, exist_ok=True)
    for section in sections:
        for figure in section.figures:
            (plots_dir / f"{figure.name}.png").write_bytes(figure.png)
    title = title or (f"reasonlab report: {labels[1]} vs {labels[0]}" if inputs.baseline
                      else f"reasonlab report: {labels[1]}")
    subtitle = (f"{inputs.run.path}" + (f" against {inputs.baseline.path}" if inputs.baseline
                                        else "") + f" · reasonlab {__version__} · "
                + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    page = html.page(title, subtitle, summary_sentences(inputs, labels), sections, labels,
                     runs_table(inputs, labels), paired=inputs.baseline is not None)
    path = target / REPORT_FILE
    with atomic_writer(path) as handle:
        handle.write(page)
    return path
