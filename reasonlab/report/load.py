"""Gathering what a report is drawn from: an eval run folder, an optional baseline run, an
optional training run, and which tasks were trained — or a demo folder that names all of them.

Nothing here computes a metric of its own: accuracies and intervals come from the runs'
summaries (``reasonlab.core.summary``); the transfer from ``reasonlab.evaluate.transfer``;
per-cell differences, and differences in think rate, from the same ``difference_interval``
that ``transfer`` uses (``series.py``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reasonlab.core.errors import InputError
from reasonlab.core.jsonl import read_jsonl
from reasonlab.core.summary import SUMMARY_FILE, Summary, has_summary, read_summary
from reasonlab.evaluate.runfolder import SAMPLES, read_samples
from reasonlab.evaluate.transfer import transfer

DEMO_FILE = "demo.json"
METRICS_FILE = "metrics.jsonl"
EVAL_STEPS_FILE = "evals/steps.jsonl"


@dataclass
class EvalRun:
    """One eval run folder: its summary and its sample lines (empty when samples.jsonl is gone)."""

    path: Path
    summary: Summary
    samples: list[dict[str, Any]]

    @property
    def name(self) -> str:
        return self.summary.model_name or self.path.name


@dataclass
class TrainRun:
    """One training run folder: its logged steps, its in-loop evaluations and its recipe."""

    path: Path
    metrics: list[dict[str, Any]]
    eval_steps: list[dict[str, Any]]
    config: dict[str, Any]
    # A phased SFT run: (phase, first step, last step) in the sequence the curves show.
    phases: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.config.get("kind") or "training")


# Where each trained-tasks source is named on the page.
SOURCE_PHRASES = {"given": "as given with --trained-tasks", "demo.json": "from demo.json",
                  "the run's summary": "as recorded in the run's summary",
                  "the training recipe": "from the training recipe"}
# A demo folder's runs, by role, when its demo.json has no "runs" map.
DEFAULT_DEMO_RUNS = {"base": "base", "rl": "rl", "rl_train": "rl-train"}
# How the demo's terminal table names its task groups.
DEMO_ROLES = (("trained_tasks", "RL-trained"), ("sft_only_tasks", "SFT only"),
              ("unseen_tasks", "never trained"))


@dataclass
class ReportInputs:
    run: EvalRun
    baseline: EvalRun | None = None
    train: TrainRun | None = None
    skill: EvalRun | None = None     # a demo's warm start after its skill phase, if evaluated
    pretrained: EvalRun | None = None    # a real-model demo's model before any training
    extra: list[EvalRun] = field(default_factory=list)   # more runs for the cost frontier
    prices: tuple[float, float] | None = None     # USD per 1M input / output tokens
    trained_tasks: list[str] | None = None     # None: unknown
    trained_tasks_source: str = ""
    transfer: dict[str, Any] | None = None
    demo: dict[str, Any] = field(default_factory=dict)
    demo_root: Path | None = None
    roles: dict[str, str] = field(default_factory=dict)   # task -> "RL-trained", "SFT only", …
    not_compared: dict[str, str] = field(default_factory=dict)   # task -> why not as a whole
    notes: list[str] = field(default_factory=list)   # caveats met while loading
    warnings: list[str] = field(default_factory=list)   # also printed on the terminal

    @property
    def demo_pair(self) -> bool:
        """Whether the run and the baseline are the demo's own rl and base runs."""
        if self.demo_root is None or self.baseline is None:
            return self.demo_root is not None and self.baseline is None
        base = demo_run(self.demo_root, self.demo, "base")
        return base is not None and base.resolve() == self.baseline.path.resolve()

    @property
    def trained_phrase(self) -> str:
        return SOURCE_PHRASES.get(self.trained_tasks_source, self.trained_tasks_source)

    @property
    def trained_role(self) -> str:
        return "RL-trained" if self.demo else "trained"

    @property
    def other_group(self) -> str:
        """What the tasks outside the trained ones are called together."""
        return "tasks not RL-trained" if self.demo else "tasks not trained by this run"


def read_samples_of(folder: str | Path) -> list[dict[str, Any]]:
    """A run folder's sample lines (the frontier and boundary read them directly)."""
    return read_samples(Path(folder) / SAMPLES)


def load_eval_run(path: str | Path, role: str = "run") -> EvalRun:
    """An eval run folder; ``InputError`` naming the path when it is missing or not a run."""
    folder = Path(path)
    if not folder.exists():
        raise InputError(f"no such {role} folder", file=str(folder))
    if not folder.is_dir():
        raise InputError(f"the {role} must be an eval run folder (with summary.json), not a file",
                         file=str(folder))
    summary = read_summary(folder)
    if summary.overall is None:
        raise InputError("not a reasonlab eval summary (no 'overall')",
                         file=str(folder / SUMMARY_FILE), field="overall")
    return EvalRun(folder, summary, read_samples(folder / SAMPLES))


def load_train_run(path: str | Path) -> TrainRun:
    """A training run folder (``reasonlab train``): metrics.jsonl and/or evals/steps.jsonl."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError("no such training run folder", file=str(folder))
    metrics_path, steps_path = folder / METRICS_FILE, folder / EVAL_STEPS_FILE
    phases: list[tuple[str, int, int]] = []
    if not metrics_path.is_file() and not steps_path.is_file():
        if not any((folder / "phases").glob(f"*/{METRICS_FILE}")):
            raise InputError(f"not a training run folder (neither {METRICS_FILE} nor "
                             f"{EVAL_STEPS_FILE} in it, nor phases/*/{METRICS_FILE})",
                             file=str(folder))
        metrics, steps, phases = _phased(folder)
    else:
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
    return TrainRun(folder, metrics, steps, config, phases)


def _phased(folder: Path) -> tuple[list[dict], list[dict], list[tuple[str, int, int]]]:
    """A phased SFT run's phases one after another: each phase's steps shifted past the phases
    before it (in the order its config.yaml lists them), every row marked with its phase."""
    order: list[str] = []
    config_path = folder / "config.yaml"
    if config_path.is_file():
        try:
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
            order = [str(p["name"]) for p in loaded.get("phases") or [] if "name" in p]
        except (yaml.YAMLError, TypeError, KeyError, AttributeError):
            order = []
    present = sorted(p.parent.name for p in (folder / "phases").glob(f"*/{METRICS_FILE}"))
    order = [name for name in order if name in present] + [n for n in present
                                                           if n not in order]
    metrics, steps, spans, offset = [], [], [], 0
    for name in order:
        sub = folder / "phases" / name
        rows = [row for _, row in read_jsonl(sub / METRICS_FILE)]
        evals = [row for _, row in read_jsonl(sub / EVAL_STEPS_FILE)] \
            if (sub / EVAL_STEPS_FILE).is_file() else []
        last = max((int(r["step"]) for r in rows + evals if isinstance(r.get("step"), int)),
                   default=0)
        metrics += [{**r, "step": int(r["step"]) + offset, "phase": name}
                    for r in rows if isinstance(r.get("step"), int)]
        steps += [{**r, "step": int(r["step"]) + offset, "phase": name}
                  for r in evals if isinstance(r.get("step"), int)]
        spans.append((name, offset + 1, offset + last))
        offset += last
    return metrics, steps, spans


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


def demo_runs(demo: dict[str, Any]) -> dict[str, str]:
    """Run role -> folder (relative to the demo folder), from demo.json's ``runs``."""
    runs = demo.get("runs")
    if not isinstance(runs, dict):
        return dict(DEFAULT_DEMO_RUNS)
    return {str(k): str(v) for k, v in runs.items() if isinstance(v, str) and v}


def demo_run(root: Path, demo: dict[str, Any], role: str) -> Path | None:
    """The folder of one of a demo's runs (``base``, ``rl``, ``rl_train``, ``skill``, …) as its
    demo.json's ``runs`` map names it, or None when the map has no such role. The first demos
    recorded paths as given on their command line (``runs/demo/base``, relative to where the
    demo ran, not to the demo folder): when such a path is not under ``root``, its last part
    is, since the demo wrote every run into its own folder."""
    name = demo_runs(demo).get(role)
    if not name:
        return None
    path = root / name
    if not path.exists() and (root / Path(name).name).exists():
        return root / Path(name).name
    return path


def _parent_demo(folder: Path) -> tuple[Path, dict[str, Any]] | None:
    """The demo folder holding ``folder`` as its rl run, so that a report of ``DEMO/rl`` still
    labels the tasks the way the demo does."""
    parent = folder.resolve().parent
    if not is_demo_folder(parent):
        return None
    demo = read_demo(parent)
    rl = demo_run(parent, demo, "rl")
    return (parent, demo) if rl is not None and rl.resolve() == folder.resolve() else None


def gather(run: str | Path, baseline: str | Path | None = None, train: str | Path | None = None,
           trained_tasks: list[str] | None = None, extra: list[str | Path] | None = None,
           prices: tuple[float, float] | None = None) -> ReportInputs:
    """Load everything a report needs. ``run`` may be a demo folder (one with demo.json): the
    runs its ``runs`` map names are the run (``rl``), the baseline (``base``), the training run
    (``rl_train``) and, when there, the skill-phase eval (``skill``) and the pretrained
    model's (``pretrained``: a demo of an imported model), unless given."""
    folder = Path(run)
    demo: dict[str, Any] = {}
    demo_root: Path | None = None
    if folder.is_dir() and is_demo_folder(folder):
        demo_root, demo = folder, read_demo(folder)
        rl, base = demo_run(folder, demo, "rl"), demo_run(folder, demo, "base")
        rl_train = demo_run(folder, demo, "rl_train")
        if rl is None:
            raise InputError("demo.json names no 'rl' run", file=str(folder / DEMO_FILE),
                             field="runs")
        if baseline is None and base is not None:
            baseline = base
        if train is None and rl_train is not None and rl_train.is_dir():
            train = rl_train
        folder = rl
    elif folder.is_dir() and (found := _parent_demo(folder)):
        demo_root, demo = found
    inputs = ReportInputs(run=load_eval_run(folder), demo=demo, demo_root=demo_root,
                          extra=[load_eval_run(p, role="frontier run") for p in extra or []],
                          prices=prices)
    if baseline is not None:
        inputs.baseline = load_eval_run(baseline, role="baseline run")
    if train is not None:
        inputs.train = load_train_run(train)
    for role, what in (("skill", "skill-phase run"), ("pretrained", "pretrained-model run")):
        extra = demo_run(demo_root, demo, role) if demo_root else None
        if extra is None:
            continue
        if has_summary(extra):
            setattr(inputs, role, load_eval_run(extra, role=what))
        else:
            inputs.notes.append(f"demo.json names a {what} ({demo_runs(demo)[role]}) but "
                                f"{extra / SUMMARY_FILE} is missing")
    recorded = inputs.run.summary.transfer
    if trained_tasks and demo and list(trained_tasks) == list(demo.get("trained_tasks") or []):
        trained_tasks = None      # the demo passing its own list: say it comes from demo.json
    candidates = [
        (trained_tasks, "given"),
        (demo.get("trained_tasks") if demo else None, "demo.json"),
        (recorded.trained_tasks if recorded is not None else None, "the run's summary"),
        (_recipe_tasks(inputs.train), "the training recipe"),
    ]
    for names, source in candidates:
        if names:
            inputs.trained_tasks = [str(n) for n in names]
            inputs.trained_tasks_source = source
            break
    if inputs.baseline is not None:
        _check_same_cells(inputs)
        inputs.transfer = _transfer(inputs)
    inputs.roles = task_roles(inputs)
    return inputs


def cells(summary: Summary) -> dict[str, set[str]]:
    return {task: set(block.by_difficulty) for task, block in summary.tasks.items()}


def _levels(levels: set[str]) -> str:
    return ", ".join(f"d{d}" for d in sorted(levels, key=lambda d: level_key(d)))


def level_key(level: str) -> tuple[float, str]:
    return (float(level) if level.replace(".", "", 1).isdigit() else 1e9, level)


def _check_same_cells(inputs: ReportInputs) -> None:
    """A baseline from another suite: warn, name the task × difficulty cells that are not in
    both, and keep a task whose difficulties differ out of the whole-task comparison (its
    accuracy would pool different difficulties); the heatmap still compares shared cells."""
    base, run = inputs.baseline.summary, inputs.run.summary
    before, after = cells(base), cells(run)
    only_base = [f"{t} {_levels(before[t] - after.get(t, set()))}" for t in before
                 if before[t] - after.get(t, set())]
    only_run = [f"{t} {_levels(after[t] - before.get(t, set()))}" for t in after
                if after[t] - before.get(t, set())]
    suites = (base.suite, run.suite)
    if not only_base and not only_run and suites[0] == suites[1]:
        return
    parts = []
    if suites[0] != suites[1]:
        parts.append(f"the baseline is from suite {suites[0]!r} and the run from suite "
                     f"{suites[1]!r}")
    if only_base or only_run:
        parts.append("cells not in both: " + "; ".join(
            [f"{c} (baseline only)" for c in only_base] + [f"{c} (run only)" for c in only_run]))
    else:
        parts.append("both have the same task × difficulty cells")
    inputs.warnings.append("; ".join(parts))
    for task in after:
        if task in before and before[task] != after[task]:
            inputs.not_compared[task] = (
                f"difficulties differ (baseline {_levels(before[task])}; run "
                f"{_levels(after[task])}), so the whole-task accuracies would pool different "
                "difficulties; compare the shared cells in the heatmap")


def _transfer(inputs: ReportInputs) -> dict[str, Any]:
    def without(summary: Summary) -> Summary:
        return dataclasses.replace(summary, tasks={t: b for t, b in summary.tasks.items()
                                                   if t not in inputs.not_compared})

    base, run = without(inputs.baseline.summary), without(inputs.run.summary)
    names = [n for n in inputs.trained_tasks or [] if n not in inputs.not_compared]
    try:
        return transfer(base, run, trained_tasks=names)
    except InputError:
        if inputs.trained_tasks_source == "given":
            raise
        # Trained tasks read from a recipe need not be in the eval suite at all.
        inputs.notes.append(f"the trained tasks {inputs.trained_phrase} ({', '.join(names)}) "
                            "are not in both runs; no split into trained and other tasks")
        return transfer(base, run, trained_tasks=[])


def task_roles(inputs: ReportInputs) -> dict[str, str]:
    """Each evaluated task's role, as the demo's terminal table names it when there is a
    demo.json (RL-trained, SFT only, never trained), else trained / not trained by this run
    when the trained tasks are known, else nothing."""
    tasks = list(inputs.run.summary.tasks)
    moved = (inputs.transfer or {}).get("tasks") or {}
    trained = {t for t in tasks if (moved.get(t) or {}).get("in_domain")
               or t in (inputs.trained_tasks or [])}
    if not inputs.trained_tasks and not inputs.demo:
        return {}
    roles = {t: inputs.trained_role if t in trained else "" for t in tasks}
    for key, role in DEMO_ROLES[1:] if inputs.demo else ():
        for name in inputs.demo.get(key) or []:
            if roles.get(name) == "":
                roles[name] = role
    fallback = "other" if inputs.demo else "not trained by this run"
    return {t: role or fallback for t, role in roles.items()}
