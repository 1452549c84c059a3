"""The ``code`` verifier: run the completion's program against the item's tests in the sandbox.

Items carry either ``"tests"`` (assert statements, one test each; MBPP/HumanEval style) or
``"io"`` (``[{"stdin", "stdout"}, ...]``; LiveCodeBench style), optionally ``"setup"`` (code run
before the program) and ``"time_limit"`` (seconds per test or case). The program is the last
```` ```python ```` block after the reasoning; without one the verdict is ``unparsable``.
Score = fraction of tests passed; ``correct`` only when all pass. A test that runs out of time is
failed (``wrong``): the verifier decided, the program was too slow. ``timeout``/``error`` are kept
for when the sandbox itself gave no answer or the item is malformed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reasonlab.errors import ConfigError
from reasonlab.sandbox import Job, Limits, RunFailed, SandboxPool, SandboxUnavailable
from reasonlab.sandbox.asserts import TestFormatError, TestPlan, judge_test, plan_tests
from reasonlab.sandbox.values import normalize_output
from reasonlab.tasks.item import Item
from reasonlab.verifiers.base import Verifier, options
from reasonlab.verifiers.extract import after_thinking
from reasonlab.verifiers.verdict import Verdict, correct, error, timeout, unparsable, wrong

_FENCE = re.compile(r"```python[^\n`]*\n(.*?)```", re.DOTALL)
MAX_PROGRAM_CHARS = 100_000
DEFAULT_TIME_LIMIT = 2.0
MAX_TIME_LIMIT = 60.0


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


def code_spec(item: Item) -> CodeSpec:
    """Read and check the item's code fields; ``ConfigError`` names the bad field."""
    extra = item.extra
    io_cases = extra.get("io")
    if item.tests is None and io_cases is None:
        raise ConfigError("a code item needs 'tests' (assert statements) or 'io' cases",
                          field="tests")
    if item.tests is not None and io_cases is not None:
        raise ConfigError("a code item has either 'tests' or 'io', not both", field="io")
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
    elif not item.tests:
        raise ConfigError("must hold at least one assert statement", field="tests")
    setup = extra.get("setup", "")
    if setup is None:
        setup = ""
    if not isinstance(setup, str):
        raise ConfigError(f"must be Python source text, got {type(setup).__name__}",
                          field="setup")
    limit = extra.get("time_limit", options(item).get("time_limit", DEFAULT_TIME_LIMIT))
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not (
            0 < limit <= MAX_TIME_LIMIT):
        raise ConfigError(f"must be seconds in (0, {MAX_TIME_LIMIT:g}], got {limit!r}",
                          field="time_limit")
    return CodeSpec(tests=list(item.tests) if item.tests is not None else None, io=cases,
                    setup=setup, limits=Limits(time=float(limit)))


@dataclass
class _Prepared:
    program: str
    spec: CodeSpec
    plans: list[TestPlan] | None
    job: Job


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
        plans = plan_tests(spec.tests, spec.setup, program)
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


def judge(item: Item, prepared: _Prepared, result: dict[str, Any] | RunFailed) -> Verdict:
    """Turn the judge's report into a verdict; every comparison happens here, outside."""
    program = prepared.program
    if isinstance(result, RunFailed):
        make = timeout if result.timed_out else error
        return make(item.id, f"sandbox: {result}", parsed=program)
    if "aborted" in result:
        return wrong(item.id, program, f"the run's judge was stopped ({result['aborted']}): "
                                       "only the program could have done that")
    if prepared.spec.io is not None:
        outcomes = [_judge_case(case, want) for case, (_, want) in
                    zip(result.get("cases") or [], prepared.spec.io, strict=False)]
    else:
        load = result.get("load") or {}
        if not load.get("ok") and load.get("setup"):
            return error(item.id, f"bad code item: its setup fails: {load.get('error')}",
                         parsed=program)
        if not load.get("ok"):
            return wrong(item.id, program, f"program failed to load: "
                                           f"{load.get('error', 'no report')}")
        tests = result.get("tests") or []
        refs = result.get("references") or [None] * len(prepared.plans)
        outcomes = []
        for index, plan in enumerate(prepared.plans):
            ref = refs[index] if index < len(refs) else None
            if plan.references and not (isinstance(ref, dict) and "values" in ref):
                why = ref.get("fail") if isinstance(ref, dict) else "missing"
                return error(item.id, f"tests[{index}]: could not evaluate the expected side "
                                      f"({why})", parsed=program)
            test = tests[index] if index < len(tests) else None
            if not isinstance(test, dict) or "values" not in test:
                reason = test.get("fail") if isinstance(test, dict) else "not run"
                outcomes.append((False, str(reason)))
                continue
            outcomes.append(judge_test(plan, test["values"],
                                       ref["values"] if isinstance(ref, dict) else []))
    total = len(prepared.spec.io if prepared.spec.io is not None else prepared.plans)
    passed = sum(ok for ok, _ in outcomes)
    if len(outcomes) < total:
        return error(item.id, f"sandbox reported {len(outcomes)} of {total} results",
                     parsed=program)
    if passed == total:
        return correct(item.id, program, f"{passed}/{total} tests passed")
    kind = "case" if prepared.spec.io is not None else "test"
    first = next(i for i, (ok, _) in enumerate(outcomes) if not ok)
    detail = f"{passed}/{total} tests passed; first failure: {kind} {first}: {outcomes[first][1]}"
    return Verdict(item.id, passed / total, "wrong", program, detail)


def _judge_case(case: Any, want: str) -> tuple[bool, str]:
    if not isinstance(case, dict):
        return False, "no result"
    if "fail" in case:
        return False, str(case["fail"])
    if not case.get("ok"):
        return False, f"runtime error ({case.get('status')}): {case.get('stderr', '')}"
    digest = hashlib.sha256(normalize_output(want).encode("utf-8", "surrogatepass")).hexdigest()
    if case.get("digest") == digest:
        return True, ""
    return False, f"got {case.get('head', '')[:80]!r}, expected {want[:80]!r}"


class CodeVerifier(Verifier):
    """Runs programs in a pool of sandboxes (started on first use, one per CPU by default)."""

    name = "code"
    version = "1"

    def __init__(self, pool: SandboxPool | None = None):
        self._pool = pool
        self._own_pool = pool is None

    @property
    def pool(self) -> SandboxPool:
        if self._pool is None:
            self._pool = SandboxPool()
        return self._pool

    def check(self, item: Item, completion: str) -> Verdict:
        return self.check_many([(item, completion)])[0]

    def check_many(self, pairs: Sequence[tuple[Item, str]]) -> list[Verdict]:
        prepared = [prepare(item, completion) for item, completion in pairs]
        runs = [i for i, p in enumerate(prepared) if isinstance(p, _Prepared)]
        verdicts: list[Verdict | None] = [p if isinstance(p, Verdict) else None for p in prepared]
        if runs:
            try:
                results = self.pool.run_many([prepared[i].job for i in runs],
                                             progress=len(runs) >= 16, desc="code")
            except SandboxUnavailable as exc:
                for i in runs:
                    verdicts[i] = error(pairs[i][0].id, str(exc), parsed=prepared[i].program)
                return verdicts  # type: ignore[return-value]
            for i, result in zip(runs, results, strict=False):
                try:
                    verdicts[i] = judge(pairs[i][0], prepared[i], result)
                except Exception as exc:  # noqa: BLE001  (a judging bug is an error verdict)
                    verdicts[i] = error(pairs[i][0].id, f"code verifier crashed: {exc!r}",
                                        parsed=prepared[i].program)
        return verdicts  # type: ignore[return-value]

    def close(self) -> None:
        if self._pool is not None and self._own_pool:
            self._pool.close()
            self._pool = None


def uses_code(specs: Iterable[str]) -> bool:
    """Whether any ``verifier`` field value (possibly weighted) names the code verifier."""
    from reasonlab.verifiers.compose import parse_spec

    for spec in set(specs):
        try:
            if any(name == "code" for _, name in parse_spec(spec)):
                return True
        except ConfigError:
            continue
    return False


def preflight(specs: Iterable[str], unsafe: bool = False) -> None:
    """Before a command verifies code: opt into ``unsafe`` if asked, then make sure the sandbox
    starts, raising ``SandboxUnavailable`` (one clear line, exit 2) when it cannot."""
    from reasonlab.sandbox import set_unsafe_no_sandbox

    if unsafe:
        set_unsafe_no_sandbox(True)
    if uses_code(specs):
        pool = SandboxPool(workers=1)
        try:
            pool.check()
        finally:
            pool.close()
