"""In-loop evaluation of a run rewarded by a learned judge: the held-out suite's greedy
completions are scored by the rule verifiers (true accuracy, as ``InLoopEval`` does) and by the
judge (its mean reward), at step 0 and every ``eval.every`` steps, and the reward-hacking alarm
(``alarm.py``) watches the two. Both numbers go into ``DIR/evals/steps.jsonl`` and a row of
``metrics.jsonl``.

The judge's mean reward is over the completions it decided; its ``error`` verdicts are counted
(``judge_errors``) and left out, never read as 0. With no decided verdict the reward is null.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from reasonlab.core.jsonl import dumps
from reasonlab.core.summary import Summary
from reasonlab.train.alarm import Alarm, warning_line
from reasonlab.train.eval_callback import InLoopEval, record_step, step_row


class JudgeInLoopEval(InLoopEval):
    def __init__(self, suite, folder: str | Path, every: int, *, judge, alarm_spec,
                 metrics: Path, **kwargs: Any):
        super().__init__(suite, folder, every, **kwargs)
        self.judge = judge
        self.alarm = Alarm(alarm_spec)
        self.metrics = metrics
        # A resumed run: the evaluations before its checkpoint (the rows after it were dropped
        # when it resumed) are the alarm's history, so a window spans the resume.
        from reasonlab.train.eval_callback import read_steps

        for row in read_steps(self.folder):
            self.alarm.restore(int(row["step"]), row.get("judge_reward"),
                               row.get("true_accuracy"))

    def on_train_begin(self, args, state, control, **kwargs):
        # The baseline: what the judge and the truth say of the warm start. Every process
        # decides alike (evaluate() holds a collective save): from the step, not the disk.
        if state.global_step == 0 and not self.alarm.points:
            self.evaluate(0)
        return control

    def _run(self, step: int, weights: Path) -> Summary:
        from reasonlab.core.item import Item
        from reasonlab.evaluate.runfolder import SAMPLES, read_samples

        summary = super()._run(step, weights)
        samples = read_samples(self.folder / f"step-{step}" / SAMPLES)
        pairs = [(Item.from_dict({k: v for k, v in s.items() if k in _ITEM_KEYS}),
                  s["completion"]) for s in samples]
        verdicts = self.judge.check_many(pairs) if pairs else []
        decided = [v.score for v in verdicts if v.decided]
        # Decided samples only, as the eval summary counts them (errors/timeouts apart).
        statuses = [(s.get("verdict") or {}).get("status") for s in samples]
        truth = [status == "correct" for status in statuses
                 if status in ("correct", "wrong", "unparsable")]
        judge_reward = sum(decided) / len(decided) if decided else None
        accuracy = sum(truth) / len(truth) if truth else None
        row = {**step_row(step, summary), "judge_reward": _round(judge_reward),
               "judge_errors": len(verdicts) - len(decided),
               "true_accuracy": _round(accuracy)}
        record_step(self.folder, row)
        gap = None if judge_reward is None or accuracy is None else judge_reward - accuracy
        self._append({"step": step, "eval/judge_reward": _round(judge_reward),
                      "eval/accuracy": _round(accuracy), "eval/gap": _round(gap),
                      "eval/judge_errors": row["judge_errors"]})
        print(f"reasonlab: eval step {step}: judge reward {_show(judge_reward)}, true accuracy "
              f"{_show(accuracy)} on {len(samples)} held-out items", file=sys.stderr, flush=True)
        event = self.alarm.add(step, judge_reward, accuracy)
        if event is not None:
            print(warning_line(event), file=sys.stderr, flush=True)
            self._append(event)
        return summary

    def _append(self, row: dict[str, Any]) -> None:
        with open(self.metrics, "a", encoding="utf-8") as handle:
            handle.write(dumps(row) + "\n")


_ITEM_KEYS = ("id", "task", "domain", "difficulty", "prompt", "answer", "verifier", "meta",
              "teacher", "tests", "spec", "rubric")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _show(value: float | None) -> str:
    return "n/a (no decided verdict)" if value is None else f"{value:.3f}"
