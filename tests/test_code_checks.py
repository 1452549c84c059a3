"""Code items judged by a whole ``check(candidate)`` function (loops, helpers, random inputs):
recorded against the reference in a run without the program, replayed on the program's values
in another, through the real sandbox."""

from __future__ import annotations

import json
import secrets

import pytest

from reasonlab.core.item import Item
from reasonlab.sandbox.checks import counted_check


def check_item(check: str, reference: str, entry: str = "f", **extra) -> Item:
    return Item(id="k", task="code", domain="code", difficulty=1, prompt="", answer=reference,
                verifier="code", tests=None,
                extra={"check": check, "entry_point": entry, "time_limit": 1.0, **extra})


def code(program: str) -> str:
    return f"<think>x</think>\n```python\n{program}\n```"


LOOP = ("import random\n\n"
        "def check(candidate):\n"
        "    assert candidate(0) == 0\n"
        "    for _ in range(8):\n"
        "        x = random.randint(-50, 50)\n"
        "        assert candidate(x) == x * x, 'square'\n"
        "    assert helper(candidate(3))\n\n"
        "def helper(v):\n"
        "    return v == 9\n")
SQUARE = "def f(x):\n    return x * x\n"


def test_counted_check_turns_asserts_into_counts():
    assert "_rl_assert(lambda: candidate(0) == 0, 4)" in counted_check(LOOP)
    assert "assert " not in counted_check(LOOP)


def test_loops_helpers_and_random_inputs_are_judged(code_verifier):
    right = code_verifier.check(check_item(LOOP, SQUARE), code(SQUARE))
    assert (right.status, right.score) == ("correct", 1.0), right.detail
    assert right.detail == "10/10 asserts of the check passed"
    # right on non-negative inputs only: partial credit, the first failure named
    half = code_verifier.check(check_item(LOOP, SQUARE),
                               code("def f(x):\n    return x * abs(x)\n"))
    assert half.status == "wrong" and 0 < half.score < 1
    assert "first failure: line 7: assertion failed" in half.detail
    # a call that raises fails its assert; the others still count
    raises = code_verifier.check(check_item(LOOP, SQUARE),
                                 code("def f(x):\n    return 1 // 0 if x == 0 else x * x\n"))
    assert raises.score == pytest.approx(0.9) and "ZeroDivisionError" in raises.detail


def test_exit_tricks_and_lying_objects_earn_nothing(code_verifier):
    item = check_item(LOOP, SQUARE)
    for program in ("import sys\nsys.exit(0)\n", "import os\nos._exit(0)\n",
                    "import os\ndef f(x):\n    os._exit(0)\n",
                    "class A:\n    def __eq__(s, o): return True\n"
                    "def f(x):\n    return A()\n",
                    "class I(int):\n    def __eq__(s, o): return True\n"
                    "def f(x):\n    return I(1)\n"):
        verdict = code_verifier.check(item, code(program))
        assert (verdict.status, verdict.score) == ("wrong", 0.0), (program, verdict.detail)


def test_the_program_never_shares_a_process_with_the_check(code_verifier):
    # The expected value exists only in the check. A program that searches all of its own
    # memory for it (and returns it when found) would pass if the check had been near it.
    token = "ZZSECRET" + secrets.token_hex(16)
    check = (f"def check(candidate):\n    for i in range(3):\n"
             f"        assert candidate(i) == {token!r}\n")
    scanner = (
        "import ctypes, re\n"
        "def f(i):\n"
        "    for line in open('/proc/self/maps'):\n"
        "        span, perms = line.split()[:2]\n"
        "        if perms.startswith('rw'):\n"
        "            lo, hi = (int(x, 16) for x in span.split('-'))\n"
        "            found = re.search(b'ZZSECRET[0-9a-f]{32}', ctypes.string_at(lo, hi - lo))\n"
        "            if found and found.group().decode() != 'ZZSECRET' + '0' * 32:\n"
        "                return found.group().decode()\n"
        "    return None\n")
    item = check_item(check, f"def f(i):\n    return {token!r}\n", time_limit=5.0)
    assert code_verifier.check(item, code(f"def f(i):\n    return {token!r}\n")).correct
    verdict = code_verifier.check(item, code(scanner))
    assert verdict.score == 0.0, verdict.detail


def test_recording_follows_the_reference_not_its_recursion(code_verifier):
    check = ("def check(candidate):\n"
             "    assert [candidate(n) for n in range(6)] == [0, 1, 1, 2, 3, 5]\n"
             "    assert fib(7) == 13  # the function by name meets the program's too\n")
    reference = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
    item = check_item(check, reference, entry="fib")
    assert code_verifier.check(item, code(reference)).correct
    iterative = ("def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
                 "    return a\n")
    assert code_verifier.check(item, code(iterative)).correct
    off = code_verifier.check(item, code("def fib(n):\n    return n\n"))
    assert off.score == 0.0 and off.status == "wrong"


def test_keyword_arguments_and_property_checks(code_verifier):
    # find-a-root style: any value with the property passes, not only the reference's
    check = ("def check(candidate):\n"
             "    for c in (2, 9, 30):\n"
             "        r = candidate(target=c)\n"
             "        assert abs(r * r - c) < 1e-6\n")
    item = check_item(check, "def f(target):\n    return target ** 0.5\n")
    assert code_verifier.check(item, code("def f(target):\n    return -target ** 0.5\n")).correct
    assert not code_verifier.check(item, code("def f(target):\n    return target / 2\n")).correct


def test_a_check_that_branches_on_results_is_not_judged_past_the_branch(code_verifier):
    check = ("def check(candidate):\n"
             "    first = candidate(1)\n"
             "    assert first == 2\n"
             "    assert candidate(first) == 3\n")
    item = check_item(check, "def f(x):\n    return x + 1\n")
    assert code_verifier.check(item, code("def f(x):\n    return x + 1\n")).correct
    verdict = code_verifier.check(item, code("def f(x):\n    return 5 if x == 1 else x + 1\n"))
    assert verdict.status == "wrong" and "recording did not see" in verdict.detail


def test_bad_check_items_are_errors(code_verifier):
    program = code(SQUARE)
    failing = code_verifier.check(check_item(LOOP, "def f(x):\n    return x\n"), program)
    assert failing.status == "error" and "reference solution fails its own check" in \
        failing.detail
    for bad in (check_item("x = 1", SQUARE), check_item(LOOP, SQUARE, entry="no such"),
                check_item(LOOP, None), check_item(LOOP, SQUARE, io=[{"stdout": ""}])):
        verdict = code_verifier.check(bad, program)
        assert verdict.status == "error" and "bad code item" in verdict.detail, verdict.detail
    never = code_verifier.check(check_item("def check(candidate):\n    assert True\n", SQUARE),
                                program)
    assert never.status == "error" and "never calls" in never.detail


def test_a_check_item_survives_an_items_file(code_verifier):
    item = check_item(LOOP, SQUARE)
    again = Item.from_dict(json.loads(json.dumps(item.to_dict())))
    assert again.extra["check"] == LOOP and again.extra["entry_point"] == "f"
    assert code_verifier.check(again, code(SQUARE)).correct


def test_the_recording_is_made_once_per_item(sandbox_pool, monkeypatch):
    from reasonlab.verifiers.code import CodeVerifier

    verifier, batches = CodeVerifier(sandbox_pool), []
    real = sandbox_pool.run_many

    def counted(jobs, **kwargs):
        batches.append([job.public["exprs"][0][0].split("(")[0] for job in jobs])
        return real(jobs, **kwargs)

    monkeypatch.setattr(sandbox_pool, "run_many", counted)
    item = check_item(LOOP, SQUARE)
    assert verifier.check_many([(item, code(SQUARE)), (item, code(SQUARE))])[1].correct
    assert batches == [["_rl_record"], ["f", "f"], ["_rl_replay", "_rl_replay"]]
    batches.clear()
    assert not verifier.check(item, code("def f(x):\n    return x\n")).correct
    assert batches == [["f"], ["_rl_replay"]]


@pytest.mark.parametrize("report", [
    {"passed": 3, "asserts": 3, "ok_calls": 2, "error": "IndexError"},     # stopped after the last
    {"passed": 3, "asserts": 4, "ok_calls": 3, "diverged": "call 4 differs"},
    {"passed": 4, "asserts": 5, "ok_calls": 3, "first": "line 7: assert failed"},
])
def test_a_replay_that_failed_never_scores_as_one_that_passed(report):
    from reasonlab.sandbox import values
    from reasonlab.sandbox.checks import Record, read_replay

    result = {"load": {"ok": True}, "tests": [{"values": [{"v": values.encode(report)}]}]}
    passed, total, why = read_replay(Record(calls=[], encoded=[], asserts=3), result)
    assert why and passed < total, (passed, total, why)
    assert total == max(3, report["asserts"])


def test_every_way_a_replay_fails_is_the_programs_wrong_answer():
    """One rule (issue 18): the replay runs no program and the check passed on the reference's
    values, so a replay stopped by the host, a timeout, an abort or unreadable values is the
    program's failure: wrong, score 0, never an undecided verdict that leaves it out."""
    from types import SimpleNamespace

    from reasonlab.core.item import Item
    from reasonlab.sandbox.runner import RunFailed
    from reasonlab.verifiers.code_verdict import _judge_replay

    item = Item(id="c", task="code", domain="code", difficulty=1, prompt="", answer=None,
                verifier="code", meta={})
    prepared = SimpleNamespace(program="def f(x):\n    return x\n", record=None)
    for replay in (None, RunFailed("no result within 9 s", timed_out=True),
                   RunFailed("the sandbox died"), {"aborted": "over its time budget"}):
        verdict = _judge_replay(item, prepared, replay)
        assert (verdict.status, verdict.score) == ("wrong", 0.0), replay
        assert "replay" in verdict.detail
