"""Judging a ``check(candidate)`` function that is more than plain asserts (HumanEval's loops,
helpers, random inputs), without trusting the program's process.

Three sandbox runs; the program is in only one of them, and no expected value is:

1. *record* (trusted: no program; once per item, cached by the verifier): setup + the reference
   solution + the check, ``random`` seeded. ``check(recorder)``: the recorder snapshots each
   call's arguments (builtin data only), then answers with the reference. The reference must
   pass its own check; the calls and the number of asserts are the record.
2. *candidate*: setup + program, each recorded call one test ``entry(<literal args>)``; its
   values come back as builtin data (the plain-assert path, with nothing to compare inside).
3. *replay* (trusted: no program): setup + the check, seeded the same way. ``check(replayer)``:
   the replayer hands back the program's values in call order, rebuilt from builtin data (so no
   lying ``__eq__`` and no exit inside the check), and refuses a call whose arguments differ from
   the recording. Asserts are counted instead of raised, so the score is the fraction passed.

A call that failed in the program (exception, time, non-builtin value) fails the next assert
the check evaluates; a check that stops early counts its unreached asserts as failed; a program
none of whose calls returned a value scores 0, whatever asserts hold without it.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonlab.sandbox import values
from reasonlab.sandbox.bwrap import Limits
from reasonlab.sandbox.runner import Job

_VALUES_SOURCE = (Path(__file__).parent / "values.py").read_text(encoding="utf-8")

# Runs inside the trusted record/replay worker, after the setup, (the reference,) and the check.
_DRIVER = '''
import json as _rl_json
import random as _rl_random

_rl_v = {"__name__": "rl_values"}
exec(_RL_VALUES_SOURCE, _rl_v)


class _RLCallFailed(Exception):
    pass


class _RLDiverged(BaseException):
    pass


_rl = {"passed": 0, "asserts": 0, "first": None, "failed_calls": 0, "seen": 0, "ok_calls": 0}


def _rl_assert(thunk, line):
    try:
        ok, why = bool(thunk()), "assertion failed"
    except _RLCallFailed as exc:
        ok, why = False, str(exc)
    except Exception as exc:
        ok, why = False, type(exc).__name__ + ": " + str(exc)[:300]
    if _rl["failed_calls"] != _rl["seen"]:
        # a call since the last assert failed in the program: this assert cannot pass
        ok, why = False, why if not ok else "a call before it failed in the program"
        _rl["seen"] = _rl["failed_calls"]
    _rl["asserts"] += 1
    _rl["passed"] += ok
    if not ok and _rl["first"] is None:
        _rl["first"] = "line %d: %s" % (line, why)


def _rl_finish(entry, stand_in):
    globals()[entry] = stand_in  # a check that names the function itself meets the stand-in too
    _rl_random.seed(0)  # the check's random inputs: the same in the record and the replay
    out = {}
    try:
        check(stand_in)
    except _RLDiverged as exc:
        out["diverged"] = str(exc)
    except _RLCallFailed as exc:
        out["error"] = str(exc)
    except BaseException as exc:
        out["error"] = type(exc).__name__ + ": " + str(exc)[:300]
    out.update(passed=_rl["passed"], asserts=_rl["asserts"], first=_rl["first"],
               ok_calls=_rl["ok_calls"])
    return out


def _rl_record(entry):
    reference, calls, depth = globals()[entry], [], [0]

    def recorder(*args, **kwargs):
        if depth[0]:
            return reference(*args, **kwargs)  # the reference recursing: not a check's call
        # builtin data only (refused here otherwise), snapshot before the reference runs
        calls.append(_rl_v["encode"]([list(args), kwargs]))
        state = _rl_random.getstate()  # the reference must not move the check's random inputs
        depth[0] += 1
        try:
            return reference(*args, **kwargs)
        finally:
            depth[0] -= 1
            _rl_random.setstate(state)

    out = _rl_finish(entry, recorder)
    out["calls"] = calls
    return out


def _rl_replay(entry, payload):
    payload = _rl_json.loads(payload)
    calls, results, index = payload["calls"], payload["results"], [0]

    def replayer(*args, **kwargs):
        i = index[0]
        index[0] += 1
        try:
            same = i < len(calls) and (_rl_v["encode"]([list(args), kwargs]) == calls[i]
                                       or _rl_v["decode"](calls[i]) == [list(args), kwargs])
        except Exception:
            same = False
        if not same:
            raise _RLDiverged("call %d has arguments the recording did not see" % i)
        got = results[i]
        if isinstance(got, dict) and "v" in got:
            _rl["ok_calls"] += 1
            return _rl_v["decode"](got["v"])
        _rl["failed_calls"] += 1
        raise _RLCallFailed("call %d: %s" % (i, got.get("!") if isinstance(got, dict) else got))

    out = _rl_finish(entry, replayer)
    out["calls"] = index[0]
    return out
'''


class _Asserts(ast.NodeTransformer):
    """``assert test, msg`` -> ``_rl_assert(lambda: test, line)``: counted, never raised."""

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        call = ast.Call(ast.Name("_rl_assert", ast.Load()),
                        [ast.Lambda(ast.arguments([], [], None, [], [], None, []), node.test),
                         ast.Constant(node.lineno)], [])
        return ast.copy_location(ast.Expr(call), node)


def counted_check(check: str) -> str:
    """The check's source with every assert counted instead of raised."""
    return ast.unparse(ast.fix_missing_locations(_Asserts().visit(ast.parse(check))))


def check_function(check: str) -> bool:
    """Whether ``check`` parses and defines ``check`` taking the function under test."""
    try:
        module = ast.parse(check)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.FunctionDef) and n.name == "check" and n.args.args
               for n in module.body)


@dataclass(frozen=True)
class CheckSpec:
    check: str        # source defining check(candidate)
    entry_point: str  # the function under test
    reference: str    # a program that passes the check
    setup: str = ""   # runs first, in every run (the prompt's helpers)

    @property
    def key(self) -> str:
        text = json.dumps([self.check, self.entry_point, self.reference, self.setup])
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Record:
    calls: list[str]        # each call as source: entry(<literal args>)
    encoded: list[Any]      # each call's arguments as builtin data (encoded)
    asserts: int


def trusted_limits(time_limit: float) -> tuple[dict, float]:
    """(limits, host deadline) of a record or replay run. They run the item's own check, never
    the program: the limit only guards against a check that hangs, so it is looser."""
    limits = Limits(time=min(max(time_limit * 5, 10.0), 60.0))
    return limits.wire(), limits.time * 6 + 15.0


def _trusted_job(spec: CheckSpec, program: str, expr: str, time_limit: float) -> Job:
    limits, timeout = trusted_limits(time_limit)
    return Job(public={"mode": "asserts", "program": program, "setup": spec.setup,
                       "exprs": [[expr]], "limits": limits}, secret={}, timeout=timeout)


def _driver() -> str:
    return f"_RL_VALUES_SOURCE = {_VALUES_SOURCE!r}\n{_DRIVER}"


def record_job(spec: CheckSpec, time_limit: float) -> Job:
    program = "\n".join([spec.reference, counted_check(spec.check), _driver()])
    return _trusted_job(spec, program, f"_rl_record({spec.entry_point!r})", time_limit)


def _trusted_value(result: dict[str, Any], what: str) -> dict[str, Any] | str:
    """The one value a trusted run returned, or why there is none."""
    load = result.get("load") or {}
    if not load.get("ok"):
        return f"the {what} did not load: {load.get('error', 'no report')}"
    tests = result.get("tests") or [None]
    test = tests[0] if isinstance(tests[0], dict) else {"fail": "not run"}
    got = (test.get("values") or [{}])[0] if "values" in test else {"!": test.get("fail")}
    if not isinstance(got, dict) or "v" not in got:
        return f"the {what} failed: {got.get('!') if isinstance(got, dict) else got}"
    try:
        value = values.decode(got["v"])
    except values.Undecodable as exc:
        return f"the {what} sent back {exc}"
    return value if isinstance(value, dict) else f"the {what} sent back {type(value).__name__}"


def read_record(spec: CheckSpec, result: dict[str, Any]) -> Record | str:
    """The recording, or why the item cannot be judged (its reference fails its own check...)."""
    out = _trusted_value(result, "recording (reference solution + check)")
    if isinstance(out, str):
        return out
    if out.get("error") or out.get("passed") != out.get("asserts"):
        return (f"the reference solution fails its own check: "
                f"{out.get('first') or out.get('error')}")
    if not out.get("calls"):
        return "the check never calls the function under test"
    if not out.get("asserts"):
        return "the check has no assert"
    calls = []
    for index, encoded in enumerate(out["calls"]):
        args, kwargs = values.decode(encoded)
        parts = [_literal(a) for a in args] + [f"{k}={_literal(v)}" for k, v in kwargs.items()]
        if None in parts:
            return f"call {index} of the check has an argument that is not a Python literal"
        calls.append(f"{spec.entry_point}({', '.join(parts)})")
    return Record(calls=calls, encoded=out["calls"], asserts=int(out["asserts"]))


def _literal(value: Any) -> str | None:
    text = repr(value)
    try:
        same = values.encode(ast.literal_eval(text)) == values.encode(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError,
            values.Unserializable):
        return None
    return text if same else None


def replay_job(spec: CheckSpec, record: Record, tests: list[Any], time_limit: float) -> Job:
    """The trusted run that replays the check on the program's values (``tests``: the
    candidate run's per-call reports)."""
    results = []
    for test in tests:
        got = (test.get("values") or [None])[0] if isinstance(test, dict) else None
        if isinstance(got, dict) and ("v" in got or "!" in got):
            results.append(got)
        else:
            results.append({"!": test.get("fail", "no value") if isinstance(test, dict)
                            else "not run"})
    payload = json.dumps({"calls": record.encoded, "results": results})
    program = "\n".join([counted_check(spec.check), _driver()])
    return _trusted_job(spec, program, f"_rl_replay({spec.entry_point!r}, {payload!r})",
                        time_limit)


def read_replay(record: Record, result: dict[str, Any]) -> tuple[int, int, str] | str:
    """(asserts passed, asserts in the check, first failure), or why the replay gave nothing."""
    out = _trusted_value(result, "replay of the check")
    if isinstance(out, str):
        return out
    passed = min(int(out.get("passed") or 0), record.asserts)
    if not out.get("ok_calls"):
        # asserts that hold whatever the function does pay nothing to a program that never
        # returned a value (an exit trick, a lying object)
        passed = 0
    total = max(record.asserts, int(out.get("asserts") or 0))
    why = ""
    if out.get("diverged"):
        why = (f"{out['diverged']} (the check depends on the function's results; not judged "
               "further)")
    why = why or out.get("first") or ""
    if out.get("error"):
        why = why or f"the check stopped: {out['error']}"
    if not why and passed < total:
        why = f"the check ran {out.get('asserts')} of its {record.asserts} asserts"
    if why:
        # A failure, a divergence or a stop is at least one assert that did not hold: a program
        # that fails is never scored as one that passed everything.
        passed = max(0, min(passed, total - 1))
    return passed, total, why
