"""Two report sections on what RL traded: the reasoning boundary (pass@k against k, out to large
k, for the model before and after RL: did RL find new solutions, or sharpen ones the base model
could already sample?) and the cost frontier (accuracy against the tokens, or dollars, it cost:
one point per model and thinking budget, the Pareto-optimal ones joined)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure as MplFigure

from reasonlab.report.frontier import Point, frontier_points, pareto, with_budgets
from reasonlab.report.load import ReportInputs, read_samples_of
from reasonlab.report.parts import Figure, Section, Table, ci_text, pct
from reasonlab.report.plots import (
    BASE_COLOR,
    PRETRAINED_COLOR,
    RUN_COLOR,
    SKILL_COLOR,
    _bars,
    _log2_axis,
    png,
)

COLORS = {"base": BASE_COLOR, "skill": SKILL_COLOR, "rl": RUN_COLOR,
          "pretrained": PRETRAINED_COLOR}


def boundary_plot(curves: dict[str, dict[str, dict[str, list]]], tasks: list[str]) -> bytes:
    """pass@k against k (log axis), one panel per task, one line per model, 95 % bars."""
    fig = MplFigure(figsize=(4.2 * len(tasks), 3.4), layout="constrained")
    axes = fig.subplots(1, len(tasks), squeeze=False).ravel().tolist()
    for ax, task in zip(axes, tasks, strict=True):
        ks: list[int] = []
        for run, by_task in curves.items():
            curve = by_task.get(task)
            if not curve or not curve["k"]:
                continue
            ks += curve["k"]
            ys = [100 * v for v in curve["pass_at_k"]]
            lo = [100 * (v - (c or [v, v])[0]) for v, c in zip(curve["pass_at_k"],
                                                               curve["ci95"], strict=True)]
            hi = [100 * ((c or [v, v])[1] - v) for v, c in zip(curve["pass_at_k"],
                                                               curve["ci95"], strict=True)]
            ax.errorbar(curve["k"], ys, yerr=_bars(lo, hi), marker="o", capsize=3,
                        color=COLORS.get(run, "#555555"), label=run,
                        linestyle="--" if run == "base" else "-")
        if ks:
            _log2_axis(ax, ks)
        ax.set_ylim(0, 102)
        ax.set_xlabel("k (samples per item)")
        ax.set_ylabel("pass@k (%)")
        ax.set_title(task, fontsize=10)
        ax.legend(fontsize=8)
    return png(fig)


def boundary_section(inputs: ReportInputs) -> Section:
    s = Section("boundary", "Reasoning boundary: pass@k against k",
                "Each model sampled K times per item at one temperature; pass@k is the unbiased "
                "estimator averaged over items, with 95 % intervals from a bootstrap over "
                "items. If RL only sharpened what the base model could already sample, RL wins "
                "at k = 1 and the base model catches up, or overtakes it, at large k (Yue et "
                "al. 2025); if RL found new solutions it stays above at every k.")
    curves = inputs.demo.get("boundary") if inputs.demo else None
    if not curves:
        s.notes.append("No sampled evaluation with several samples per item (a demo's "
                       "boundary stage, skipped with --no-boundary), so no boundary to draw.")
        return s
    tasks = sorted({t for by_task in curves.values() for t in by_task})
    s.figures.append(Figure("boundary", boundary_plot(curves, tasks),
                            "pass@k against k for each model, one panel per task"))
    meta = inputs.demo.get("boundary_settings") or {}
    if meta:
        s.intro += (f" Here: {meta.get('samples')} samples per item at temperature "
                    f"{meta.get('temperature')}, {meta.get('items')} items per cell.")
    crossings = inputs.demo.get("boundary_crossover") or {}
    rows = []
    for task in tasks:
        k = crossings.get(task)
        base, rl = (curves.get("base") or {}).get(task), (curves.get("rl") or {}).get(task)
        said = ("n/a" if not base or not rl else
                f"base overtakes rl at k = {k}" if k is not None else
                "no crossover: " + ("rl stays above base at every k"
                                    if rl["pass_at_k"][0] > base["pass_at_k"][0]
                                    else "base is not below rl at k = 1"))
        last = {run: by_task.get(task) for run, by_task in curves.items()}
        at = "; ".join(f"{run} {pct(c['pass_at_k'][0])} → {pct(c['pass_at_k'][-1])} "
                       f"(k = {c['k'][-1]})" for run, c in last.items() if c and c["k"])
        rows.append([task, said, at])
    s.tables.append(Table(["task", "crossover", "pass@1 → pass@K"], rows))
    return s


def frontier_plot(points: list[Point], front: list[Point], cost: str, xlabel: str) -> bytes:
    fig = MplFigure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.subplots()
    for p in points:
        if p.accuracy is None or getattr(p, cost) is None:
            continue
        lo, hi = p.ci95 or [p.accuracy, p.accuracy]
        base = p.label.split("@")[0]
        ax.errorbar([getattr(p, cost)], [100 * p.accuracy],
                    yerr=_bars([100 * (p.accuracy - lo)], [100 * (hi - p.accuracy)]),
                    marker="o", capsize=3, color=COLORS.get(base, "#555555"),
                    alpha=1.0 if p in front else 0.5)
        ax.annotate(p.label, (getattr(p, cost), 100 * p.accuracy), fontsize=8,
                    textcoords="offset points", xytext=(4, 4))
    if front:
        ax.plot([getattr(p, cost) for p in front], [100 * p.accuracy for p in front],
                color="#b3261e", linewidth=1.2, label="Pareto frontier")
        ax.legend(fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 102)
    return png(fig)


def frontier_section(inputs: ReportInputs) -> Section:
    s = Section("frontier", "The cost of thinking: accuracy against tokens and dollars",
                "One point per model and thinking budget: accuracy (95 % interval) against the "
                "mean tokens it generated per item, and against dollars per item when prices "
                "are given; the points no other beats on both (at least as accurate for at "
                "most the cost) are joined.")
    runs = frontier_runs(inputs)
    if len(runs) < 2:
        s.notes.append("One run only: a frontier needs several models or thinking budgets "
                       "(`reasonlab report RUN RUN ...`, or a run with a --budgets sweep).")
        return s
    points, cells = frontier_points(runs, inputs.prices)
    s.intro += " Cells compared (those every point shares): " + ", ".join(cells) + "."
    front = pareto(points)
    s.figures.append(Figure("frontier_tokens", frontier_plot(points, front, "tokens",
                                                             "mean generated tokens per item"),
                            "accuracy against mean generated tokens"))
    if inputs.prices is not None:
        money = pareto(points, cost="dollars")
        s.figures.append(Figure("frontier_dollars", frontier_plot(
            points, money, "dollars", f"USD per item (at {inputs.prices[0]:g} / "
                                      f"{inputs.prices[1]:g} per 1M tokens in / out)"),
            "accuracy against dollars per item"))
    on = {p.label for p in front}
    s.tables.append(Table(
        ["point", "accuracy [95%]", "mean tokens", "tokens per correct", "USD per correct",
         "on the frontier"],
        [[p.label, f"{pct(p.accuracy)} {ci_text(p.ci95)}",
          "n/a (no token counts)" if p.tokens is None else f"{p.tokens:.1f}",
          "n/a" if p.tokens_per_correct is None else f"{p.tokens_per_correct:.1f}",
          "n/a (no prices)" if inputs.prices is None else
          "n/a" if p.dollars_per_correct is None else f"{p.dollars_per_correct:.6f}",
          "yes" if p.label in on else ""] for p in points]))
    return s


def frontier_runs(inputs: ReportInputs) -> list[tuple[str, list[dict[str, Any]]]]:
    """(label, sample lines) of every run on the frontier: a demo's named frontier runs, or
    the page's runs (each with its thinking-budget sweep) and the extra runs given."""
    out: list[tuple[str, list[dict[str, Any]]]] = []
    if inputs.demo and inputs.demo.get("frontier") and inputs.demo_root is not None:
        for label, folder in inputs.demo["frontier"].items():
            out.append((label, read_samples_of(inputs.demo_root / folder)))
        return out
    named = [(r.path.name, r) for r in (inputs.baseline, inputs.run) if r is not None]
    named += [(r.path.name, r) for r in inputs.extra]
    seen = set()
    for label, run in named:
        for name, folder in with_budgets(label, run.path):
            if folder.resolve() in seen:
                continue
            seen.add(folder.resolve())
            out.append((name, read_samples_of(folder)))
    return out
