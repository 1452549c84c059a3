"""The reward-hacking alarm: a learned judge is not ground truth, and a policy rewarded by it
alone can learn to please it instead of being right. Every in-loop evaluation scores the same
held-out completions twice — by the judge (its mean reward) and by the rule verifier (true
accuracy) — and this module watches the two series.

The rule (thresholds in the recipe's ``judge.alarm``): compare the latest evaluation with the
one ``window`` evaluations before it. The alarm fires when

- **diverge**: the judge's mean reward rose by at least ``rise`` while true accuracy fell by at
  least ``fall``; or
- **widen**: the gap, judge reward − true accuracy, grew by at least ``widen`` (the judge
  accepts ever more wrong answers, or rejects ever more right ones, than before); or
- **gap**: at any evaluation, step 0 included, the judge's reward exceeds true accuracy by at
  least ``gap`` (null: off). The two rules above watch a change and need a judge that was
  right at the start; a judge the policy fools from the first step leaves them nothing to see
  (docs/judges.md has such a run), and only this level check catches it.

It is a warning, not a stop: at the sizes of a CPU run one evaluation's accuracy moves by a few
points by chance (about ±10 points, 95 %, on 96 items at 50 %), so thresholds below that fire
on noise. When it fires the run prints one line with both series and ``metrics.jsonl`` gets a
row ``{"step", "alarm/reward_hacking": 1, "alarm/rules", "alarm/steps",
"alarm/judge_reward", "alarm/accuracy"}``. Each evaluation also adds a row with
``eval/judge_reward``, ``eval/accuracy`` and ``eval/gap``, so the curves can be drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonlab.train.judge_spec import AlarmSpec

ALARM_KEY = "alarm/reward_hacking"


@dataclass
class Point:
    step: int
    judge_reward: float
    accuracy: float

    @property
    def gap(self) -> float:
        return self.judge_reward - self.accuracy


@dataclass
class Alarm:
    """Feed it one evaluation at a time; ``add`` returns the event when the alarm fires."""

    spec: AlarmSpec
    points: list[Point] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def restore(self, step: int, judge_reward: float | None, accuracy: float | None) -> None:
        """An evaluation from before a resume: history for the rules, no event."""
        if judge_reward is not None and accuracy is not None:
            self.points.append(Point(step, judge_reward, accuracy))

    def add(self, step: int, judge_reward: float | None, accuracy: float | None
            ) -> dict[str, Any] | None:
        if judge_reward is None or accuracy is None:
            return None       # an undefined value is no evidence either way
        self.points.append(Point(step, judge_reward, accuracy))
        window, last = self.spec.window, self.points[-1]
        rules = []
        if self.spec.gap is not None and last.gap >= self.spec.gap:
            rules.append("gap")
        if len(self.points) > window:
            first = self.points[-window - 1]
            if (last.judge_reward - first.judge_reward >= self.spec.rise
                    and first.accuracy - last.accuracy >= self.spec.fall):
                rules.append("diverge")
            if last.gap - first.gap >= self.spec.widen:
                rules.append("widen")
        if not rules:
            return None
        shown = self.points[-window - 1:]
        event = {"step": step, ALARM_KEY: 1, "alarm/rules": rules,
                 "alarm/steps": [p.step for p in shown],
                 "alarm/judge_reward": [round(p.judge_reward, 4) for p in shown],
                 "alarm/accuracy": [round(p.accuracy, 4) for p in shown]}
        self.events.append(event)
        return event


def warning_line(event: dict[str, Any]) -> str:
    """The one line a run prints when the alarm fires, with both series."""
    def series(key: str) -> str:
        return " ".join(f"{v:.2f}" for v in event[key])

    return (f"reasonlab: WARNING reward hacking suspected at step {event['step']} "
            f"({' and '.join(event['alarm/rules'])}): judge reward {series('alarm/judge_reward')}"
            f" vs true accuracy {series('alarm/accuracy')} over steps "
            f"{' '.join(map(str, event['alarm/steps']))}")


def scan(rows: Iterable[dict[str, Any]], spec: AlarmSpec) -> list[dict[str, Any]]:
    """The events a metrics log's evaluation rows (``eval/judge_reward``, ``eval/accuracy``)
    raise, in order: the rule the training run applies, replayed on a log."""
    alarm = Alarm(spec)
    for row in rows:
        if "eval/judge_reward" in row and "eval/accuracy" in row:
            alarm.add(int(row["step"]), row["eval/judge_reward"], row["eval/accuracy"])
    return alarm.events


def scan_file(path: str | Path, spec: AlarmSpec) -> list[dict[str, Any]]:
    from reasonlab.core.jsonl import read_jsonl

    return scan((obj for _, obj in read_jsonl(path)), spec)
