"""The training run's figures (``metrics.jsonl`` and ``evals/steps.jsonl``), one function per
figure returning PNG bytes; each is titled, since a slide shows it without the page around it."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from reasonlab.report.plots import RUN_COLOR, _bars, _integer_axis, png
from reasonlab.report.series import metric_keys, metric_series
from reasonlab.train.alarm import ALARM_KEY  # the row the alarm writes when it fires


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
    for line in ax.get_lines():   # dashed on top: a single component can equal the total
        if line.get_label().startswith("total"):
            line.set(linestyle="--", color="black", zorder=3)
    _mark_alarms(ax, rows)
    ax.legend(fontsize=8)
    ax.set_title("Reward per training step", fontsize=10)
    ax.set_ylabel("mean reward")
    return png(fig)




def alarm_steps(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(step, rules) of every reward-hacking alarm the run logged."""
    return [(int(r["step"]), str(r.get("alarm/rules") or "")) for r in rows
            if r.get(ALARM_KEY) and "step" in r]


def _mark_alarms(ax, rows: list[dict[str, Any]]) -> None:
    for k, (step, _) in enumerate(alarm_steps(rows)):
        ax.axvline(step, color="#c62828", linestyle=":", linewidth=1.2,
                   label="reward-hacking alarm" if k == 0 else None)


def training_judge(rows: list[dict[str, Any]]) -> bytes:
    """A learned judge's mean reward against true (rule-verified) accuracy on the held-out
    items at each in-loop evaluation, with the steps where the alarm fired."""
    fig = Figure(figsize=(6.2, 3.8), layout="constrained")
    ax = fig.subplots()
    for key, label, color in (("eval/judge_reward", "judge's mean reward", "#6a1b9a"),
                              ("eval/accuracy", "true accuracy (rule verifier)", RUN_COLOR)):
        steps, values = metric_series(rows, key)
        ax.plot(steps, [100 * v for v in values], marker="o", color=color, label=label)
    _mark_alarms(ax, rows)
    ax.set_xlabel("training step")
    _integer_axis(ax.xaxis)
    ax.set_ylabel("held-out (%)")
    ax.set_ylim(-3, 103)
    ax.set_title("Judge reward vs true accuracy (held-out)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
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
    ax.set_title("In-loop held-out accuracy", fontsize=10)
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
    ax.set_title("Completion length per training step", fontsize=10)
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
    ax.set_title("Curriculum level and rolling success", fontsize=10)
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
    ax.set_title("Training loss", fontsize=10)
    ax.set_ylabel("value")
    return png(fig)


def constant_levels(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Task -> its curriculum level, for every task whose level never moved (empty when any
    moved): such a curve is a flat line, said in one sentence instead."""
    flat: dict[str, float] = {}
    for key in metric_keys(rows, "curriculum/", "/level"):
        levels = set(metric_series(rows, key)[1])
        if len(levels) > 1:
            return {}
        if levels:
            flat[key.split("/")[1]] = levels.pop()
    return flat


def step_count(rows: list[dict[str, Any]]) -> tuple[int | None, int]:
    """(the run's last step, how many steps logged metrics): TRL's closing row (train_runtime
    and the same step again) is not a logged step."""
    steps = {int(r["step"]) for r in rows
             if isinstance(r.get("step"), (int, float)) and "train_runtime" not in r}
    last = max((int(r["step"]) for r in rows if isinstance(r.get("step"), (int, float))),
               default=None)
    return last, len(steps)
