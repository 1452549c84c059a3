"""Gathering what a report is drawn from: an eval run folder, an optional baseline run, an
optional training run, and which tasks were trained — or a demo folder that names all of them.

Nothing here computes a metric of its own: accuracies and intervals come from the runs'
``summary.json``; the transfer from ``reasonlab.evaluate.transfer``; per-cell differences from the
same ``difference_interval`` that ``transfer`` uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reasonlab.errors import InputError
from reasonlab.evaluate import metrics as M
from reasonlab.evaluate.runfolder import SAMPLES, read_samples
from reasonlab.evaluate.transfer import load_summary, transfer
from reasonlab.jsonl import read_jsonl

DEMO_FILE = "demo.json"
METRICS_FILE = "metrics.jsonl"
EVAL_STEPS_FILE = "evals/steps.jsonl"


@dataclass
class EvalRun:
    """One eval run folder: its summary and its sample lines (empty when samples.jsonl is gone)."""

    path: Path
    summary: dict[str, Any]
    samples: list[dict[str, Any]]

    @property
    def name(self) -> str:
        model = self.summary.get("model")
        name = model.get("name") if isinstance(model, dict) else None
        return str(name or self.path.name)


@dataclass
class TrainRun:
    """One training run folder: its logged steps, its in-loop evaluations and its recipe."""

    path: Path
    metrics: list[dict[str, Any]]
    eval_steps: list[dict[str, Any]]
    config: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.config.get("kind") or "training")


@dataclass
class ReportInputs:
    run: EvalRun
    baseline: EvalRun | None = None
    train: TrainRun | None = None
    trained_tasks: list[str] | None = None     # None: unknown
    trained_tasks_source: str = ""
    transfer: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)   # caveats met while loading


def load_eval_run(path: str | Path, role: str = "run") -> EvalRun:
    """An eval run folder; ``InputError`` naming the path when it is missing or not a run."""
    folder = Path(path)
    if not folder.exists():
        raise InputError(f"no such {role} folder", file=str(folder))
    if not folder.is_dir():
        raise InputError(f"the {role} must be an eval run folder (with summary.json), not a file",
                         file=str(folder))
    summary = load_summary(folder)
    if not isinstance(summary.get("overall"), dict):
        raise InputError("not a reasonlab eval summary (no 'overall')",
                         file=str(folder / "summary.json"), field="overall")
    return EvalRun(folder, summary, read_samples(folder / SAMPLES))


def load_train_run(path: str | Path) -> TrainRun:
    """A training run folder (``reasonlab train``): metrics.jsonl and/or evals/steps.jsonl."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError("no such training run folder", file=str(folder))
    metrics_path, steps_path = folder / METRICS_FILE, folder / EVAL_STEPS_FILE
    if not metrics_path.is_file() and not steps_path.is_file():
        raise InputError(f"not a training run folder (neither {METRICS_FILE} nor "
                         f"{EVAL_STEPS_FILE} in it)", file=str(folder))
    metrics = [row for _, row in read_jsonl(metrics_path)] if metrics_path.is_file() else []
    steps = [row for _, row in read_jsonl(steps_path)] if steps_path.is_file() else []
    config: dict[str, Any] = {}
    config_path = folder / "config.yaml"
    if config_path.is_file():
        try:
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InputError(f"unreadable training config ({exc})", file=str(config_path)) \
                from None
        config = loaded if isinstance(loaded, dict) else {}
    return TrainRun(folder, metrics, steps, config)


def read_demo(folder: Path) -> dict[str, Any]:
    path = folder / DEMO_FILE
    try:
        demo = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg})", file=str(path), line=exc.lineno) from None
    if not isinstance(demo, dict):
        raise InputError("expected a JSON object", file=str(path))
    return demo


def is_demo_folder(path: str | Path) -> bool:
    return (Path(path) / DEMO_FILE).is_file()


def _recipe_tasks(train: TrainRun | None) -> list[str]:
    tasks = train.config.get("tasks") if train else None
    if not isinstance(tasks, list):
        return []
    names = [t.get("name") if isinstance(t, dict) else t for t in tasks]
    return [str(n) for n in names if n]


def gather(run: str | Path, baseline: str | Path | None = None, train: str | Path | None = None,
           trained_tasks: list[str] | None = None) -> ReportInputs:
    """Load everything a report needs. ``run`` may be a demo folder (one with demo.json): its
    ``rl`` run is the run, ``base`` the baseline and ``rl-train`` the training run, unless given."""
    folder = Path(run)
    demo: dict[str, Any] = {}
    if folder.is_dir() and is_demo_folder(folder):
        demo = read_demo(folder)
        baseline = baseline if baseline is not None else folder / "base"
        if train is None and (folder / "rl-train").is_dir():
            train = folder / "rl-train"
        folder = folder / "rl"
    inputs = ReportInputs(run=load_eval_run(folder))
    if baseline is not None:
        inputs.baseline = load_eval_run(baseline, role="baseline run")
    if train is not None:
        inputs.train = load_train_run(train)
    recorded = inputs.run.summary.get("transfer")
    candidates = [
        (trained_tasks, "given"),
        (demo.get("trained_tasks") if demo else None, "demo.json"),
        (recorded.get("trained_tasks") if isinstance(recorded, dict) else None,
         "the run's summary"),
        (_recipe_tasks(inputs.train), "the training recipe"),
    ]
    for names, source in candidates:
        if names:
            inputs.trained_tasks = [str(n) for n in names]
            inputs.trained_tasks_source = source
            break
    if inputs.baseline is not None:
        inputs.transfer = _transfer(inputs)
    return inputs


def _transfer(inputs: ReportInputs) -> dict[str, Any]:
    base, run = inputs.baseline.summary, inputs.run.summary
    names = inputs.trained_tasks or []
    try:
        return transfer(base, run, trained_tasks=names)
    except InputError:
        if inputs.trained_tasks_source == "given":
            raise
        # Trained tasks read from a recipe need not be in the eval suite at all.
        inputs.notes.append(f"the trained tasks from {inputs.trained_tasks_source} "
                            f"({', '.join(names)}) are not in both runs; no in/out-of-domain "
                            "split")
        return transfer(base, run, trained_tasks=[])


def difficulties(*summaries: dict[str, Any], task: str) -> list[str]:
    levels: set[str] = set()
    for s in summaries:
        levels |= set(((s.get("tasks") or {}).get(task) or {}).get("by_difficulty") or {})
    return sorted(levels, key=lambda d: (float(d) if d.replace(".", "", 1).isdigit() else 1e9, d))


def _correct(cell: dict[str, Any]) -> int:
    # Summaries written before "correct" was recorded: recover it as ``transfer`` does.
    return int(cell.get("correct", round((cell["accuracy"] or 0) * cell["n"])))


def cell_deltas(base: dict[str, Any], run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per task × difficulty, rl − base accuracy with Newcombe's interval (the method
    ``transfer`` uses per task), from each cell's decided count and correct count."""
    out: dict[str, dict[str, Any]] = {}
    for task, block in run["tasks"].items():
        before = (base["tasks"].get(task) or {}).get("by_difficulty") or {}
        cells: dict[str, Any] = {}
        for level, cell in (block.get("by_difficulty") or {}).items():
            prior = before.get(level)
            if prior is None or cell.get("accuracy") is None or prior.get("accuracy") is None:
                continue
            ci = M.difference_interval(_correct(prior), int(prior["n"]), _correct(cell),
                                       int(cell["n"]))
            cells[level] = {"delta": cell["accuracy"] - prior["accuracy"],
                            "ci95": list(ci) if ci else None,
                            "base": prior["accuracy"], "run": cell["accuracy"]}
        if cells:
            out[task] = cells
    return out


def confidence_pairs(run: EvalRun) -> list[tuple[float, bool]]:
    """(confidence, correct) of the decided samples that carry one — the pairs the summary's
    calibration block was computed from."""
    from reasonlab.evaluate.summary import is_correct, is_decided

    return [(float(r["confidence"]), is_correct(r)) for r in run.samples
            if is_decided(r) and r.get("confidence") is not None]


def metric_series(rows: list[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """(steps, values) of one logged scalar, skipping rows without it (e.g. the final summary
    row TRL logs, which carries train_runtime instead)."""
    steps, values = [], []
    for row in rows:
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and "step" in row:
            steps.append(float(row["step"]))
            values.append(float(value))
    return steps, values


def metric_keys(rows: list[dict[str, Any]], prefix: str, suffix: str = "") -> list[str]:
    keys: list[str] = []
    for row in rows:
        for key in row:
            if key.startswith(prefix) and key.endswith(suffix) and key not in keys:
                keys.append(key)
    return keys
