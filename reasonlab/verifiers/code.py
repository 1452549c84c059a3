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

This module runs the jobs; reading items and programs into jobs is ``code_prepare.py``, and
turning a run's report into a verdict is ``code_verdict.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from reasonlab.core.errors import ConfigError
from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, error
from reasonlab.sandbox import Job, RunFailed, SandboxPool, SandboxUnavailable
from reasonlab.sandbox.checks import (
    Record,
    read_record,
    record_job,
    replay_job,
)
from reasonlab.verifiers.base import Verifier
from reasonlab.verifiers.code_prepare import (  # noqa: F401  (the item side, re-exported)
    DEFAULT_TIME_LIMIT,
    MAX_PROGRAM_CHARS,
    MAX_TIME_LIMIT,
    CodeOptions,
    CodeSpec,
    _deadline,
    _Prepared,
    code_spec,
    extract_program,
    prepare,
)
from reasonlab.verifiers.code_verdict import _judge_replay, judge  # noqa: F401


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
