"""Running a suite against a model into a run folder, resumably.

The suite expands into work units — (item, sample) with the stable key ``(id, sample)`` — in a
fixed order. Each finished sample is verified and appended to ``samples.jsonl`` as one line,
flushed at once (fsync'd every few seconds), so a run killed at any point, even by SIGKILL,
resumes where it stopped: rerunning the same command skips the keys already on disk, after
cutting off a torn last line. A folder made with a materially different configuration is
refused rather than mixed. A lock file keeps two runs from writing one folder.

Run folder: ``config.yaml`` (resolved), ``samples.jsonl``, ``summary.json``; a thinking-budget
sweep adds one sub-folder per budget (``budget-<B>/``, each a run folder of its own).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonlab import __version__
from reasonlab.core.errors import ConfigError, InputError, ReasonlabError
from reasonlab.core.item import Item
from reasonlab.core.prompting import build_prompt, choose_confidence
from reasonlab.core.summary import Scaling, Summary, Transfer, read_summary, write_summary
from reasonlab.core.thinking import thinking_tokens
from reasonlab.evaluate.flexible import verdict_fields
from reasonlab.evaluate.model_loading import check_model_spec, fit_threads, load_for_eval
from reasonlab.evaluate.runfolder import (
    SAMPLES,
    SampleWriter,
    check_config,
    check_or_write_config,
    folder_lock,
    generation_failed,
    model_identity,
    previous_model_info,
    read_samples,
)
from reasonlab.evaluate.suite import Suite
from reasonlab.models.base import Generation, Model, SamplingParams
from reasonlab.models.openai_client import EndpointError
from reasonlab.models.prompt_form import decide_for

FLUSH_EVERY_S = 1.0   # longest a finished sample waits to be verified and written


@dataclass
class WorkUnit:
    """One sample to generate: ``position`` is its place in the suite's full expansion."""

    item: Item
    sample: int
    position: int

    @property
    def key(self) -> tuple[str, int]:
        return self.item.id, self.sample


def expand(suite: Suite) -> list[WorkUnit]:
    """Every (item, sample) of the suite in a fixed order: task entries as listed, difficulties
    ascending, items by index, samples by number (so an item's samples sit side by side)."""
    from reasonlab.tasks import get_task

    units: list[WorkUnit] = []
    for entry in suite.tasks:
        task = get_task(entry.task, **entry.config)
        for difficulty in entry.difficulties:
            for item in task.sample(entry.items, difficulty, seed=suite.seed):
                for sample in range(entry.samples):
                    units.append(WorkUnit(item, sample, len(units)))
    return units


def resolved_config(suite: Suite, model_spec: str, *, batch_size: int,
                    thinking_budget: int | None, min_thinking: int | None,
                    prices: tuple[float, float] | None,
                    prompt_form: str = "bare") -> dict[str, Any]:
    """What config.yaml records: enough to rerun the evaluation and to tell whether a folder can
    be resumed with the current settings. ``prompt_form``: chat or bare (models/prompt_form.py)."""
    return {
        "reasonlab_version": __version__,
        "model": model_spec,
        "prompt_form": prompt_form,
        "suite_source": suite.source,
        "suite": suite.to_dict(),
        "thinking_budget": thinking_budget,
        "min_thinking_tokens": min_thinking,
        "batch_size": batch_size,
        "prices": list(prices) if prices else None,
    }


def sample_row(unit: WorkUnit, gen: Generation, model_name: str,
               thinking_budget: int | None) -> dict[str, Any]:
    """The eval-sample line (docs/evaluation.md, "Run folder") before its verdict is attached.
    The item's teacher trace is left out: it is a reference completion, not part of what was
    evaluated."""
    row = unit.item.to_dict()
    row.pop("teacher", None)
    completion = gen.full_text
    confidence, source = choose_confidence(gen.text, gen.token_confidence)
    # One definition of thinking (core/thinking.py): a completion without tags has the thinking
    # tokens of its text before the answer, whatever the backend counted.
    thinking = thinking_tokens(completion, gen.completion_tokens, gen.thinking_tokens)
    row.update({
        "model": model_name, "sample": unit.sample, "completion": completion,
        "thinking_tokens": thinking,
        "answer_tokens": max(0, gen.completion_tokens - thinking),
        "prompt_tokens": gen.prompt_tokens, "completion_tokens": gen.completion_tokens,
        "confidence": confidence, "confidence_source": source,
        "token_confidence": gen.token_confidence, "finish_reason": gen.finish_reason,
        "latency_s": round(gen.latency_s, 4), "thinking_budget": thinking_budget,
    })
    if gen.error:
        row["error"] = gen.error
    return row


class _Sink:
    """Receives finished generations, verifies them a few at a time and appends their lines."""

    def __init__(self, writer: SampleWriter, bar: Any, model_name: str,
                 thinking_budget: int | None, every: int = 8):
        self.writer, self.bar, self.model_name = writer, bar, model_name
        self.thinking_budget, self.every = thinking_budget, every
        self.batch: list[WorkUnit] = []
        self.reported: set[int] = set()
        self.pending: list[tuple[WorkUnit, Generation]] = []
        self.oldest = 0.0

    def start(self, batch: list[WorkUnit]) -> None:
        self.batch, self.reported = batch, set()

    def on_done(self, index: int, gen: Generation) -> None:
        self.reported.add(index)
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending.append((self.batch[index], gen))
        # Verifying a few at a time lets pooled verifiers (math, code) work in parallel; the
        # time bound keeps a slow stream of samples from waiting in memory.
        if len(self.pending) >= self.every or time.monotonic() - self.oldest >= FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        from reasonlab.core.verdict import error as error_verdict
        from reasonlab.verifiers import verify_many

        ok = [(u, g) for u, g in self.pending if g.finish_reason != "error"]
        pairs = [(u.item, g.full_text) for u, g in ok]
        strict = verify_many(pairs)
        verdicts = iter(zip(strict, verdict_fields(pairs, strict), strict=True))
        for unit, gen in self.pending:
            row = sample_row(unit, gen, self.model_name, self.thinking_budget)
            # A failed generation is written (so the run ends) as an undecided sample: it is
            # counted with the errors, never as a wrong answer.
            if gen.finish_reason == "error":
                row["verdict"] = error_verdict(unit.item.id,
                                               f"generation failed: {gen.error}").to_dict()
            else:
                verdict, fields = next(verdicts)
                row["verdict"] = verdict.to_dict()
                row.update(fields)      # format_ok, flexible (evaluate/flexible.py)
            self.writer.write(row)
        self.bar.update(len(self.pending))
        self.pending.clear()


def stop_strings(suite: Suite) -> list[str]:
    """Stop after the answer block — unless a confidence line is asked for, which comes after
    it; then the model's end token (or max_tokens) ends the completion."""
    return [] if suite.confidence else ["</answer>"]


def generate_missing(model: Model, suite: Suite, out: Path, *, batch_size: int,
                     thinking_budget: int | None, min_thinking: int | None,
                     progress: bool = True, label: str = "eval") -> int:
    """Generate, verify and append every unit not yet in ``out/samples.jsonl``; returns how many
    were generated now."""
    from tqdm import tqdm

    path = out / SAMPLES
    # A sample whose generation failed (endpoint down mid-run) is retried, not kept.
    done = {(str(r["id"]), int(r["sample"])) for r in read_samples(path, repair=True)
            if not generation_failed(r)}
    units = expand(suite)
    todo = [u for u in units if u.key not in done]
    if not todo:
        return 0
    writer = SampleWriter(path)
    bar = tqdm(total=len(units), initial=len(units) - len(todo), desc=label, unit="sample",
               dynamic_ncols=True, disable=not progress, file=sys.stderr)
    sink = _Sink(writer, bar, model.name, thinking_budget)
    try:
        for start in range(0, len(todo), batch_size):
            sink.start(todo[start:start + batch_size])
            prompts = [build_prompt(u.item.prompt, suite.template, suite.confidence)
                       for u in sink.batch]
            # A seed tied to the batch's first unit keeps a resumed run's sampling reproducible
            # whenever it restarts on the same batch boundary.
            params = SamplingParams(
                max_tokens=suite.max_tokens, temperature=suite.temperature or 0.0,
                top_p=suite.top_p, seed=suite.seed * 1_000_003 + sink.batch[0].position,
                thinking_budget=thinking_budget, min_thinking_tokens=min_thinking,
                stop=stop_strings(suite))
            results = model.generate(prompts, params, on_done=sink.on_done)
            for index, gen in enumerate(results):   # any the backend did not report as done
                if index not in sink.reported:
                    sink.on_done(index, gen)
            sink.flush()
            if results and all(g.finish_reason == "error" for g in results):
                # A whole batch failed: if the endpoint is gone, stop here rather than spend a
                # retry window on every remaining batch (check_health raises EndpointError).
                check = getattr(model, "check_health", None)
                if check is not None:
                    check()
    finally:
        bar.close()
        writer.close()
    return len(todo)


def run_eval(model: Model | str, suite: Suite, out: str | os.PathLike, *, batch_size: int = 64,
             prices: tuple[float, float] | None = None, progress: bool = True,
             baseline: str | None = None, trained_tasks: list[str] | None = None,
             threads: int | None = None, chat_template: str = "auto",
             announce: Callable[[str], None] | None = None) -> Summary:
    """Evaluate ``model`` on ``suite`` into the folder ``out`` (resuming what is there) and return
    the summary also written to ``out/summary.json``. With ``suite.thinking_budgets`` the suite
    runs again at each budget into ``out/budget-<B>/`` and the main summary gets the curve.
    ``threads``: torch CPU threads while a local model generates (None = one for models under
    ``SMALL_MODEL_PARAMETERS``, else torch's default); restored afterwards. ``chat_template``:
    auto | on | off, the prompt form (``models/prompt_form.py``), recorded in config.yaml;
    ``announce`` is told which form it is once every check has passed.

    Everything is checked before ``out`` is created — the model spec, the folder's earlier
    settings, the baseline, and (when there is anything to generate) that the model loads and an
    endpoint answers — so bad input never leaves a half-made run folder. Samples whose
    generation failed leave the run incomplete (``complete: false``, ``generation_errors``);
    rerunning retries them (the command then fails with ``EvalIncomplete``)."""
    if batch_size < 1:
        raise ConfigError(f"must be at least 1, got {batch_size}", field="--batch-size")
    spec = model if isinstance(model, str) else model.name
    forcing = suite.thinking_budgets or suite.thinking_budget or suite.min_thinking_tokens
    if forcing and spec.startswith("openai:"):
        raise ConfigError("budget forcing needs a local model (it edits the token stream); an "
                          "HTTP endpoint cannot do it", file=suite.source,
                          field="thinking_budgets" if suite.thinking_budgets else
                          "thinking_budget" if suite.thinking_budget else "min_thinking_tokens")
    if isinstance(model, str):
        check_model_spec(model)
        spec = model_identity(model)
        form = decide_for(model, chat_template)
    else:
        form = getattr(model, "prompt_form", None) or decide_for(model.name, chat_template)
    if baseline:
        read_summary(baseline)    # a bad baseline is refused now, not after the whole run
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a run folder", file=str(out), field="--out")
    runs: list[tuple[Path, int | None, int | None]] = [
        (out, suite.thinking_budget, suite.min_thinking_tokens)]
    for budget in suite.thinking_budgets:
        runs.append((out / f"budget-{budget}", budget,
                     budget if suite.budget_mode == "exact" else None))
    configs = [resolved_config(suite, spec, batch_size=batch_size, thinking_budget=cap,
                               min_thinking=floor, prices=prices, prompt_form=form.name)
               for _, cap, floor in runs]
    for (folder, _, _), config in zip(runs, configs, strict=True):
        check_config(folder, config)
    pending = [_pending(folder, suite) for folder, _, _ in runs]
    loaded: Model | None = None
    restore_threads: int | None = None
    info = model.info() if isinstance(model, Model) else previous_model_info(out, spec)
    try:
        if any(pending):
            loaded = load_for_eval(model, batch_size, form.requested)
            info = loaded.info()
            if loaded is not model:
                restore_threads = fit_threads(info, threads)
        if announce is not None:     # every check passed, the model (if needed) answers
            announce(form.describe())
        out.mkdir(parents=True, exist_ok=True)
        with folder_lock(out):
            for (folder, _, _), config in zip(runs, configs, strict=True):
                folder.mkdir(parents=True, exist_ok=True)
                check_or_write_config(folder, config)
            stopped: ReasonlabError | None = None
            try:
                for number, (folder, cap, floor) in enumerate(runs):
                    if not pending[number]:
                        continue
                    label = "eval" if number == 0 else f"eval@{cap}"
                    generate_missing(loaded, suite, folder, batch_size=batch_size,
                                     thinking_budget=cap, min_thinking=floor,
                                     progress=progress, label=label)
            except EndpointError as exc:
                stopped = EvalIncomplete(f"{exc}; stopped, the run is incomplete - rerun the "
                                         "same command to continue")
            info = {**info, "prompt_form": form.name}
            main = _summaries(runs, suite, info, prices, baseline, trained_tasks)
            if stopped is not None:
                raise stopped     # after the summary that says complete: false
    finally:
        if loaded is not None and loaded is not model:
            loaded.close()
        if restore_threads is not None:
            import torch

            torch.set_num_threads(restore_threads)
        from reasonlab.verifiers import close_all

        close_all()
    return main


class EvalIncomplete(ReasonlabError):
    """Some samples' generation failed (e.g. the endpoint went away mid-run); they are on disk
    as failed, the summary says ``complete: false``, and rerunning the command retries them."""


def _summaries(runs: list[tuple[Path, int | None, int | None]], suite: Suite,
               info: dict[str, Any], prices: tuple[float, float] | None,
               baseline: str | None, trained_tasks: list[str] | None) -> Summary:
    """Summarize every run folder (the main one last, with the budget curve and transfer)."""
    from reasonlab.evaluate.summary import summarize

    summaries = []
    for folder, cap, _ in runs:
        rows = read_samples(folder / SAMPLES)
        summary = summarize(rows, suite, model_info=info, prices=prices, thinking_budget=cap)
        failed = sum(generation_failed(r) for r in rows)
        summary.generation_errors = failed
        if failed:
            summary.complete = False
        summaries.append((cap, summary))
        if folder != runs[0][0]:
            write_summary(folder, summary)
    main = summaries[0][1]
    if len(summaries) > 1:
        from reasonlab.evaluate.scaling import budget_curve

        if main.scaling is None:
            main.scaling = Scaling()
        main.scaling.thinking_budget = budget_curve(summaries)
    if baseline:
        from reasonlab.evaluate.transfer import transfer

        main.transfer = Transfer.from_dict(
            transfer(baseline, main, trained_tasks=trained_tasks or []), where="transfer")
    write_summary(runs[0][0], main)
    return main


def _pending(folder: Path, suite: Suite) -> bool:
    """Whether ``folder`` still lacks samples (or holds failed ones to retry)."""
    rows = read_samples(folder / SAMPLES)
    return (len(rows) < suite.total_samples()) or any(generation_failed(r) for r in rows)
