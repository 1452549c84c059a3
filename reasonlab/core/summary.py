"""An eval run's ``summary.json``, typed: the one reader and writer of that file.

``reasonlab eval`` writes one per run folder; the report, the demo, transfer, in-loop evaluation
and the CLI read it through ``read_summary`` and use attributes (``summary.tasks[name].accuracy``).
What each metric means is in docs/evaluation.md; how it is computed, in
``reasonlab/evaluate/summary.py`` (which builds a ``Summary``) and ``evaluate/metrics.py``.

Versions: ``schema_version`` 2 is the layout below. A file without the key was written before
it existed and is version 1, the same layout; it loads as is. A file from a newer reasonlab
is refused rather than half-read. A metric that is undefined is null in the file and None here.
Keys this code does not model are kept in each block's ``extra`` and written back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonlab.core.blocks import Block
from reasonlab.core.errors import InputError
from reasonlab.core.jsonl import atomic_writer, read_text

SCHEMA_VERSION = 2
SUMMARY_FILE = "summary.json"


@dataclass(kw_only=True)
class Group(Block):
    """Accuracy of a group of samples (a domain): over decided samples, ``n`` of them;
    ``n + errors + timeouts == n_total``; ``n_distinct`` of them distinct prompts, on which
    the interval is built. ``correct``, ``n_items``, ``n_distinct`` and ``n_eff`` are None in
    summaries written before they were recorded."""

    accuracy: float | None = None
    ci95: list[float] | None = None
    n: int = 0
    n_total: int = 0
    correct: int | None = None
    errors: int = 0
    timeouts: int = 0
    unparsable: int = 0
    n_items: int | None = None
    n_distinct: int | None = None     # distinct prompts among the decided samples
    n_eff: float | None = None
    # Strict and flexible side by side (verifiers/flexible.py): the share of decided samples
    # with the strict answer block, and accuracy when the answer is read by the documented
    # fallback. None when undefined (no decided sample), and in files written before them.
    format_rate: float | None = None
    flexible_accuracy: float | None = None
    flexible_ci95: list[float] | None = None
    flexible_correct: int | None = None

    def correct_count(self) -> int:
        """``correct``, recovered from accuracy × n in summaries that lack it."""
        if self.correct is not None:
            return int(self.correct)
        return round((self.accuracy or 0) * self.n)


@dataclass(kw_only=True)
class Cell(Group):
    """One task × difficulty cell: its accuracy and where its thinking tokens went."""

    think_rate: float | None = None
    mean_thinking_tokens: float | None = None
    thinking_tokens_correct: float | None = None
    thinking_tokens_wrong: float | None = None


@dataclass(kw_only=True)
class AfterFirstCorrect(Block):
    """Thinking tokens spent after the first correct answer (evaluate/overthinking.py)."""

    mean: float | None = None
    n: int = 0
    fraction_of_thinking: float | None = None
    n_checked: int = 0
    ended_wrong: int = 0


@dataclass(kw_only=True)
class Overall(Group):
    """A group's accuracy and compute allocation: all samples, or one task's."""

    think_rate: float | None = None
    mean_thinking_tokens: float | None = None
    mean_answer_tokens: float | None = None
    spearman_tokens_difficulty: float | None = None
    thinking_tokens_correct: float | None = None
    thinking_tokens_wrong: float | None = None
    reflection_per_1k: float | None = None
    tokens_after_first_correct: AfterFirstCorrect | None = None

    omit_when_none = frozenset({"tokens_after_first_correct"})


@dataclass(kw_only=True)
class TaskSummary(Overall):
    """One task: its domain, accuracy and compute, and the same per difficulty (keys are the
    difficulties as strings, as JSON has them)."""

    domain: str | None = None
    by_difficulty: dict[str, Cell] = field(default_factory=dict)

    lead = ("domain",)


@dataclass(kw_only=True)
class Calibration(Block):
    """Calibration of the confidences; each undefined metric is None and ``undefined`` says
    why. The top-level block has ``beta`` (samples per bin) and ``by_source``."""

    rms_hle: float | None = None
    rms_all_bins: float | None = None
    ece: float | None = None
    brier: float | None = None
    n: int = 0
    mean_confidence: float | None = None
    undefined: dict[str, str] = field(default_factory=dict)
    beta: int | None = None
    by_source: dict[str, Calibration] | None = None

    omit_when_none = frozenset({"beta", "by_source"})


@dataclass(kw_only=True)
class Cost(Block):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    thinking_tokens: int = 0
    answer_tokens: int = 0
    tokens_per_correct: float | None = None
    prices_per_1m: list[float] | None = None
    money: float | None = None
    money_per_correct: float | None = None
    mean_latency_s: float | None = None


@dataclass(kw_only=True)
class SamplesCurve(Block):
    """pass@k, maj@k and best-of-N at each k (``items``: how many items counted at that k);
    ``pass_at_k_ci95``: the 95 % bootstrap interval over items of each pass@k (the reasoning
    boundary, ``evaluate/boundary.py``), absent from summaries written before it."""

    omit_when_none = frozenset({"pass_at_k_ci95"})

    k: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    pass_at_k: list[float] = field(default_factory=list)
    pass_at_k_ci95: list[list[float] | None] | None = None
    maj_at_k: list[float] = field(default_factory=list)
    best_of_n: list[float] = field(default_factory=list)
    best_of_n_confidence: list[float] = field(default_factory=list)


@dataclass(kw_only=True)
class BudgetPoint(Block):
    """Accuracy at one thinking budget (None: the unforced run)."""

    thinking_budget: int | None = None
    accuracy: float | None = None
    ci95: list[float] | None = None
    n: int = 0
    errors: int = 0
    timeouts: int = 0
    mean_thinking_tokens: float | None = None
    by_task: dict[str, float | None] = field(default_factory=dict)


@dataclass(kw_only=True)
class Scaling(Block):
    samples: SamplesCurve = field(default_factory=SamplesCurve)
    thinking_budget: list[BudgetPoint] | None = None     # only with a budget sweep

    omit_when_none = frozenset({"thinking_budget"})


@dataclass(kw_only=True)
class TaskTransfer(Block):
    in_domain: bool = False
    domain: str | None = None
    base_accuracy: float | None = None
    trained_accuracy: float | None = None
    delta: float | None = None
    ci95: list[float] | None = None
    n_base: int = 0
    n_trained: int = 0


@dataclass(kw_only=True)
class TransferGroup(Block):
    tasks: list[str] = field(default_factory=list)
    base_accuracy: float | None = None
    trained_accuracy: float | None = None
    delta: float | None = None
    relative_gain: float | None = None


@dataclass(kw_only=True)
class Transfer(Block):
    """Base vs trained (evaluate/transfer.py), recorded in a summary made with --baseline."""

    base: str | None = None
    trained: str | None = None
    trained_tasks: list[str] = field(default_factory=list)
    tasks: dict[str, TaskTransfer] = field(default_factory=dict)
    in_domain: TransferGroup = field(default_factory=TransferGroup)
    out_of_domain: TransferGroup = field(default_factory=TransferGroup)
    transferability_index: float | None = None
    transferability_note: str = ""
    missing: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Summary(Block):
    """One run folder's summary. ``tasks`` is required; blocks that a file lacks are None
    (and stay out of the file when it is written again)."""

    schema_version: int = SCHEMA_VERSION
    suite: str | None = None
    model: dict[str, Any] = field(default_factory=dict)
    thinking_budget: int | None = None
    complete: bool = True
    samples: int = 0
    samples_expected: int = 0
    tasks: dict[str, TaskSummary]
    domains: dict[str, Group] = field(default_factory=dict)
    overall: Overall | None = None
    calibration: Calibration | None = None
    cost: Cost | None = None
    scaling: Scaling | None = None
    versions: dict[str, Any] = field(default_factory=dict)
    created: str | None = None
    generation_errors: int | None = None    # set by the runner: samples whose generation failed
    transfer: Transfer | None = None         # only with --baseline

    omit_when_none = frozenset({"overall", "calibration", "cost", "scaling", "created",
                                "generation_errors", "transfer"})

    @property
    def model_name(self) -> str | None:
        name = self.model.get("name")
        return str(name) if name else None

    @classmethod
    def from_dict(cls, raw: Any, *, source: str | None = None, where: str = "") -> Summary:
        """A summary from its JSON object; ``source`` names the file in errors."""
        if not isinstance(raw, dict) or not isinstance(raw.get("tasks"), dict):
            raise InputError("not a reasonlab eval summary (no 'tasks')", file=source,
                             field="tasks")
        version = raw.get("schema_version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InputError(f"must be a positive integer, got {version!r}", file=source,
                             field="schema_version")
        if version > SCHEMA_VERSION:
            raise InputError(f"written by a newer reasonlab (schema_version {version}; this "
                             f"one reads up to {SCHEMA_VERSION}): upgrade reasonlab to read it",
                             file=source, field="schema_version")
        summary = super().from_dict({**raw, "schema_version": version}, source=source,
                                    where=where)
        return summary

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, always in the current layout (``schema_version`` 2; version 1 has
        the same layout, so a version-1 summary written again is a valid version 2)."""
        return {**super().to_dict(), "schema_version": SCHEMA_VERSION}


def summary_path(source: str | os.PathLike) -> Path:
    """``summary.json`` of a run folder, or ``source`` itself when it is not a folder."""
    path = Path(source)
    return path / SUMMARY_FILE if path.is_dir() else path


def has_summary(folder: str | os.PathLike) -> bool:
    return (Path(folder) / SUMMARY_FILE).is_file()


def read_summary(source: str | os.PathLike) -> Summary:
    """The summary of a run folder (or of that file's path); a missing, unreadable or malformed
    file is an ``InputError`` naming the file (and the line or field)."""
    path = summary_path(source)
    if not path.is_file():
        raise InputError("cannot read run summary (no such file); run `reasonlab eval` "
                         "into that folder first", file=str(path))
    try:
        raw = json.loads(read_text(path))     # bad bytes: file and line
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg})", file=str(path), line=exc.lineno) from None
    return Summary.from_dict(raw, source=str(path))


def write_summary(folder: str | os.PathLike, summary: Summary) -> Path:
    """Write ``summary`` as ``folder/summary.json`` (or to ``folder`` when it names a .json
    file), atomically; returns the path. NaN is refused: an undefined metric is null."""
    target = Path(folder)
    path = target if target.suffix == ".json" else target / SUMMARY_FILE
    with atomic_writer(path) as handle:
        json.dump(summary.to_dict(), handle, indent=2, ensure_ascii=False, allow_nan=False)
        handle.write("\n")
    return path
