"""The ``code`` verifier: program extraction, test planning (what stays outside the sandbox),
value encoding, and scoring through the real sandbox."""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from decimal import Decimal
from fractions import Fraction

import pytest

from reasonlab.core.item import Item
from reasonlab.sandbox.asserts import TestFormatError, decode, evaluate, judge_test, plan_tests
from reasonlab.sandbox.values import Unserializable, encode, normalize_output
from reasonlab.verifiers.code import extract_program, uses_code


def test_program_is_the_last_python_block_after_thinking():
    text = ("<think>try\n```python\nwrong = 1\n```\n</think>\nfirst\n```python\na = 1\n```\n"
            "then\n```python\nb = 2\n```\n")
    assert extract_program(text) == ("b = 2\n", "")
    assert extract_program("```python\nx = 1\n```")[0] == "x = 1\n"
    assert extract_program("<think>```python\nx = 1\n```")[0] is None  # unterminated think
    assert extract_program("no code here")[1] == "no ```python code block"
    assert extract_program("```\nx = 1\n```")[0] is None  # not marked python
    assert extract_program("```python\n   \n```")[0] is None


def test_literal_expected_values_never_enter_the_sandbox():
    plans = plan_tests(["assert f(2) == 4", "assert abs(f(1.5) - 3.25) < 1e-9",
                        "assert sorted(g([3, 1])) == [1, 3]", "assert not f(0)",
                        "assert math.isclose(f(2), 4.0, rel_tol=1e-6)", "assert f(2) in (4, 5)"],
                       setup="", program="def f(x): return 2*x\ndef g(x): return x")
    sent = [src for plan in plans for src in plan.candidates + plan.references]
    assert sent == ["f(2)", "f(1.5)", "g([3, 1])", "f(0)", "f(2)", "f(2)"]
    ok = judge_test(plans[1], [{"v": 3.25}], [])
    assert ok == (True, "")
    assert judge_test(plans[0], [{"v": 5}], []) == (False, "got 5, expected 4")
    assert judge_test(plans[2], [{"v": [3, 1]}], [])[0]
    assert judge_test(plans[3], [{"v": 0}], [])[0]
    assert judge_test(plans[4], [{"v": 4.0000001}], [])[0]
    assert not judge_test(plans[5], [{"v": 6}], [])[0]


def test_reference_side_uses_the_setup_not_the_program():
    plans = plan_tests(["assert f(3) == ref(3)", "assert f(2) == math.factorial(2)"],
                       setup="def ref(x): return x * 2", program="def f(x): ...\ndef ref(x): 0")
    assert plans[0].candidates == ["f(3)"] and plans[0].references == ["ref(3)"]
    assert plans[1].references == ["math.factorial(2)"] and "math" in plans[1].imports


def test_tests_must_be_single_asserts():
    for bad in ("x = 1", "assert f(1) == 1\nassert f(2) == 2", "for i in range(3): assert f(i)",
                "assert f(1 =="):
        with pytest.raises(TestFormatError, match=r"tests\[0\]"):
            plan_tests([bad], "", "")


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2 ** 200, -(3 ** 100), 1.5, math.inf, "text\n\u00e9", [1, [2]], (1, (2,)),
    {1, 2}, frozenset({3}), {"a": [1], 2: (3,)}, b"\x00\xff", bytearray(b"ab"), 2 + 3j,
    range(1, 9, 2), Fraction(1, 3), Decimal("1.10"), OrderedDict(a=1), Counter("abca")])
def test_builtin_values_round_trip(value):
    assert decode(encode(value)) == value
    assert type(decode(encode(value))) is type(value)


def test_nan_and_non_builtin_values():
    assert math.isnan(decode(encode(math.nan)))

    class Liar(int):
        def __eq__(self, other):
            return True

    for bad in (Liar(1), object(), [1, Liar(2)], {"k": lambda: 1}):
        with pytest.raises(Unserializable):
            encode(bad)
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(Unserializable):
        encode(deep)


def test_outside_arithmetic_is_bounded():
    plan = plan_tests(["assert f() == [0] * 10 ** 9"], "", "def f(): pass")[0]
    ok, why = judge_test(plan, [{"v": [0]}], [])
    assert not ok and "too large" in why
    plan = plan_tests(["assert f() == 10 ** 10 ** 8"], "", "def f(): pass")[0]
    assert "too large" in judge_test(plan, [{"v": 1}], [])[1]
    assert evaluate(("bin", __import__("ast").Add, ("const", 1), ("const", 2)), [], []) == 3


def test_io_normalization_is_lenient_on_blank_space_only():
    assert normalize_output("1 2  \n3\n\n") == normalize_output("  1 2\n3")
    assert normalize_output("1 2\n3") != normalize_output("1  2\n3")


def test_uses_code_reads_weighted_specs():
    assert uses_code(["exact", "0.8*code+0.2*format"])
    assert not uses_code(["exact", "math"])


# -- through the sandbox




def item(**fields) -> Item:
    tests = fields.pop("tests", None)
    return Item(id=fields.pop("id", "c"), task="code", domain="code", difficulty=1, prompt="",
                answer=None, verifier="code", tests=tests, extra=fields)


def code(program: str) -> str:
    return f"<think>plan</think>\n```python\n{program}\n```"


def test_score_is_the_fraction_of_tests_passed(code_verifier):
    tests = ["assert sq(2) == 4", "assert sq(3) == 9", "assert sq(-1) == 1", "assert sq(0) == 0"]
    right = code_verifier.check(item(tests=tests), code("def sq(x):\n    return x * x"))
    assert (right.status, right.score, right.detail) == ("correct", 1.0, "4/4 tests passed")
    half = code_verifier.check(item(tests=tests),
                               code("def sq(x):\n    return 2 * x if x > 0 else x"))
    assert (half.status, half.score) == ("wrong", 0.5)
    assert "test 1: got 6, expected 9" in half.detail
    crash = code_verifier.check(item(tests=tests),
                                code("def sq(x):\n    return x * x if x else 1 // x"))
    assert crash.score == 0.75 and "ZeroDivisionError" in crash.detail  # sq(0) raises
    assert code_verifier.check(item(tests=tests), "just prose").status == "unparsable"
    broken = code_verifier.check(item(tests=tests), code("def sq(x) return x"))
    assert broken.status == "wrong" and "SyntaxError" in broken.detail


def test_setup_and_reference_functions(code_verifier):
    spec = dict(tests=["assert total(xs) == ref(xs)", "assert total([]) == 0"],
                setup="xs = [1, 2, 3]\ndef ref(v): return sum(v)")
    assert code_verifier.check(item(**spec), code("def total(v):\n    return sum(v)")).correct
    # redefining the setup's reference function does not change the expected side
    cheat = "def total(v):\n    return -1\ndef ref(v):\n    return -1"
    verdict = code_verifier.check(item(**spec), code(cheat))
    assert verdict.score == 0 and "got -1, expected 6" in verdict.detail


def test_io_cases(code_verifier):
    io = [{"stdin": "2 3\n", "stdout": "5\n"}, {"stdin": "10 -4", "stdout": "6"},
          {"stdin": "0 0", "stdout": "0"}]
    good = code_verifier.check(item(io=io),
                               code("a, b = map(int, input().split())\nprint(a + b)  "))
    assert good.correct, good.detail
    wrong = code_verifier.check(item(io=io), code("a, b = map(int, input().split())\nprint(a - b)"))
    assert wrong.score == pytest.approx(1 / 3) and "expected" in wrong.detail
    crash = code_verifier.check(item(io=io), code("print(0)\nraise SystemExit(3)"))
    assert crash.score == 0 and "exited with code 3" in crash.detail


def test_bad_items_are_errors_not_wrong_answers(code_verifier):
    program = code("def f():\n    return 1")
    assert code_verifier.check(item(tests=["f() == 1"]), program).status == "error"
    assert code_verifier.check(item(), program).status == "error"
    assert code_verifier.check(item(tests=["assert f() == 1"], io=[{"stdin": "", "stdout": ""}]),
                          program).status == "error"
    for limit in (0, -1, "2", 1e9, True):
        verdict = code_verifier.check(item(tests=["assert f() == 1"], time_limit=limit), program)
        assert verdict.status == "error" and "time_limit" in verdict.detail
    bad_setup = code_verifier.check(item(tests=["assert f() == ref()"], setup="def ref(: pass"),
                               program)
    assert bad_setup.status == "error" and "setup fails" in bad_setup.detail
    forged = code("import os\nos.write(3, b'[\"E\", \"setup: no\", \"setup\"]\\n')\n"
                  "def f(): return 0")
    verdict = code_verifier.check(item(tests=["assert f() == 1"]), forged)
    assert verdict.status == "wrong", verdict.detail  # a forged setup failure is still a 0


def test_time_limit_is_per_item(code_verifier):
    slow = code("import time\ndef f():\n    time.sleep(0.6)\n    return 1")
    assert code_verifier.check(item(tests=["assert f() == 1"], time_limit=2), slow).correct
    verdict = code_verifier.check(item(tests=["assert f() == 1"], time_limit=0.3), slow)
    assert verdict.status == "wrong" and "time limit exceeded" in verdict.detail


def test_many_completions_in_parallel(code_verifier):
    tests = ["assert inc(1) == 2", "assert inc(41) == 42"]
    pairs = [(item(id=f"c{i}", tests=tests),
              code("def inc(x):\n    return x + 1" if i % 3 else "def inc(x):\n    return x"))
             for i in range(30)]
    verdicts = code_verifier.check_many(pairs)
    assert [v.id for v in verdicts] == [f"c{i}" for i in range(30)]
    assert [v.correct for v in verdicts] == [bool(i % 3) for i in range(30)]


def test_main_guard_does_not_run_under_assert_tests(code_verifier):
    program = ("def f(x):\n    return x + 1\n\nif __name__ == '__main__':\n"
               "    n = int(input())\n    print(f(n))\n")
    assert code_verifier.check(item(tests=["assert f(1) == 2"]), code(program)).correct
    io = [{"stdin": "4\n", "stdout": "5"}]
    assert code_verifier.check(item(io=io), code(program)).correct


def test_a_stub_in_the_setup_is_the_programs_to_fill():
    setup = 'def f(x):\n    """Return x doubled."""\n\ndef ref(x):\n    return 2 * x\n'
    plans = plan_tests(["assert f(2) == ref(2)"], setup, "def f(x):\n    return 2 * x\n")
    assert plans[0].candidates == ["f(2)"] and plans[0].references == ["ref(2)"]
