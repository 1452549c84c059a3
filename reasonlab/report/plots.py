"""The report's figures: one function per figure, each returning PNG bytes.

matplotlib's object API (``Figure`` + the Agg canvas) is used instead of ``pyplot``, so drawing
never touches global state or needs a display. The functions draw numbers they are given —
accuracies, intervals and curves from the summaries — and compute none of their own except the
binning of a reliability diagram. Figures by difficulty and per task (accuracy, think rate,
thinking tokens) are in ``plots_behaviour.py``, the training run's in ``plots_training.py``.
"""

from __future__ import annotations

import io
import math
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from reasonlab.core.summary import BudgetPoint, SamplesCurve, Summary

# run, baseline and a demo's skill-phase model, the same colours in every figure
RUN_COLOR, BASE_COLOR, SKILL_COLOR = "#1f63b4", "#8a8a8a", "#d9822b"
PRETRAINED_COLOR = "#3a8f4a"
DPI = 96


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _grid(count: int, width: float = 3.6, height: float = 2.9) -> tuple[Figure, list[Any]]:
    cols = min(4, max(1, count))
    rows = math.ceil(count / cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, axes[:count]


def _bars(lo: list[float], hi: list[float]) -> list[list[float]]:
    """Error-bar lengths, never negative (matplotlib refuses them; a summary written by an
    older reasonlab can hold a bound a rounding error past its point)."""
    return [[max(0.0, v) for v in lo], [max(0.0, v) for v in hi]]


def _integer_axis(axis) -> None:
    axis.set_major_locator(MaxNLocator(integer=True))


def _log2_axis(ax, values: list[float]) -> None:
    """A log-2 x axis labelled with the plain values (1, 2, 4 … rather than 2^k)."""
    ax.set_xscale("log", base=2)
    ticks = sorted({float(v) for v in values if v})
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.xaxis.set_minor_formatter(ScalarFormatter())
    ax.tick_params(axis="x", which="minor", labelbottom=False)


def _levels_x(levels: list[str]) -> list[float]:
    return [float(d) if d.replace(".", "", 1).isdigit() else float(i)
            for i, d in enumerate(levels)]


def heat_span(deltas: dict[str, dict[str, Any]]) -> float:
    """The colour scale's half-width in points: the largest change shown, so the scale is the
    data's and symmetric around 0 (1 point when nothing changed, to keep the scale finite)."""
    shown = [abs(100 * c["delta"]) for cells in deltas.values() for c in cells.values()]
    return max(shown, default=0.0) or 1.0


def reliable(ci: list[float] | None) -> bool:
    return ci is not None and (ci[0] > 0 or ci[1] < 0)


def cell_look(ci: list[float] | None) -> tuple[float, str | None]:
    """(colour opacity, hatch) of a heatmap cell: full colour only for a change whose 95%
    interval excludes 0; a change that may be 0 is faded and hatched."""
    return (1.0, None) if reliable(ci) else (0.3, "///")


def transfer_heatmap(deltas: dict[str, dict[str, Any]], tasks: list[str],
                     names: dict[str, str]) -> bytes:
    """Task × difficulty grid of the accuracy change, each cell labelled with the change and its
    95% interval in points; ``names`` gives each task's row label. Only cells whose interval
    excludes 0 get full colour: the others are faded and hatched. Grey: not in both runs."""
    import numpy as np
    from matplotlib.patches import Rectangle

    levels = sorted({d for t in tasks for d in deltas.get(t, {})}, key=lambda d: _levels_x([d]))
    grid = np.full((len(tasks), len(levels)), np.nan)
    alpha = np.ones_like(grid)
    for i, task in enumerate(tasks):
        for j, level in enumerate(levels):
            cell = deltas.get(task, {}).get(level)
            if cell is not None:
                grid[i, j] = 100 * cell["delta"]
                alpha[i, j] = cell_look(cell["ci95"])[0]
    fig = Figure(figsize=(2.2 + 1.35 * max(1, len(levels)), 1.2 + 0.62 * len(tasks)),
                 layout="constrained")
    ax = fig.subplots()
    span = heat_span(deltas)
    ax.set_facecolor("#e6e6e6")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdBu", vmin=-span, vmax=span,
                      aspect="auto", alpha=alpha)
    for i, task in enumerate(tasks):
        for j, level in enumerate(levels):
            cell = deltas.get(task, {}).get(level)
            if cell is None:
                ax.text(j, i, "n/a", ha="center", va="center", fontsize=8, color="#555")
                continue
            ci = cell["ci95"]
            sure = reliable(ci)
            hatch = cell_look(ci)[1]
            if hatch:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch=hatch,
                                       edgecolor="#9a9a9a", linewidth=0))
            text = f"{100 * cell['delta']:+.0f}"
            if ci is not None:
                text += f"\n[{100 * ci[0]:+.0f}, {100 * ci[1]:+.0f}]"
            dark = sure and abs(grid[i, j]) > 0.6 * span
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    fontweight="bold" if sure else "normal", color="white" if dark else "black",
                    bbox=None if sure else {"boxstyle": "round,pad=0.15", "fc": "white",
                                            "ec": "none", "alpha": 0.8})
    ax.set_xticks(range(len(levels)), [f"d{d}" for d in levels])
    ax.set_yticks(range(len(tasks)), [names.get(t, t) for t in tasks])
    ax.set_xlabel("difficulty")
    ax.set_title("accuracy change, points (full colour and bold: 95% interval excludes 0;\n"
                 "faded and hatched: it includes 0)", fontsize=9)
    fig.colorbar(image, ax=ax, label="Δ accuracy (points)", shrink=0.85)
    return png(fig)


def reliability_diagram(curves: list[tuple[str, str, list[tuple[float, bool]]]],
                        bins: int = 10) -> bytes:
    """Accuracy against stated confidence in equal-width bins (marker area ∝ samples in the
    bin), one curve per run given as (label, color, [(confidence, correct)])."""
    fig = Figure(figsize=(5.2, 4.6), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 100], [0, 100], color="#444", linewidth=1, linestyle=":",
            label="perfect calibration")
    for label, color, pairs in curves:
        xs, ys, sizes = [], [], []
        for b in range(bins):
            inside = [(c, k) for c, k in pairs
                      if (b / bins < c <= (b + 1) / bins) or (b == 0 and c <= 0)]
            if inside:
                xs.append(100 * sum(c for c, _ in inside) / len(inside))
                ys.append(100 * sum(k for _, k in inside) / len(inside))
                sizes.append(len(inside))
        biggest = max(sizes or [1])
        ax.plot(xs, ys, color=color, linewidth=1.2, label=f"{label} (n={len(pairs)})")
        ax.scatter(xs, ys, s=[20 + 180 * s / biggest for s in sizes], color=color, alpha=0.7)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("stated confidence (%), bin mean")
    ax.set_ylabel("accuracy in bin (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return png(fig)


def scaling_samples(curves: list[tuple[str, str, SamplesCurve]]) -> bytes:
    """pass@k, maj@k and best-of-N (verifier score) against k, per run."""
    fig = Figure(figsize=(6.2, 4.2), layout="constrained")
    ax = fig.subplots()
    styles = {"pass_at_k": ("-", "o", "pass@k"), "maj_at_k": ("--", "s", "maj@k"),
              "best_of_n": (":", "^", "best-of-k (verifier)")}
    for label, color, curve in curves:
        for key, (style, marker, name) in styles.items():
            if getattr(curve, key):
                ax.plot(curve.k, [100 * v for v in getattr(curve, key)], color=color,
                        linestyle=style, marker=marker, label=f"{label}: {name}")
    _log2_axis(ax, [k for _, _, c in curves for k in c.k])
    ax.set_xlabel("k (samples per item)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def scaling_budget(curves: list[tuple[str, str, list[BudgetPoint]]]) -> bytes:
    """Accuracy (with interval) against the thinking budget; the unforced run as a line."""
    fig = Figure(figsize=(6.2, 4.2), layout="constrained")
    ax = fig.subplots()
    for label, color, points in curves:
        forced = [p for p in points if p.thinking_budget is not None
                  and p.accuracy is not None]
        xs = [p.thinking_budget for p in forced]
        ys = [100 * p.accuracy for p in forced]
        lo = [y - 100 * p.ci95[0] if p.ci95 else 0 for y, p in zip(ys, forced, strict=True)]
        hi = [100 * p.ci95[1] - y if p.ci95 else 0 for y, p in zip(ys, forced, strict=True)]
        ax.errorbar(xs, ys, yerr=_bars(lo, hi), color=color, marker="o", capsize=3,
                    label=f"{label}: budget-capped")
        for p in points:
            if p.thinking_budget is None and p.accuracy is not None:
                ax.axhline(100 * p.accuracy, color=color, linestyle=":",
                           label=f"{label}: no cap")
    _log2_axis(ax, [p.thinking_budget for _, _, pts in curves for p in pts
                    if p.thinking_budget is not None])
    ax.set_xlabel("thinking budget (tokens)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def reflection_rates(run: Summary, base: Summary | None, labels: tuple[str, str]) -> bytes:
    """Reflection markers per 1k thinking tokens, per task and overall, side by side."""
    names = list(run.tasks) + ["overall"]

    def rate(summary: Summary | None, name: str) -> float:
        if summary is None:
            return math.nan
        block = summary.overall if name == "overall" else summary.tasks.get(name)
        value = block.reflection_per_1k if block is not None else None
        return math.nan if value is None else float(value)

    fig = Figure(figsize=(1.6 + 1.1 * len(names), 3.8), layout="constrained")
    ax = fig.subplots()
    width = 0.38
    xs = list(range(len(names)))
    if base is not None:
        bars = ax.bar([x - width / 2 for x in xs], [rate(base, n) for n in names], width,
                      color=BASE_COLOR, label=labels[0])
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    bars = ax.bar([x + (width / 2 if base is not None else 0) for x in xs],
                  [rate(run, n) for n in names], width, color=RUN_COLOR, label=labels[1])
    ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_ylim(bottom=0)
    ax.set_xticks(xs, names, rotation=20)
    ax.set_ylabel("markers per 1k thinking tokens")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return png(fig)
