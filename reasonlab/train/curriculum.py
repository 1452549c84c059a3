"""Curriculum by difficulty, per task, as reasoning-gym's curricula do: once a full rolling window
of verdicts at the current level reaches ``promote_at`` success the level goes up; at or below
``demote_at`` it goes down. The window restarts at every change so a level is judged only on its
own attempts. Verdicts the verifier could not decide (error/timeout) are not recorded: they say
nothing about the model.

A task with fixed level ``shares`` (a recipe's ``tasks[i].levels``, with the curriculum off)
never changes level: every generation batch holds each level in its share (``data.level_plan``),
and its windows are kept per level, for the training log only.

The state is plain JSON (levels and windows) and goes into every checkpoint, so a resumed run
draws exactly the items the uninterrupted one would have.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from reasonlab.core.errors import ConfigError


@dataclass
class LevelRange:
    min_level: int
    max_level: int
    start_level: int
    shares: dict[int, float] | None = None   # fixed level shares: no curriculum for this task


class Curriculum:
    """Per-task difficulty levels driven by rolling success rates."""

    def __init__(self, ranges: dict[str, LevelRange], *, window: int = 32,
                 promote_at: float = 0.8, demote_at: float = 0.3, enabled: bool = True):
        if window < 1 or not 0.0 <= demote_at < promote_at <= 1.0:
            raise ConfigError("curriculum needs window >= 1 and 0 <= demote_at < promote_at <= 1",
                              field="curriculum")
        self.ranges = dict(ranges)
        self.window, self.promote_at, self.demote_at = window, promote_at, demote_at
        self.enabled = enabled
        self.levels = {task: r.start_level for task, r in self.ranges.items()}
        self.history: dict[str, deque[float]] = {t: deque(maxlen=window) for t in self.ranges}
        # Tasks at fixed shares: a window per level, for the log.
        self.by_level: dict[str, dict[int, deque[float]]] = {
            t: {level: deque(maxlen=window) for level in r.shares}
            for t, r in self.ranges.items() if r.shares}
        self.changes: list[dict[str, Any]] = []   # (step, task, from, to, rate): the level log

    def level(self, task: str) -> int:
        return self.levels[task]

    def tracks(self, task: str, level: int) -> bool:
        """Whether a verdict on ``task`` at ``level`` counts: the current level's, or any level
        of a task at fixed shares."""
        return level in self.by_level[task] if task in self.by_level \
            else level == self.levels[task]

    def record_at(self, task: str, level: int, success: float, step: int = 0) -> int | None:
        """``record`` for a verdict at ``level``; a task at fixed shares keeps it per level."""
        if task in self.by_level:
            self.by_level[task][level].append(float(success))
            return None
        return self.record(task, success, step)

    def record(self, task: str, success: float, step: int = 0) -> int | None:
        """Add one decided verdict (1 correct, 0 not; partial credit allowed); returns the new
        level when this record changed it."""
        if task not in self.history:
            raise KeyError(f"task {task!r} is not in this curriculum")
        window = self.history[task]
        window.append(float(success))
        if not self.enabled or len(window) < self.window:
            return None
        rate = sum(window) / len(window)
        current, bounds = self.levels[task], self.ranges[task]
        new = current
        if rate >= self.promote_at and current < bounds.max_level:
            new = current + 1
        elif rate <= self.demote_at and current > bounds.min_level:
            new = current - 1
        if new == current:
            return None
        self.levels[task] = new
        window.clear()
        self.changes.append({"step": step, "task": task, "from": current, "to": new,
                             "rate": rate})
        return new

    def success_rate(self, task: str) -> float | None:
        window = self.history[task]
        return sum(window) / len(window) if window else None

    def metrics(self) -> dict[str, float]:
        """Scalars for the training log: each task's level and rolling success rate."""
        out: dict[str, float] = {}
        for task, windows in self.by_level.items():
            for level, window in windows.items():
                if window:
                    out[f"curriculum/{task}/level{level}/success"] = sum(window) / len(window)
        for task in self.ranges:
            if task in self.by_level:
                continue
            out[f"curriculum/{task}/level"] = float(self.levels[task])
            rate = self.success_rate(task)
            if rate is not None:
                out[f"curriculum/{task}/success"] = rate
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"levels": dict(self.levels),
                "history": {t: list(w) for t, w in self.history.items()},
                "by_level": {t: {str(level): list(w) for level, w in windows.items()}
                             for t, windows in self.by_level.items()},
                "changes": list(self.changes)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        unknown = set(state.get("levels", {})) - set(self.ranges)
        if unknown:
            raise ConfigError(f"checkpoint curriculum has tasks {sorted(unknown)} that this "
                              "recipe does not train; resume with the recipe it was made with",
                              field="tasks")
        for task, level in state.get("levels", {}).items():
            bounds = self.ranges[task]
            self.levels[task] = min(bounds.max_level, max(bounds.min_level, int(level)))
        for task, values in state.get("history", {}).items():
            self.history[task] = deque((float(v) for v in values), maxlen=self.window)
        for task, windows in state.get("by_level", {}).items():
            for level, values in windows.items():
                if task in self.by_level and int(level) in self.by_level[task]:
                    self.by_level[task][int(level)] = deque((float(v) for v in values),
                                                            maxlen=self.window)
        self.changes = list(state.get("changes", []))
