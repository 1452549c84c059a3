"""What a test's names mean, against the real sandbox: the setup's names mean the setup's
objects and Python's names mean Python's, whatever the program does to them in its own process
(redefining, rebinding through ``global``/``globals()``/``exec``, patching ``builtins`` or a
module); honest programs around those names still pass."""

# ruff: noqa: F811  (the tests take the shared sandbox fixtures as arguments)
from __future__ import annotations

import pytest
from test_sandbox_adversarial import check, leftovers, pool, verifier  # noqa: F401

# The setup's checker applied to the program's answer (issue 18): the program's part runs in its
# process, the checker outside it, so no redefinition inside the program's process is seen.
CHECK_SETUP = ("import collections\n"
               "def checker(xs, ys):\n"
               "    return ys == sorted(xs) and collections.Counter(ys) == "
               "collections.Counter(xs)\n"
               "XS = [3, 1, 2, 5, 4]\n")
CHECK_TESTS = ["assert checker(XS, my_sort(XS))", "assert checker([9, 7], my_sort([9, 7]))"]
UNSORTED = "def my_sort(xs):\n    return list(xs)\n"
CHECKER_HACKS = {
    "redefine_the_checker": UNSORTED + "def checker(xs, ys):\n    return True\n",
    "rebind_it_through_global": (
        "def my_sort(xs):\n"
        "    global checker\n"
        "    checker = lambda a, b: True\n"
        "    return list(xs)\n"),
    "patch_builtins": (
        "import builtins\n"
        "builtins.sorted = lambda xs, **k: list(xs)\n" + UNSORTED),
    "monkeypatch_a_module_the_check_imports": (
        "import collections\n"
        "collections.Counter = lambda xs: 0\n"
        + UNSORTED),
    "bind_both_through_globals": (
        "globals().update(my_sort=lambda xs: list(xs), checker=lambda a, b: True)\n"),
    "bind_both_through_exec": (
        "exec('def my_sort(xs):\\n    return list(xs)\\nchecker = lambda a, b: True')\n"),
    "edit_the_checkers_code": (
        "def my_sort(xs):\n"
        "    checker.__code__ = (lambda xs, ys: True).__code__\n"
        "    return list(xs)\n"),
}


def test_the_setups_checker_judges_outside_the_programs_process(verifier, pool):
    honest = "def my_sort(xs):\n    return sorted(xs)\n"
    verdict, _ = check(verifier, honest, CHECK_TESTS, setup=CHECK_SETUP)
    assert verdict.correct, verdict.detail
    verdict, _ = check(verifier, UNSORTED, CHECK_TESTS, setup=CHECK_SETUP)
    assert (verdict.status, verdict.score) == ("wrong", 0.0), verdict.detail


@pytest.mark.parametrize("name", sorted(CHECKER_HACKS))
def test_redefining_the_setups_checker_earns_nothing(verifier, pool, name):
    verdict, _ = check(verifier, CHECKER_HACKS[name], CHECK_TESTS, setup=CHECK_SETUP)
    assert verdict.score == 0.0, (name, verdict.status, verdict.detail)
    assert not leftovers(pool)


def test_a_check_that_cannot_be_split_is_the_items_error(verifier, pool):
    tests = ["assert all(checker(x, my_sort(x)) for x in [XS, [2, 1]])"]
    verdict, _ = check(verifier, "def my_sort(xs):\n    return sorted(xs)\n", tests,
                       setup=CHECK_SETUP)
    assert verdict.status == "error" and "cannot be judged outside" in verdict.detail


# Python's own names in a test mean Python's objects, whatever the program does to them.
PYTHON_NAME_HACKS = {
    "rebind_sorted": (["assert my_sort([3, 1, 2]) == sorted([3, 1, 2])"],
                      "sorted = lambda *a, **k: 0\ndef my_sort(xs):\n    return 0\n"),
    "def_set": (["assert set(similar((3, 4, 5, 6), (5, 7, 4, 10))) == set((4, 5))"],
                "def set(*a):\n    return 0\ndef similar(a, b):\n    return 0\n"),
    "patch_builtins_set": (["assert set(similar((3, 4, 5, 6), (5, 7, 4, 10))) == set((4, 5))"],
                           "import builtins\nbuiltins.set = lambda *a: {4, 5}\n"
                           "def similar(a, b):\n    return [1]\n"),
    "patch_math_isclose": (["assert math.isclose(area(2), 12.566, rel_tol=0.001)"],
                           "import math\nmath.isclose = lambda *a, **k: True\n"
                           "def area(r):\n    return 0\n"),
    "patch_math_inside_the_call": (["assert math.isclose(area(2), 12.566, rel_tol=0.001)"],
                                   "def area(r):\n    import math\n"
                                   "    math.isclose = lambda *a, **k: True\n    return 0\n"),
    "patch_all_for_a_comprehension": (
        ["assert all(double(x) == 2 * x for x in [1, 2, 3])"],
        "import builtins\nbuiltins.all = lambda it: True\ndef double(x):\n    return 0\n"),
    "import_another_module_as_math": (["assert math.isclose(area(2), 12.566, rel_tol=0.001)"],
                                      "import cmath as math\ndef area(r):\n    return 0\n"),
}


@pytest.mark.parametrize("setup", ["", "import math\n"], ids=["no-setup", "setup"])
@pytest.mark.parametrize("name", sorted(PYTHON_NAME_HACKS))
def test_python_names_in_a_test_mean_pythons_objects(verifier, pool, name, setup):
    tests, program = PYTHON_NAME_HACKS[name]
    verdict, _ = check(verifier, program, tests, setup=setup)
    assert verdict.score == 0.0 and verdict.status == "wrong", (name, verdict)
    assert not leftovers(pool)


@pytest.mark.parametrize(("tests", "program"), [
    (["assert math.isclose(area(2), 12.566, rel_tol=0.001)"],
     "import math\ndef area(r):\n    return math.pi * r * r\n"),
    (["assert set(similar((3, 4, 5, 6), (5, 7, 4, 10))) == set((4, 5))"],
     "def similar(a, b):\n    return tuple(set(a) & set(b))\n"),
    (["assert all(double(x) == 2 * x for x in [1, 2, 3])"],
     "def double(x):\n    return 2 * x\n"),
    (["assert copy([1, 2]) == [1, 2]", "assert len(copy([1])) == 1"],    # a stdlib name,
     "def copy(xs):\n    return list(xs)\n"),                            # not used as one
])
@pytest.mark.parametrize("setup", ["", "import math\n"], ids=["no-setup", "setup"])
def test_honest_programs_around_python_names_still_pass(verifier, pool, tests, program, setup):
    verdict, _ = check(verifier, program, tests, setup=setup)
    assert verdict.correct, verdict.detail
