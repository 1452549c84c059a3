"""The reasoning-gym adapter's costs against reasoning-gym alone, side by side in one run.

- ``gym list``: ``reasonlab tasks list`` in a fresh process (every ``gym:`` task with its domain
  and difficulty range) against a fresh process that only imports reasoning_gym: listing should
  cost little beyond the import, since it never generates an item.
- ``gym verify``: the ``gym`` verifier (strict extraction, cached entry rebuild, the dataset's own
  scorer) against calling ``score_answer`` directly on the same answers.
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks.common import Result

DATASETS = ("basic_arithmetic", "gcd", "spell_backward", "word_sorting", "number_sorting")


def _fresh_process(code: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def _listing(repeats: int) -> Result:
    ours = _fresh_process("from reasonlab.cli import main; main(['tasks', 'list'])", repeats)
    base = _fresh_process("import reasoning_gym", repeats)
    return Result("gym list (fresh process)", ours, "s", base, "<= 2.0",
                  note="reasonlab tasks list vs import reasoning_gym; best of "
                       f"{repeats}")


def _verify(per_dataset: int) -> Result:
    from reasonlab.tasks import get_task
    from reasonlab.tasks.gym import rebuild_entry
    from reasonlab.verifiers.base import safe_check
    from reasonlab.verifiers.gym import GymVerifier

    items = [get_task(f"gym:{name}").item(i, 1, seed=0)
             for name in DATASETS for i in range(per_dataset)]
    pairs = [(item, f"<think>…</think><answer>{answer}</answer>")
             for item in items for answer in (item.answer, "wrong")]
    verifier = GymVerifier()
    start = time.perf_counter()
    verdicts = [safe_check(verifier, item, completion) for item, completion in pairs]
    ours = len(pairs) / (time.perf_counter() - start)
    assert sum(v.correct for v in verdicts) == len(items)

    direct = [(rebuild_entry(item.meta["gym"]), answer)
              for item in items for answer in (item.answer, "wrong")]
    start = time.perf_counter()
    for (dataset, entry), answer in direct:
        dataset.score_answer(answer, entry)
    base = len(direct) / (time.perf_counter() - start)
    return Result("gym verify throughput", ours, "completions/s", base, ">= 0.2",
                  note=f"{len(pairs)} completions over {', '.join(DATASETS)}; baseline calls "
                       "score_answer directly")


def run(quick: bool) -> list[Result]:
    return [_listing(1 if quick else 3), _verify(20 if quick else 200)]
