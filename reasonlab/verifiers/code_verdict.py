"""The ``code`` verifier's second half: a run's report (and, for a check item, its replay)
turned into a verdict. Every comparison happens here, outside the sandbox."""

from __future__ import annotations

import hashlib
from typing import Any

from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, correct, error, timeout, wrong
from reasonlab.sandbox import RunFailed
from reasonlab.sandbox.asserts import judge_test
from reasonlab.sandbox.checks import (
    read_replay,
)
from reasonlab.sandbox.values import normalize_output
from reasonlab.verifiers.code_prepare import _Prepared


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
    # One rule for every way a replay can fail: the replay runs no program, the same check
    # passed on the reference's values when it was recorded, and the program's run before it
    # worked, so whatever stops the replay (a timeout, a crash, values it cannot take) is the
    # program's values: wrong, score 0. (A failure of the program's own run, before any
    # replay, is the sandbox's: timeout or error, as for any code item.)
    program = prepared.program
    if replay is None or isinstance(replay, RunFailed):
        return wrong(item.id, program, f"the check's replay on the program's values failed: "
                                       f"{replay or 'not run'}")
    if "aborted" in replay:
        return wrong(item.id, program, f"the check's replay on the program's values was "
                                       f"stopped ({replay['aborted']})")
    outcome = read_replay(prepared.record, replay)
    if isinstance(outcome, str):
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
