"""The ``math`` verifier: true equivalences score 1, deadlines hold (a worker past its deadline
is killed and replaced), a crashed worker is an ``error`` and the pool recovers, and no worker
process outlives ``close()`` or the interpreter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from reasonlab.tasks import Item
from reasonlab.verifiers import verifier_names
from reasonlab.verifiers.math import MathVerifier, check_in_worker

SLACK_S = 2.0  # kill + reap + a loaded 2-core machine


def item(answer: str | None, iid: str = "m1", **verify_opts) -> Item:
    return Item(id=iid, task="t", domain="math", difficulty=1, prompt="p", answer=answer,
                verifier="math", meta={"verify": verify_opts} if verify_opts else {})


def ans(text: str) -> str:
    return f"<think>reasoning</think><answer>{text}</answer>"


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def math_verifier():
    verifier = MathVerifier(workers=2, timeout_s=5.0)
    assert verifier.check(item("1"), ans("1")).correct  # starts the pool outside any timing
    yield verifier
    verifier.close()


EQUIVALENT = [
    ("0.5", "\\frac{1}{2}"), ("\\frac{1}{2}", "0.5"), ("1/2", "\\dfrac12"), ("1/2", "2/4"),
    ("3", "x = 3"), ("x = 3", "3"), ("3", "3.0"), ("3", "\\boxed{3}"), ("\\boxed{3}", "3"),
    ("1, 2", "\\{2, 1\\}"), ("\\{1, 2\\}", "2, 1"), ("\\{1, 2\\}", "{2, 1}"),
    ("\\{1, 2\\}", "x = 1 \\text{ or } x = 2"), ("\\{1, 2\\}", "x \\in \\{2, 1\\}"),
    ("(1, 4]", "(1,4]"), ("[0, \\infty)", "[0,\\infty)"), ("1 < x < 4", "(1, 4)"),
    ("(-\\infty, 1) \\cup (2, \\infty)", "(2, \\infty) \\cup (-\\infty, 1)"),
    ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}"), ("2\\sqrt{2}", "\\sqrt{8}"),
    ("x^2 + 1", "1 + x^2"), ("1000", "1,000"), ("10,\\!000", "10000"), ("1{,}000", "1000"),
    ("\\$5", "5"), ("3 \\text{ cm}", "3"),
    ("4 \\text{ inches}", "4 \\text{ in}"), ("\\{2, 4\\}", "3 \\pm 1"), ("6", "2 + 4 = 6"),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
     "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}"),
    # math-verify documents percentages this way (grader.sympy_numeric_eq): 10% = 0.1, and an
    # integer percentage also equals its integer ("what percent ...? 10").
    ("10\\%", "0.1"), ("0.1", "10\\%"), ("10", "10\\%"), ("0.1", "10%"),
]


def test_registered_under_math():
    assert "math" in verifier_names()


@pytest.mark.parametrize(("gold", "answer"), EQUIVALENT)
def test_true_equivalences_score_one(math_verifier, gold, answer):
    verdict = math_verifier.check(item(gold), ans(answer))
    assert (verdict.status, verdict.score) == ("correct", 1.0), verdict
    assert verdict.parsed == ("3" if answer == "\\boxed{3}" else answer)  # box unwrapped


def test_batch_keeps_order_and_statuses(math_verifier):
    pairs = [(item("3", "a"), ans("3")), (item("3", "b"), ans("4")),
             (item("3", "c"), "3"), (item("3", "d"), ans(":")),
             (item(None, "e"), ans("3")), (item("\\frac{1}{2}", "f"), ans("0.5")),
             (item("3", "g", timeout_s="soon"), ans("3")),
             (item("3", "h", max_answer_chars="many"), ans("3"))]
    verdicts = math_verifier.check_many(pairs)
    assert [v.id for v in verdicts] == list("abcdefgh")
    assert [v.status for v in verdicts] == [
        "correct", "wrong", "unparsable", "unparsable", "error", "correct", "error", "error"]
    # A mistyped option spoils only its own verdict, which names the field.
    assert "meta.verify.max_answer_chars" in verdicts[7].detail
    assert "expected 3" in verdicts[1].detail
    assert "no <answer>" in verdicts[2].detail
    assert "timeout_s" in verdicts[6].detail


def test_many_completions_of_one_item_like_a_grpo_group(math_verifier):
    golds = ["\\frac{3}{4}", "12", "\\{1, 5\\}"]
    right = ["0.75", "12", "5, 1"]
    pairs = [(item(g, f"{i}-{k}"), ans(right[i] if k % 2 == 0 else "7"))
             for i, g in enumerate(golds) for k in range(8)]
    verdicts = math_verifier.check_many(pairs)
    assert [v.correct for v in verdicts] == [k % 2 == 0 for _ in golds for k in range(8)]


def test_reference_is_parsed_once_per_worker_and_unreadable_reference_is_an_error():
    from reasonlab.verifiers import math as math_module

    math_module.warm_up()
    assert check_in_worker(("\\frac{7}{9}", "\\frac{14}{18}"), 5.0) == ("correct", "")
    cached = math_module._gold_cache["\\frac{7}{9}"]
    assert check_in_worker(("\\frac{7}{9}", "0.5"), 5.0)[0] == "wrong"
    assert math_module._gold_cache["\\frac{7}{9}"] is cached
    status, detail = check_in_worker((":", "3"), 5.0)
    assert status == "error" and "reference" in detail


def test_nesting_guard_is_deterministic_and_leaves_honest_depth_alone(math_verifier):
    # A true but absurdly nested equivalent is rejected by structure, not by the clock.
    deep = "\\frac{" * 13 + "3" + "}{1}" * 13
    shallow = "\\frac{" * 3 + "3" + "}{1}" * 3
    verdicts = math_verifier.check_many([(item("3"), ans(deep)), (item("3"), ans(shallow))])
    assert verdicts[0].status == "wrong" and "nested 13 deep" in verdicts[0].detail
    assert verdicts[1].status == "correct"


def test_versions_name_math_verify():
    assert MathVerifier().versions()["math-verify"].startswith("0.")


# (More pathological inputs, each under every verifier, are in test_reward_hacking.py.)
@pytest.mark.parametrize("answer", ["2^{2^{2^{2^{2^{2}}}}}"])
def test_pathological_answer_returns_within_the_deadline(math_verifier, answer):
    deadline = 1.0
    start = time.monotonic()
    verdict = math_verifier.check(item("3", timeout_s=deadline), ans(answer))
    elapsed = time.monotonic() - start
    assert verdict.score == 0.0 and verdict.status in ("timeout", "wrong", "unparsable"), verdict
    assert elapsed < deadline + SLACK_S, f"took {elapsed:.1f}s"


def test_timeout_kills_the_worker_and_the_pool_carries_on(math_verifier):
    before = set(math_verifier.worker_pids())
    verdicts = math_verifier.check_many([
        (item("3", "slow", timeout_s=0.5), ans("9^{9^{9}}")),
        (item("3", "next"), ans("3")),
        (item("1/2", "after"), ans("\\frac{2}{4}")),
    ])
    assert [v.status for v in verdicts] == ["timeout", "correct", "correct"]
    assert "0.5 s" in verdicts[0].detail and verdicts[0].parsed == "9^{9^{9}}"
    after = set(math_verifier.worker_pids())
    assert len(after) == 2 and len(before - after) == 1  # one replaced, the other kept
    assert not any(alive(p) for p in before - after)


def cpu_ticks(pid: int) -> int:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])     # utime + stime


def wait_until_one_busy(pids: list[int], timeout: float, window: float = 0.3) -> None:
    """Return once exactly one of ``pids`` used CPU over a whole ``window`` (the others idle)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = [cpu_ticks(p) for p in pids]
        time.sleep(window)
        busy = [cpu_ticks(p) > b for p, b in zip(pids, before, strict=True)]
        if sum(busy) == 1:
            return
    raise AssertionError(f"the workers never settled to one busy one in {timeout} s")


def test_a_crashed_worker_is_an_error_for_its_pair_and_the_pool_recovers(math_verifier):
    pids = math_verifier.worker_pids()
    result: dict = {}
    pairs = [(item("3", "doomed", timeout_s=30), ans("9^{9^{9}}")), (item("4", "fine"), ans("4"))]
    thread = threading.Thread(target=lambda: result.update(v=math_verifier.check_many(pairs)))
    thread.start()
    # Kill once the fine pair is done and only the doomed worker is computing 9^(9^9); a fixed
    # sleep raced the fine pair on a loaded machine.
    wait_until_one_busy(pids, timeout=15.0)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)  # as the OOM killer would
    thread.join(timeout=20)
    doomed, fine = result["v"]
    assert doomed.status == "error" and "SIGKILL" in doomed.detail, doomed
    assert fine.status == "correct"
    assert math_verifier.check(item("5"), ans("5")).correct
    assert len(math_verifier.worker_pids()) == 2 and not set(pids) & set(
        math_verifier.worker_pids())


def test_close_leaves_no_process_and_the_pool_restarts_lazily(math_verifier):
    assert MathVerifier().worker_pids() == []  # nothing starts before the first check
    pids = math_verifier.worker_pids()
    assert len(pids) == 2 and all(alive(p) for p in pids)
    math_verifier.close()
    assert math_verifier.worker_pids() == [] and not any(alive(p) for p in pids)
    assert math_verifier.check(item("5"), ans("5")).correct  # starts again
    assert len(math_verifier.worker_pids()) == 2


def test_registry_pool_does_not_outlive_the_interpreter(tmp_path):
    script = textwrap.dedent("""
        from reasonlab.tasks import Item
        from reasonlab.verifiers import get_verifier, verify
        item = Item(id="a", task="t", domain="d", difficulty=1, prompt="p",
                    answer="\\\\frac{1}{3}", verifier="math")
        assert verify(item, "<answer>\\\\frac{2}{6}</answer>").correct
        print(*get_verifier("math").worker_pids())
    """)  # exits without close(): atexit must stop the workers
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert pids
    time.sleep(0.2)
    assert not any(alive(p) for p in pids)


def test_interrupt_midway_stops_the_busy_worker_and_the_next_call_works(math_verifier):
    before = set(math_verifier.worker_pids())

    def interrupt(*_):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            math_verifier.check(item("3", timeout_s=30), ans("9^{9^{9}}"))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    left = set(math_verifier.worker_pids())
    assert len(left) == 1 and not any(alive(p) for p in before - left)
    assert math_verifier.check(item("3"), ans("3")).correct  # refills the pool
    assert len(math_verifier.worker_pids()) == 2


def test_pool_reports_handler_errors_and_start_failures():
    from reasonlab.verifiers.pool import DeadlinePool, PoolStartError

    pool = DeadlinePool("operator:truediv", 2)  # handler(payload, deadline) = payload / deadline
    try:
        outcomes = pool.map([6, "x", 3], [2.0, 2.0, 1.5])
        assert [o.status for o in outcomes] == ["ok", "failed", "ok"]
        assert outcomes[0].value == 3.0 and "TypeError" in outcomes[1].detail
    finally:
        pool.close()
    broken = DeadlinePool("reasonlab.no_such_module:check", 1)
    try:
        with pytest.raises(PoolStartError, match="ModuleNotFoundError"):
            broken.map([1], [1.0])
    finally:
        broken.close()


def test_a_verifier_bug_in_the_worker_is_an_error_verdict(monkeypatch):
    from reasonlab.verifiers import math as math_module

    monkeypatch.setattr(math_module, "_HANDLER", "operator:truediv")  # raises on a tuple
    verifier = MathVerifier(workers=1)
    try:
        verdict = verifier.check(item("3"), ans("3"))
        assert verdict.status == "error" and "TypeError" in verdict.detail
    finally:
        verifier.close()
    monkeypatch.setattr(math_module, "_HANDLER", "reasonlab.no_such_module:check")
    verifier = MathVerifier(workers=1)
    try:
        verdict = verifier.check(item("3"), ans("3"))
        assert verdict.status == "error" and "fail to start" in verdict.detail
    finally:
        verifier.close()


@pytest.mark.parametrize(("gold", "answer", "rejected"), [
    ("3", "3 or 4", "several candidates"), ("3", "1 2 3 4", "several candidates"),
    ("3", "3 \\text{ (or 4)}", "several candidates"), ("\\{1, 2\\}", "1", "lists 1 value"),
    ("(1, 4)", "\\{1, 4\\}", "is a set"), ("\\{1, 4\\}", "[1, 4]", "tuple or interval"),
    ("3 \\text{ cm}", "3 \\text{ km}", "unit 'km'"), ("10,\\!000", "10000", None),
    ("(1, 4)", "1, 4", None), ("1 < x < 4", "(1, 4)", None), ("\\{2, 4\\}", "3 \\pm 1", None),
    ("\\{1, 2\\}", "x \\in \\{2, 1\\}", None), ("|x - 1|", "|1 - x|", None),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", None),
])
def test_guard_rules(gold, answer, rejected):
    from reasonlab.verifiers.math_guards import guard

    reason = guard(gold, answer)
    assert (reason is None) if rejected is None else (rejected in (reason or "")), reason
