"""The ``code`` verifier's first half: an item's tests and a completion's program, read and
checked (``CodeSpec``, ``extract_program``) and planned into the sandbox job that runs them
(``prepare``: assert tests split into the program's and the setup's operands, io cases, or a
check's recording to replay). Anything wrong with the item is an ``error`` verdict here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasonlab.core.answer import after_thinking
from reasonlab.core.errors import ConfigError
from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, error, unparsable, wrong
from reasonlab.sandbox import Job, Limits
from reasonlab.sandbox.asserts import TestFormatError, TestPlan, plan_tests
from reasonlab.sandbox.checks import (
    CheckSpec,
    Record,
    check_function,
)
from reasonlab.sandbox.names import ProgramRebindsTestName
from reasonlab.verifiers.options import verify_options

_FENCE = re.compile(r"```python[^\n`]*\n(.*?)```", re.DOTALL)
MAX_PROGRAM_CHARS = 100_000
DEFAULT_TIME_LIMIT = 2.0
MAX_TIME_LIMIT = 60.0


@dataclass(frozen=True)
class CodeOptions:
    time_limit: float = DEFAULT_TIME_LIMIT  # seconds per test; the item's own time_limit wins


def extract_program(completion: str) -> tuple[str | None, str]:
    """(program, why there is none): the last ```python fenced block after the reasoning."""
    if not isinstance(completion, str):
        return None, "completion is not text"
    tail = after_thinking(completion)
    if tail is None:
        return None, "unterminated <think> block"
    blocks = _FENCE.findall(tail)
    if not blocks:
        return None, "no ```python code block"
    program = blocks[-1]
    if not program.strip():
        return None, "the last ```python block is empty"
    if len(program) > MAX_PROGRAM_CHARS:
        return None, f"program is {len(program)} characters, over {MAX_PROGRAM_CHARS}"
    return program, ""


@dataclass
class CodeSpec:
    """An item's code-test fields, checked."""

    tests: list[str] | None
    io: list[tuple[str, str]] | None
    setup: str
    limits: Limits
    check: CheckSpec | None = None


def code_spec(item: Item) -> CodeSpec:
    """Read and check the item's code fields; ``ConfigError`` names the bad field."""
    extra = item.extra
    io_cases = extra.get("io")
    kinds = [k for k, v in (("tests", item.tests), ("io", io_cases), ("check", extra.get("check")))
             if v is not None]
    if not kinds:
        raise ConfigError("a code item needs 'tests' (assert statements), 'io' cases or a "
                          "'check' function", field="tests")
    if len(kinds) > 1:
        raise ConfigError(f"a code item has one of 'tests', 'io', 'check', not {kinds}",
                          field=kinds[1])
    check = _check_spec(item) if kinds == ["check"] else None
    cases = None
    if io_cases is not None:
        if not isinstance(io_cases, list) or not io_cases:
            raise ConfigError('must be a non-empty list of {"stdin", "stdout"}', field="io")
        cases = []
        for index, case in enumerate(io_cases):
            if not (isinstance(case, dict) and isinstance(case.get("stdin", ""), str)
                    and isinstance(case.get("stdout"), str)):
                raise ConfigError(f'io[{index}] must be {{"stdin": str, "stdout": str}}',
                                  field="io")
            cases.append((case.get("stdin", ""), case["stdout"]))
    elif check is None and not item.tests:
        raise ConfigError("must hold at least one assert statement", field="tests")
    setup = extra.get("setup", "")
    if setup is None:
        setup = ""
    if not isinstance(setup, str):
        raise ConfigError(f"must be Python source text, got {type(setup).__name__}",
                          field="setup")
    limit = extra.get("time_limit", verify_options(item, CodeOptions).time_limit)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not (
            0 < limit <= MAX_TIME_LIMIT):
        raise ConfigError(f"must be seconds in (0, {MAX_TIME_LIMIT:g}], got {limit!r}",
                          field="time_limit")
    return CodeSpec(tests=list(item.tests) if item.tests is not None else None, io=cases,
                    setup=setup, limits=Limits(time=float(limit)), check=check)


def _check_spec(item: Item) -> CheckSpec:
    source, entry = item.extra.get("check"), item.extra.get("entry_point")
    if not isinstance(source, str) or not check_function(source):
        raise ConfigError("must be Python source defining check(candidate)", field="check")
    if not isinstance(entry, str) or not entry.isidentifier():
        raise ConfigError("must name the function under test", field="entry_point")
    if not isinstance(item.answer, str) or not item.answer.strip():
        raise ConfigError("a 'check' item needs its reference program as 'answer'",
                          field="answer")
    setup = item.extra.get("setup") or ""
    return CheckSpec(check=source, entry_point=entry, reference=item.answer,
                     setup=setup if isinstance(setup, str) else "")


@dataclass
class _Prepared:
    program: str
    spec: CodeSpec
    plans: list[TestPlan] | None
    job: Job | None               # a check item's waits for its recording
    record: Record | None = None


def prepare(item: Item, completion: str) -> _Prepared | Verdict:
    """The sandbox job for one completion, or the verdict that needs no run."""
    program, why = extract_program(completion)
    if program is None:
        return unparsable(item.id, why)
    try:
        spec = code_spec(item)
        limits = spec.limits.wire()
        if spec.io is not None:
            job = Job(public={"mode": "io", "program": program, "setup": spec.setup,
                              "inputs": [stdin for stdin, _ in spec.io], "limits": limits},
                      secret={}, timeout=_deadline(spec.limits.time, len(spec.io)))
            return _Prepared(program, spec, None, job)
        if spec.check is not None:
            return _Prepared(program, spec, None, None)
        plans = plan_tests(spec.tests, spec.setup, program)
    except ProgramRebindsTestName as exc:
        return wrong(item.id, program, str(exc))
    except (ConfigError, TestFormatError) as exc:
        return error(item.id, f"bad code item: {exc}", parsed=program)
    imports = sorted(set().union(*(p.imports for p in plans)))
    job = Job(public={"mode": "asserts", "program": program, "setup": spec.setup,
                      "exprs": [p.candidates for p in plans], "limits": limits},
              secret={"setup": spec.setup, "exprs": [p.references for p in plans],
                      "imports": imports},
              timeout=_deadline(spec.limits.time, len(plans)))
    return _Prepared(program, spec, plans, job)


def _deadline(limit: float, n: int) -> float:
    # The judge's own budgets: limit * (n + 2) for the program's run, as much for the reference
    # pass; the rest is slack for start-up and a loaded machine. Past it the verdict is timeout.
    return limit * (2 * n + 4) + 15.0
