"""From a run's samples to its ``Summary`` (``reasonlab.core.summary``, which reads and writes
``summary.json``): accuracy per task × difficulty, calibration, compute allocation, reflection,
cost, test-time scaling, and the versions of everything that made them.

The metric definitions live in ``metrics.py``; this module only groups samples and calls them.
Accuracy is over decided samples (verdict not ``error``/``timeout``); see ``metrics.py``.
"""

from __future__ import annotations

import platform
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from reasonlab import __version__
from reasonlab.core.summary import SCHEMA_VERSION, Summary
from reasonlab.core.thinking import think_span
from reasonlab.core.thinking import thinks as thinks_text
from reasonlab.evaluate import metrics as M
from reasonlab.evaluate import overthinking
from reasonlab.evaluate.flexible import annotate, flexible_block
from reasonlab.evaluate.suite import Suite

UNDECIDED = ("error", "timeout")
CALIBRATION_BETA = 100   # HLE's bin size


def status(row: dict[str, Any]) -> str:
    return (row.get("verdict") or {}).get("status", "error")


def is_decided(row: dict[str, Any]) -> bool:
    return status(row) not in UNDECIDED


def is_correct(row: dict[str, Any]) -> bool:
    return status(row) == "correct"


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def thinking_text(completion: str) -> str:
    """The reasoning part of a completion (``core.thinking``: inside ``<think>``, or before the
    answer for a model that writes no tags)."""
    return think_span(completion).text


def thinks(row: dict[str, Any]) -> bool:
    """Whether a sample reasoned at all: its thinking (``thinking_text``) is not blank."""
    return thinks_text(row.get("completion") or "")


def think_rate(rows: list[dict[str, Any]]) -> float | None:
    """The share of decided samples whose thinking is non-empty; None without decided samples.
    A model can have the skill of reasoning and not the habit: this is the habit."""
    decided = [r for r in rows if is_decided(r)]
    return sum(thinks(r) for r in decided) / len(decided) if decided else None


def mean_within_tasks(rows: list[dict[str, Any]]) -> float | None:
    """Spearman ρ(thinking tokens, difficulty) within each task, averaged over the tasks where
    it is defined. Pooled across tasks it would mostly measure how tasks differ in length."""
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_task[r.get("task")].append(r)
    return _mean(rho for rho in (_spearman_tokens(group) for group in by_task.values())
                 if rho is not None)


def _spearman_tokens(rows: list[dict[str, Any]]) -> float | None:
    return M.spearman([float(r.get("thinking_tokens") or 0) for r in rows],
                      [r["difficulty"] for r in rows])


def item_clusters(decided: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(correct, samples) per distinct item (``cluster_key``): the samples of one item are
    not independent."""
    groups: dict[Any, list[int]] = {}
    for k, r in enumerate(decided):
        cell = groups.setdefault(M.cluster_key(r, k), [0, 0])
        cell[0] += is_correct(r)
        cell[1] += 1
    return [(c, m) for c, m in groups.values()]


def accuracy_block(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """accuracy, Wilson ci95, n (decided samples), n_total, and the counts of verifier errors,
    timeouts and unparsable answers of a group. ``n_distinct`` counts distinct prompts among
    the decided samples. With several samples per prompt (more samples per item, or an item
    drawn twice) the interval is the clustered Wilson one on the effective sample size
    ``n_eff`` (``metrics.py``); with one sample per prompt ``n_eff == n`` and it is the plain
    Wilson interval."""
    decided = [r for r in rows if is_decided(r)]
    correct = sum(is_correct(r) for r in decided)
    clusters = item_clusters(decided)
    ci = M.clustered_wilson_interval(clusters)
    n_eff = M.effective_sample_size(clusters)
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[status(r)] += 1
    return {
        "accuracy": correct / len(decided) if decided else None,
        "ci95": list(ci) if ci else None,
        "n": len(decided), "n_total": len(rows), "correct": correct,
        # Undecided samples, kept apart from accuracy and from each other:
        # n + errors + timeouts == n_total.
        "errors": counts["error"], "timeouts": counts["timeout"],
        "unparsable": counts["unparsable"],
        "n_items": len({r.get("id") for r in decided}), "n_distinct": len(clusters),
        "n_eff": n_eff,
        **flexible_block(rows),
    }


def compute_block(rows: list[dict[str, Any]],
                  after_correct: dict[int, overthinking.AfterFirstCorrect | None] | None = None,
                  ) -> dict[str, Any]:
    """Where the thinking tokens went: mean, ρ(tokens, difficulty), correct vs wrong, and —
    given ``after_correct`` (``id(row)`` → its value, from ``overthinking.first_correct``) —
    the thinking tokens spent after the first correct answer."""
    made = [r for r in rows if r.get("finish_reason") != "error"]
    tokens = [float(r.get("thinking_tokens") or 0) for r in made]
    decided = [r for r in made if is_decided(r)]
    return {
        "think_rate": think_rate(made),
        "mean_thinking_tokens": _mean(tokens),
        "mean_answer_tokens": _mean(float(r.get("answer_tokens") or 0) for r in made),
        "spearman_tokens_difficulty": mean_within_tasks(made),
        "thinking_tokens_correct": _mean(float(r.get("thinking_tokens") or 0)
                                         for r in decided if is_correct(r)),
        "thinking_tokens_wrong": _mean(float(r.get("thinking_tokens") or 0)
                                       for r in decided if not is_correct(r)),
        "reflection_per_1k": M.reflection_rate(
            [thinking_text(r.get("completion", "")) for r in made],
            [int(r.get("thinking_tokens") or 0) for r in made]),
        **({} if after_correct is None else {"tokens_after_first_correct": overthinking.aggregate(
            rows, [after_correct.get(id(r)) for r in rows])}),
    }


def _calibration(pairs: list[tuple[float, bool]]) -> dict[str, Any]:
    """The calibration metrics of (confidence, correct) pairs; each one that is undefined for
    this many samples is null, and ``undefined`` says why (the report and terminal print it)."""
    conf = [c for c, _ in pairs]
    corr = [k for _, k in pairs]
    block = {
        "rms_hle": M.finite_or_none(M.calibration_error(conf, corr, "hle", CALIBRATION_BETA)),
        "rms_all_bins": M.finite_or_none(
            M.calibration_error(conf, corr, "all-bins", CALIBRATION_BETA)),
        "ece": M.finite_or_none(M.ece(conf, corr)),
        "brier": M.finite_or_none(M.brier(conf, corr)),
        "n": len(pairs), "mean_confidence": _mean(conf),
    }
    why = {"rms_hle": f"HLE's method needs ≥ {M.min_samples('hle', CALIBRATION_BETA)} samples",
           "rms_all_bins": f"needs ≥ {M.min_samples('all-bins', CALIBRATION_BETA)} samples "
                           f"(one bin of {CALIBRATION_BETA})",
           "ece": "no samples with a confidence", "brier": "no samples with a confidence"}
    block["undefined"] = {key: ("no samples with a confidence" if not pairs else reason)
                          for key, reason in why.items() if block[key] is None}
    return block


def calibration_block(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """RMS (HLE and all-bins), ECE and Brier over decided samples that carry a confidence (the
    verbalized one when given, else the answer tokens'); ``by_source`` splits the two, the
    token one computed wherever the backend reported it. RMS needs ``beta`` = 100 samples per
    bin, so ``rms_all_bins`` is null below 100 samples and ``rms_hle``, which leaves out its last
    bin, below 200 (HLE's code returns 0.0 there, having measured nothing)."""
    decided = [r for r in rows if is_decided(r)]
    pairs = [(float(r["confidence"]), is_correct(r)) for r in decided
             if r.get("confidence") is not None]
    verbal = [(float(r["confidence"]), is_correct(r)) for r in decided
              if r.get("confidence") is not None and r.get("confidence_source") == "verbalized"]
    tokens = [(float(r["token_confidence"]), is_correct(r)) for r in decided
              if r.get("token_confidence") is not None]
    return {**_calibration(pairs), "beta": CALIBRATION_BETA,
            "by_source": {"verbalized": _calibration(verbal), "tokens": _calibration(tokens)}}


def cost_block(rows: list[dict[str, Any]], prices: tuple[float, float] | None) -> dict[str, Any]:
    prompt = sum(int(r.get("prompt_tokens") or 0) for r in rows)
    completion = sum(int(r.get("completion_tokens") or 0) for r in rows)
    correct = sum(is_correct(r) for r in rows)
    money = M.cost(prompt, completion, *(prices or (None, None)))
    return {
        "prompt_tokens": prompt, "completion_tokens": completion,
        "thinking_tokens": sum(int(r.get("thinking_tokens") or 0) for r in rows),
        "answer_tokens": sum(int(r.get("answer_tokens") or 0) for r in rows),
        "tokens_per_correct": completion / correct if correct else None,
        "prices_per_1m": list(prices) if prices else None,
        "money": money, "money_per_correct": money / correct if money is not None and correct
        else None,
        "mean_latency_s": _mean(float(r.get("latency_s") or 0) for r in rows),
    }


def task_block(rows: list[dict[str, Any]],
               after_correct: dict[int, overthinking.AfterFirstCorrect | None] | None = None,
               ) -> dict[str, Any]:
    by_difficulty: dict[str, Any] = {}
    for difficulty in sorted({r["difficulty"] for r in rows}):
        cell = [r for r in rows if r["difficulty"] == difficulty]
        compute = compute_block(cell)
        by_difficulty[str(difficulty)] = {
            **accuracy_block(cell), "think_rate": compute["think_rate"],
            "mean_thinking_tokens": compute["mean_thinking_tokens"],
            "thinking_tokens_correct": compute["thinking_tokens_correct"],
            "thinking_tokens_wrong": compute["thinking_tokens_wrong"]}
    return {"domain": rows[0].get("domain"), **accuracy_block(rows),
            **compute_block(rows, after_correct),
            "by_difficulty": by_difficulty}


def summarize(rows: list[dict[str, Any]], suite: Suite, *, model_info: dict[str, Any],
              prices: tuple[float, float] | None = None,
              thinking_budget: int | None = None) -> Summary:
    """The summary of one run folder's samples (the layout is ``core/summary.py``'s)."""
    from reasonlab.evaluate.scaling import samples_curve

    annotate(rows)     # lines of runs made before strict/flexible were recorded
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_task[r["task"]].append(r)
        by_domain[r.get("domain") or "unknown"].append(r)
    order = [e.task for e in suite.tasks if e.task in by_task]
    order += sorted(set(by_task) - set(order))
    expected = suite.total_samples()
    after_correct = {id(r): v for r, v in zip(rows, overthinking.first_correct(rows),
                                               strict=True)}
    return Summary.from_dict({
        "schema_version": SCHEMA_VERSION,
        "suite": suite.name,
        "model": model_info,
        "thinking_budget": thinking_budget,
        "complete": len(rows) >= expected, "samples": len(rows), "samples_expected": expected,
        "tasks": {name: task_block(by_task[name], after_correct) for name in order},
        "domains": {d: accuracy_block(by_domain[d]) for d in sorted(by_domain)},
        "overall": {**accuracy_block(rows), **compute_block(rows, after_correct)},
        "calibration": calibration_block(rows),
        "cost": cost_block(rows, prices),
        "scaling": {"samples": samples_curve(rows)},
        "versions": versions(suite, rows),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })


def versions(suite: Suite, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """reasonlab's version, each task generator's and each verifier's: what made the numbers."""
    from reasonlab.tasks import get_task
    from reasonlab.verifiers import verifier_versions

    tasks = {e.task: get_task(e.task, **e.config).versions() for e in suite.tasks}
    specs = {r.get("verifier") or "exact" for r in rows}
    try:
        verifiers = verifier_versions(specs)
    except Exception as exc:  # noqa: BLE001  (an unknown verifier already shows as error verdicts)
        verifiers = {"unavailable": str(exc)}
    return {"reasonlab": __version__, "python": platform.python_version(), "tasks": tasks,
            "verifiers": verifiers}

