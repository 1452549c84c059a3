"""Figures of what a model does, per task and per difficulty: accuracy, think rate (the share of
samples that think at all) and thinking tokens, one series per evaluated model (the baseline, a
demo's skill-phase model when there is one, and the run).

A series identical to another must stay visible: the baseline is drawn dashed with open markers
above the run's solid line, and the series are nudged apart along x, so equal values show as
two marks side by side instead of one hiding the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from reasonlab.core.summary import Cell, Summary, TaskSummary
from reasonlab.report.plots import _bars, _grid, _levels_x, png
from reasonlab.report.series import difficulties

DODGE = 0.09     # x offset between neighbouring series, in difficulty units


@dataclass(frozen=True)
class Series:
    label: str
    summary: Summary
    color: str
    style: str          # line style
    marker: str
    hollow: bool        # open markers, drawn above filled ones
    z: float


def _offsets(count: int) -> list[float]:
    return [DODGE * (i - (count - 1) / 2) for i in range(count)]


def _marker(s: Series) -> dict[str, Any]:
    return {"marker": s.marker, "markersize": 8 if s.hollow else 5,
            "markerfacecolor": "white" if s.hollow else s.color, "markeredgecolor": s.color,
            "markeredgewidth": 1.4, "zorder": s.z}


def by_difficulty(series: list[Series], tasks: list[str], titles: dict[str, str],
                  value: Callable[[Cell], float | None], ylabel: str, *,
                  errors: bool = False, percent: bool = False) -> bytes:
    """One panel per task, ``value`` of each difficulty cell against difficulty, one line per
    series. The y axis starts at 0 and is the same in every panel (0–100 for percentages), so
    panels compare at a glance; ``errors`` draws the cells' 95% intervals."""
    return png(draw_by_difficulty(series, tasks, titles, value, ylabel, errors=errors,
                                  percent=percent))


def draw_by_difficulty(series: list[Series], tasks: list[str], titles: dict[str, str],
                       value: Callable[[Cell], float | None], ylabel: str, *,
                       errors: bool = False, percent: bool = False) -> Figure:
    fig, axes = _grid(len(tasks))
    top = 0.0
    for ax, task in zip(axes, tasks, strict=True):
        levels = difficulties(*(s.summary for s in series), task=task)
        for s, shift in zip(series, _offsets(len(series)), strict=True):
            block = s.summary.tasks.get(task)
            if block is None:
                continue
            points = [(x + shift, block.by_difficulty[d])
                      for x, d in zip(_levels_x(levels), levels, strict=True)
                      if d in block.by_difficulty]
            points = [(x, c) for x, c in points if value(c) is not None]
            if not points:
                continue
            xs = [x for x, _ in points]
            ys = [float(value(c)) for _, c in points]
            top = max(top, *ys)
            if errors:
                lo = [y - 100 * c.ci95[0] if c.ci95 else 0
                      for y, (_, c) in zip(ys, points, strict=True)]
                hi = [100 * c.ci95[1] - y if c.ci95 else 0
                      for y, (_, c) in zip(ys, points, strict=True)]
                ax.errorbar(xs, ys, yerr=_bars(lo, hi), color=s.color, linestyle=s.style,
                            capsize=3, label=s.label, clip_on=False, **_marker(s))
            else:   # unclipped: a marker at 0 sits on the axis, whole
                ax.plot(xs, ys, color=s.color, linestyle=s.style, label=s.label, clip_on=False,
                        **_marker(s))
        ax.set_title(titles.get(task, task), fontsize=10)
        ax.set_xlabel("difficulty")
        shown = _levels_x(levels)
        ax.set_xticks(shown, [str(d) for d in levels])
        ax.set_xlim(min(shown, default=0) - 0.5, max(shown, default=0) + 0.5)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    for ax in axes:
        ax.set_ylim(*((-3, 103) if percent else (0, (top or 1.0) * 1.08)))
    if axes:
        axes[0].legend(fontsize=8)
    return fig


def accuracy(cell: Cell | TaskSummary | None) -> float | None:
    return None if cell is None or cell.accuracy is None else 100 * cell.accuracy


def think_rate(cell: Cell | TaskSummary | None) -> float | None:
    return None if cell is None or cell.think_rate is None else 100 * cell.think_rate


def thinking_tokens(cell: Cell | TaskSummary | None) -> float | None:
    return None if cell is None else cell.mean_thinking_tokens


def by_task(series: list[Series], tasks: list[str], names: dict[str, str]) -> bytes:
    """Two panels over tasks (grouped by role in ``names``' order): accuracy with the task's
    95% interval, and think rate; one bar per series. This is where a habit learned on the
    trained task shows up, or does not, on the tasks RL never saw."""
    wide = len(tasks) > 4     # many tasks: the two panels one above the other
    fig = Figure(figsize=(2.0 + 1.3 * len(tasks), 7.6) if wide else
                 (3.0 + 2.4 * len(tasks), 4.0), layout="constrained")
    axes = fig.subplots(2, 1) if wide else fig.subplots(1, 2)
    width = 0.8 / max(1, len(series))
    xs = list(range(len(tasks)))
    for ax, (what, value, with_ci) in zip(axes, (("accuracy (%)", accuracy, True),
                                                 ("think rate (%)", think_rate, False)),
                                          strict=True):
        for s, shift in zip(series, _offsets(len(series)), strict=True):
            blocks = [s.summary.tasks.get(t) for t in tasks]
            values = [value(b) for b in blocks]
            heights = [0.0 if v is None else v for v in values]
            spots = [x + shift * width / DODGE for x in xs]
            bars = ax.bar(spots, heights, width, color=s.color, label=s.label,
                          hatch="//" if s.hollow else None, edgecolor="white" if s.hollow
                          else None, alpha=0.9)
            if with_ci:
                lo = [h - 100 * b.ci95[0] if b is not None and b.ci95 and v is not None else 0
                      for h, b, v in zip(heights, blocks, values, strict=True)]
                hi = [100 * b.ci95[1] - h if b is not None and b.ci95 and v is not None else 0
                      for h, b, v in zip(heights, blocks, values, strict=True)]
                ax.errorbar(spots, heights, yerr=_bars(lo, hi), fmt="none", ecolor="#333",
                            capsize=2, linewidth=0.8)
            else:     # numbers on the bars only where no error bar crosses them
                ax.bar_label(bars, labels=["n/a" if v is None else f"{v:.0f}" for v in values],
                             fontsize=7)
        ax.set_xticks(xs, [names.get(t, t) for t in tasks], fontsize=8)
        ax.set_ylim(0, 110)
        ax.set_yticks(range(0, 101, 20))
        ax.set_ylabel(what)
        ax.set_title(what.split(" (")[0].capitalize() + " per task", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=8)
    return png(fig)
