"""The ``code`` verifier: run the completion's program against the item's tests in the sandbox.

Items carry ``"tests"`` (assert statements, one test each; MBPP/HumanEval style), ``"io"``
(``[{"stdin", "stdout"}, ...]``; LiveCodeBench style) or ``"check"`` (a ``check(candidate)``
function with loops or helpers, plus ``"entry_point"`` and the reference program as ``answer``;
judged by record and replay, see ``sandbox/checks.py``), optionally ``"setup"`` (code run before
the program) and ``"time_limit"`` (seconds per test or case). The program is the last
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

from reasonlab.core.answer import after_thinking
from reasonlab.core.errors import ConfigError
from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, correct, error, timeout, unparsable, wrong
from reasonlab.sandbox import Job, Limits, RunFailed, SandboxPool, SandboxUnavailable
from reasonlab.sandbox.asserts import TestFormatError, TestPlan, judge_test, plan_tests
from reasonlab.sandbox.checks import (
    CheckSpec,
    Record,
    check_function,
    read_record,
    read_replay,
    record_job,
    replay_job,
)
from reasonlab.sandbox.values import normalize_output
from reasonlab.verifiers.base import Verifier
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


def judge(item: Item, prepared: _Prepared, result: dict[str, Any] | RunFailed,
          replay: dict[str, Any] | RunFailed | None = None) -> Verdict:
    """Turn the judge's report into a verdict; every comparison happens here, outside (a check
    item's: in ``replay``, the trusted run that replayed its check on the program's values)."""
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
        if prepared.record is not None:
            return _judge_replay(item, prepared, replay)
        tests = result.get("tests") or []
        refs = result.get("references") or [None] * len(prepared.plans)
        outcomes = []
        for index, plan in enumerate(prepared.plans):
            ref = refs[index] if index < len(refs) else None
            if plan.references and not (isinstance(ref, dict) and "values" in ref):
                why = ref.get("fail") if isinstance(ref, dict) else "missing"
                return error(item.id, f"tests[{index}]: could not evaluate the expected side "
                                      f"({why})", parsed=program)
            if not plan.candidates:
                # A test no program can change (HumanEval's `assert True`) is not counted: it
                # would pay a program that never runs a thing. One that fails is the item's.
                ok, why = judge_test(plan, [], ref["values"] if isinstance(ref, dict) else [])
                if not ok:
                    return error(item.id, f"bad code item: tests[{index}] fails whatever the "
                                          f"program: {why}", parsed=program)
                outcomes.append(None)
                continue
            test = tests[index] if index < len(tests) else None
            if not isinstance(test, dict) or "values" not in test:
                reason = test.get("fail") if isinstance(test, dict) else "not run"
                outcomes.append((False, str(reason)))
                continue
            outcomes.append(judge_test(plan, test["values"],
                                       ref["values"] if isinstance(ref, dict) else []))
    total = len(prepared.spec.io if prepared.spec.io is not None else prepared.plans)
    if len(outcomes) < total:
        return error(item.id, f"sandbox reported {len(outcomes)} of {total} results",
                     parsed=program)
    total = sum(outcome is not None for outcome in outcomes)
    if not total:
        return error(item.id, "bad code item: no test uses the program", parsed=program)
    passed = sum(outcome[0] for outcome in outcomes if outcome is not None)
    if passed == total:
        return correct(item.id, program, f"{passed}/{total} tests passed")
    kind = "case" if prepared.spec.io is not None else "test"
    first = next(i for i, outcome in enumerate(outcomes) if outcome and not outcome[0])
    detail = f"{passed}/{total} tests passed; first failure: {kind} {first}: {outcomes[first][1]}"
    return Verdict(item.id, passed / max(1, total), "wrong", program, detail)


def _judge_replay(item: Item, prepared: _Prepared,
                  replay: dict[str, Any] | RunFailed | None) -> Verdict:
    program = prepared.program
    if replay is None or isinstance(replay, RunFailed):
        make = timeout if getattr(replay, "timed_out", False) else error
        return make(item.id, f"sandbox: replaying the check: {replay or 'not run'}",
                    parsed=program)
    if "aborted" in replay:
        return error(item.id, f"the check's replay was stopped ({replay['aborted']})",
                     parsed=program)
    outcome = read_replay(prepared.record, replay)
    if isinstance(outcome, str):
        # The same check ran on the reference in the recording, so what broke it here is the
        # program's values (too large to replay, say): the program's failure.
        return wrong(item.id, program, outcome)
    passed, total, why = outcome
    if passed == total and not why:
        return correct(item.id, program, f"{passed}/{total} asserts of the check passed")
    return Verdict(item.id, passed / max(1, total), "wrong", program,
                   f"{passed}/{total} asserts of the check passed; first failure: {why}")


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
    options_type = CodeOptions

    def __init__(self, pool: SandboxPool | None = None):
        self._pool = pool
        self._own_pool = pool is None
        self._records: dict[str, Record] = {}  # check items' recordings, by CheckSpec.key

    @property
    def pool(self) -> SandboxPool:
        if self._pool is None:
            self._pool = SandboxPool()
        return self._pool

    def check(self, item: Item, completion: str) -> Verdict:
        return self.check_many([(item, completion)])[0]

    def check_many(self, pairs: Sequence[tuple[Item, str]]) -> list[Verdict]:
        prepared = [prepare(item, completion) for item, completion in pairs]
        verdicts: list[Verdict | None] = [p if isinstance(p, Verdict) else None for p in prepared]
        try:
            for i, why in self._record_checks(prepared).items():
                verdicts[i] = error(pairs[i][0].id, f"bad code item: {why}",
                                    parsed=prepared[i].program)
            runs = [i for i, v in enumerate(verdicts) if v is None]
            results = self._run([prepared[i].job for i in runs], "code")
            replays = self._replay_checks(prepared, runs, results)
        except SandboxUnavailable as exc:
            for i, verdict in enumerate(verdicts):
                if verdict is None:
                    verdicts[i] = error(pairs[i][0].id, str(exc), parsed=prepared[i].program)
            return verdicts  # type: ignore[return-value]
        for i, result in zip(runs, results, strict=True):
            try:
                verdicts[i] = judge(pairs[i][0], prepared[i], result, replays.get(i))
            except Exception as exc:  # noqa: BLE001  (a judging bug is an error verdict)
                verdicts[i] = error(pairs[i][0].id, f"code verifier crashed: {exc!r}",
                                    parsed=prepared[i].program)
        return verdicts  # type: ignore[return-value]

    def _run(self, jobs: list[Job], desc: str) -> list[dict[str, Any] | RunFailed]:
        return self.pool.run_many(jobs, progress=len(jobs) >= 16, desc=desc) if jobs else []

    def _record_checks(self, prepared: list[_Prepared | Verdict]) -> dict[int, str]:
        """Give each check item its recording (made once per item, in a run without any
        program) and its candidate job; returns index -> why, for items that cannot be judged."""
        checks = {i: p for i, p in enumerate(prepared)
                  if isinstance(p, _Prepared) and p.spec.check is not None}
        todo = {}
        for p in checks.values():
            key = p.spec.check.key
            if key not in self._records:
                todo.setdefault(key, p.spec)
        jobs = [record_job(spec.check, spec.limits.time) for spec in todo.values()]
        failed = {}
        for (key, spec), result in zip(todo.items(), self._run(jobs, "record checks"),
                                       strict=True):
            record = (f"recording the check: sandbox: {result}" if isinstance(result, RunFailed)
                      else read_record(spec.check, result))
            # only a recording is kept: a failure (a busy machine's time limit, say) is retried
            if isinstance(record, str):
                failed[key] = record
            else:
                self._records[key] = record
        bad = {}
        for i, p in checks.items():
            key = p.spec.check.key
            record = self._records.get(key, failed.get(key))
            if isinstance(record, str):
                bad[i] = record
                continue
            p.record = record
            p.job = Job(public={"mode": "asserts", "program": p.program, "setup": p.spec.setup,
                                "exprs": [[call] for call in record.calls],
                                "limits": p.spec.limits.wire()},
                        secret={}, timeout=_deadline(p.spec.limits.time, len(record.calls)))
        return bad

    def _replay_checks(self, prepared: list[_Prepared | Verdict], runs: list[int],
                       results: list[dict[str, Any] | RunFailed]) -> dict[int, Any]:
        """Replay each check item's check on its program's values, in runs without the program.
        """
        todo = {}
        for i, result in zip(runs, results, strict=True):
            p = prepared[i]
            if p.record is not None and isinstance(result, dict) and (
                    result.get("load") or {}).get("ok"):
                todo[i] = replay_job(p.spec.check, p.record, result.get("tests") or [],
                                     p.spec.limits.time)
        return dict(zip(todo, self._run(list(todo.values()), "replay checks"), strict=True))

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
