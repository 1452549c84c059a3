"""The report's figures: one function per figure, each returning PNG bytes.

matplotlib's object API (``Figure`` + the Agg canvas) is used instead of ``pyplot``, so drawing
never touches global state or needs a display. The functions draw numbers they are given —
accuracies, intervals and curves from the summaries — and compute none of their own except the
binning of a reliability diagram.
"""

from __future__ import annotations

import io
import math
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from reasonlab.report.load import difficulties, metric_keys, metric_series

RUN_COLOR, BASE_COLOR = "#1f63b4", "#8a8a8a"
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


def transfer_heatmap(deltas: dict[str, dict[str, Any]], tasks: list[str],
                     trained: set[str]) -> bytes:
    """Task × difficulty grid of the accuracy change, each cell labelled with the change and its
    95% interval in points; trained tasks are starred. Grey cells: not evaluated in both runs."""
    import numpy as np

    levels = sorted({d for t in tasks for d in deltas.get(t, {})}, key=lambda d: _levels_x([d]))
    grid = np.full((len(tasks), len(levels)), np.nan)
    for i, task in enumerate(tasks):
        for j, level in enumerate(levels):
            cell = deltas.get(task, {}).get(level)
            if cell is not None:
                grid[i, j] = 100 * cell["delta"]
    fig = Figure(figsize=(1.5 + 1.35 * max(1, len(levels)), 1.2 + 0.62 * len(tasks)),
                 layout="constrained")
    ax = fig.subplots()
    finite = grid[np.isfinite(grid)]
    span = max(10.0, float(np.abs(finite).max()) if finite.size else 10.0)
    ax.set_facecolor("#e6e6e6")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdBu", vmin=-span, vmax=span,
                      aspect="auto")
    for i, task in enumerate(tasks):
        for j, level in enumerate(levels):
            cell = deltas.get(task, {}).get(level)
            if cell is None:
                ax.text(j, i, "n/a", ha="center", va="center", fontsize=8, color="#555")
                continue
            ci = cell["ci95"]
            sure = ci is not None and (ci[0] > 0 or ci[1] < 0)
            text = f"{100 * cell['delta']:+.0f}"
            if ci is not None:
                text += f"\n[{100 * ci[0]:+.0f}, {100 * ci[1]:+.0f}]"
            dark = abs(grid[i, j]) > 0.6 * span
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    fontweight="bold" if sure else "normal", color="white" if dark else "black")
    ax.set_xticks(range(len(levels)), [f"d{d}" for d in levels])
    ax.set_yticks(range(len(tasks)), [f"★ {t}" if t in trained else t for t in tasks])
    ax.set_xlabel("difficulty")
    ax.set_title("accuracy change, points (bold: 95% interval excludes 0; ★ trained)",
                 fontsize=9)
    fig.colorbar(image, ax=ax, label="Δ accuracy (points)", shrink=0.85)
    return png(fig)


def _per_task_lines(run: dict[str, Any], base: dict[str, Any] | None, labels: tuple[str, str],
                    value, ylabel: str, errors: bool) -> bytes:
    tasks = list(run["tasks"])
    fig, axes = _grid(len(tasks))
    series = [(base, labels[0], BASE_COLOR, "--"), (run, labels[1], RUN_COLOR, "-")]
    for ax, task in zip(axes, tasks, strict=True):
        for summary, label, color, style in series:
            block = (summary or {}).get("tasks", {}).get(task)
            if not block:
                continue
            levels = difficulties(summary, task=task)
            points = [(x, block["by_difficulty"][d]) for x, d in zip(_levels_x(levels), levels,
                                                                      strict=True)]
            points = [(x, c) for x, c in points if value(c) is not None]
            if not points:
                continue
            xs = [x for x, _ in points]
            ys = [value(c) for _, c in points]
            if errors:
                lo = [y - 100 * c["ci95"][0] if c.get("ci95") else 0 for y, (_, c)
                      in zip(ys, points, strict=True)]
                hi = [100 * c["ci95"][1] - y if c.get("ci95") else 0 for y, (_, c)
                      in zip(ys, points, strict=True)]
                ax.errorbar(xs, ys, yerr=_bars(lo, hi), color=color, linestyle=style, marker="o",
                            capsize=3, label=label)
            else:
                ax.plot(xs, ys, color=color, linestyle=style, marker="o", label=label)
        ax.set_title(task, fontsize=10)
        ax.set_xlabel("difficulty")
        _integer_axis(ax.xaxis)
        shown = sorted({x for line in ax.get_lines() for x in line.get_xdata()})
        if len(shown) == 1:   # one level: a plain tick, not a zoomed-in 0.95..1.05 axis
            ax.set_xticks(shown)
            ax.set_xlim(shown[0] - 1, shown[0] + 1)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if errors:
            ax.set_ylim(-3, 103)
    if axes:
        axes[0].legend(fontsize=8)
    return png(fig)


def accuracy_vs_difficulty(run: dict[str, Any], base: dict[str, Any] | None,
                           labels: tuple[str, str]) -> bytes:
    """Accuracy (%) per difficulty, one panel per task, with the summaries' Wilson intervals."""
    return _per_task_lines(
        run, base, labels, lambda c: None if c.get("accuracy") is None else 100 * c["accuracy"],
        "accuracy (%)", errors=True)


def thinking_vs_difficulty(run: dict[str, Any], base: dict[str, Any] | None,
                           labels: tuple[str, str]) -> bytes:
    """Mean thinking tokens per difficulty, one panel per task."""
    return _per_task_lines(run, base, labels, lambda c: c.get("mean_thinking_tokens"),
                           "mean thinking tokens", errors=False)


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


def scaling_samples(curves: list[tuple[str, str, dict[str, Any]]]) -> bytes:
    """pass@k, maj@k and best-of-N (verifier score) against k, per run."""
    fig = Figure(figsize=(6.2, 4.2), layout="constrained")
    ax = fig.subplots()
    styles = {"pass_at_k": ("-", "o", "pass@k"), "maj_at_k": ("--", "s", "maj@k"),
              "best_of_n": (":", "^", "best-of-k (verifier)")}
    for label, color, curve in curves:
        for key, (style, marker, name) in styles.items():
            if curve.get(key):
                ax.plot(curve["k"], [100 * v for v in curve[key]], color=color, linestyle=style,
                        marker=marker, label=f"{label}: {name}")
    _log2_axis(ax, [k for _, _, c in curves for k in c.get("k") or []])
    ax.set_xlabel("k (samples per item)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def scaling_budget(curves: list[tuple[str, str, list[dict[str, Any]]]]) -> bytes:
    """Accuracy (with interval) against the thinking budget; the unforced run as a line."""
    fig = Figure(figsize=(6.2, 4.2), layout="constrained")
    ax = fig.subplots()
    for label, color, points in curves:
        forced = [p for p in points if p["thinking_budget"] is not None
                  and p["accuracy"] is not None]
        xs = [p["thinking_budget"] for p in forced]
        ys = [100 * p["accuracy"] for p in forced]
        lo = [y - 100 * p["ci95"][0] if p.get("ci95") else 0 for y, p in zip(ys, forced,
                                                                               strict=True)]
        hi = [100 * p["ci95"][1] - y if p.get("ci95") else 0 for y, p in zip(ys, forced,
                                                                               strict=True)]
        ax.errorbar(xs, ys, yerr=_bars(lo, hi), color=color, marker="o", capsize=3,
                    label=f"{label}: budget-capped")
        for p in points:
            if p["thinking_budget"] is None and p["accuracy"] is not None:
                ax.axhline(100 * p["accuracy"], color=color, linestyle=":",
                           label=f"{label}: no cap")
    _log2_axis(ax, [p["thinking_budget"] for _, _, pts in curves for p in pts
                    if p["thinking_budget"] is not None])
    ax.set_xlabel("thinking budget (tokens)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def reflection_rates(run: dict[str, Any], base: dict[str, Any] | None,
                     labels: tuple[str, str]) -> bytes:
    """Reflection markers per 1k thinking tokens, per task and overall, side by side."""
    names = list(run["tasks"]) + ["overall"]

    def rate(summary: dict[str, Any] | None, name: str) -> float:
        if summary is None:
            return math.nan
        block = summary["overall"] if name == "overall" else summary["tasks"].get(name) or {}
        value = block.get("reflection_per_1k")
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


def rolling_mean(values: list[float], window: int) -> list[float]:
    """Trailing mean over up to ``window`` points (shorter at the start)."""
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def _lines(ax, rows: list[dict[str, Any]], keys: list[str], rename=lambda k: k) -> None:
    # RL logs one noisy batch mean per step (a few prompts); past 30 steps the raw values are
    # drawn faint and a trailing mean over a tenth of the run carries the trend.
    for key in keys:
        steps, values = metric_series(rows, key)
        if not steps:
            continue
        if len(steps) < 30:
            ax.plot(steps, values, marker=".", label=rename(key))
            continue
        window = max(5, len(steps) // 10)
        (line,) = ax.plot(steps, rolling_mean(values, window),
                          label=f"{rename(key)} (mean of {window} steps)")
        ax.plot(steps, values, color=line.get_color(), alpha=0.25, linewidth=0.8)
    ax.set_xlabel("training step")
    _integer_axis(ax.xaxis)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def training_rewards(rows: list[dict[str, Any]]) -> bytes:
    """The total reward and each reward component's batch mean per logged step."""
    fig = Figure(figsize=(6.2, 3.8), layout="constrained")
    ax = fig.subplots()
    keys = [k for k in ("reward",) if metric_series(rows, k)[0]]
    keys += metric_keys(rows, "rewards/", "/mean")
    _lines(ax, rows, keys,
           lambda k: "total (weighted)" if k == "reward" else k.split("/")[1])
    ax.set_ylabel("mean reward")
    return png(fig)


def training_accuracy(steps: list[dict[str, Any]]) -> bytes:
    """In-loop held-out accuracy per evaluation step: overall with its interval, and per task."""
    fig = Figure(figsize=(6.2, 3.8), layout="constrained")
    ax = fig.subplots()
    done = [s for s in steps if s.get("accuracy") is not None]
    xs = [s["step"] for s in done]
    ys = [100 * s["accuracy"] for s in done]
    lo = [y - 100 * s["ci95"][0] if s.get("ci95") else 0 for y, s in zip(ys, done, strict=True)]
    hi = [100 * s["ci95"][1] - y if s.get("ci95") else 0 for y, s in zip(ys, done, strict=True)]
    ax.errorbar(xs, ys, yerr=_bars(lo, hi), color="black", marker="o", capsize=3,
                label="overall")
    tasks = sorted({t for s in done for t in (s.get("tasks") or {})})
    if len(tasks) > 1:
        for task in tasks:
            pts = [(s["step"], s["tasks"][task].get("accuracy")) for s in done
                   if task in (s.get("tasks") or {})]
            pts = [(x, 100 * y) for x, y in pts if y is not None]
            ax.plot([x for x, _ in pts], [y for _, y in pts], marker=".", linestyle="--",
                    label=task)
    ax.set_xlabel("training step")
    _integer_axis(ax.xaxis)
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def training_length(rows: list[dict[str, Any]]) -> bytes:
    """Mean completion length per logged step, with the batch's min–max as a band."""
    fig = Figure(figsize=(6.2, 3.8), layout="constrained")
    ax = fig.subplots()
    steps, mean = metric_series(rows, "completions/mean_length")
    ax.plot(steps, mean, color=RUN_COLOR, label="mean")
    low_steps, low = metric_series(rows, "completions/min_length")
    high_steps, high = metric_series(rows, "completions/max_length")
    if low_steps and low_steps == high_steps:
        ax.fill_between(low_steps, low, high, color=RUN_COLOR, alpha=0.15, label="min–max")
    ax.set_xlabel("training step")
    _integer_axis(ax.xaxis)
    ax.set_ylabel("completion length (tokens)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def training_curriculum(rows: list[dict[str, Any]]) -> bytes:
    """Each task's curriculum level (steps) and its rolling success rate (dotted, right axis)."""
    fig = Figure(figsize=(6.2, 3.8), layout="constrained")
    ax = fig.subplots()
    right = ax.twinx()
    for key in metric_keys(rows, "curriculum/", "/level"):
        task = key.split("/")[1]
        steps, levels = metric_series(rows, key)
        line = ax.step(steps, levels, where="post", label=f"{task} level")[0]
        s_steps, rates = metric_series(rows, f"curriculum/{task}/success")
        if s_steps:
            right.plot(s_steps, [100 * r for r in rates], color=line.get_color(), linestyle=":",
                       label=f"{task} success")
    ax.set_xlabel("training step")
    _integer_axis(ax.xaxis)
    levels = [v for k in metric_keys(rows, "curriculum/", "/level")
              for v in metric_series(rows, k)[1]]
    if levels:
        ax.set_ylim(min(levels) - 0.5, max(levels) + 0.5)
    _integer_axis(ax.yaxis)
    ax.set_ylabel("difficulty level")
    right.set_ylabel("rolling success (%)")
    right.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    handles = ax.get_legend_handles_labels()
    extra = right.get_legend_handles_labels()
    ax.legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=8)
    return png(fig)


def training_loss(rows: list[dict[str, Any]]) -> bytes:
    """The training loss per logged step (SFT runs log no rewards; this is their curve)."""
    fig = Figure(figsize=(6.2, 3.8), layout="constrained")
    ax = fig.subplots()
    _lines(ax, rows, [k for k in ("loss", "mean_token_accuracy") if metric_series(rows, k)[0]])
    ax.set_ylabel("value")
    return png(fig)
