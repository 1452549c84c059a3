"""The ``math`` verifier: symbolic equivalence by math-verify (gold first), in a process pool with
a deadline per call.

In the parent (cheap, per pair): strict extraction (the last ``<answer>`` block, a ``\\boxed{}``
inside it), then the structural guards of ``math_guards`` (several candidates, subsets, set vs
interval, contradicting units). What survives goes to a worker process, which parses the
reference once per distinct string (RL checks many completions of one item), parses the answer,
rejects a false equation between constants, and asks math-verify ``verify(gold, answer)`` with
math-verify's own timeouts set from what is left of the deadline. The parent's deadline is the
one that always holds: a worker past it is killed (see ``pool``).

Statuses: ``correct``; ``wrong``; ``unparsable`` (no answer, or math-verify cannot read it as
math); ``timeout`` (the deadline, or math-verify's timeout, hit); ``error`` (no or unreadable
reference, a worker crash) — errors are never reported as ``wrong``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from itertools import product
from time import monotonic
from typing import Any

from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, correct, error, timeout, unparsable, wrong
from reasonlab.verifiers.base import OptionsError, Verifier
from reasonlab.verifiers.math_guards import as_latex, guard
from reasonlab.verifiers.options import MathOptions, verify_options
from reasonlab.verifiers.rules import extract_for

DEFAULT_TIMEOUT_S = 5.0
_HANDLER = "reasonlab.verifiers.math:check_in_worker"


class MathVerifier(Verifier):
    """``workers`` processes (default: one per CPU) check answers with math-verify; each pair
    gets ``timeout_s`` seconds (per item: ``meta.verify.timeout_s``). ``memory_mb`` caps each
    worker's address space so one runaway expression cannot take the machine."""

    name = "math"
    version = "1"
    options_type = MathOptions

    def __init__(self, workers: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                 chunk_size: int = 16, memory_mb: int | None = 2048):
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.workers = workers or os.cpu_count() or 1
        self.timeout_s = float(timeout_s)
        self.chunk_size = chunk_size
        self.memory_mb = memory_mb
        self._pool_instance = None

    def _pool(self):
        if self._pool_instance is None:
            from reasonlab.verifiers.pool import DeadlinePool

            self._pool_instance = DeadlinePool(_HANDLER, self.workers, chunk_size=self.chunk_size,
                                               memory_mb=self.memory_mb)
        return self._pool_instance

    def check(self, item: Item, completion: str) -> Verdict:
        return self.check_many([(item, completion)])[0]

    def check_many(self, pairs: Sequence[tuple[Item, str]]) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * len(pairs)
        jobs: list[int] = []
        payloads: list[tuple[str, str]] = []
        deadlines: list[float] = []
        for index, (item, completion) in enumerate(pairs):
            try:
                verdict, payload, deadline = self._prepare(item, completion)
            except OptionsError as exc:
                verdict = error(item.id, f"math verifier: {exc}")
            except Exception as exc:  # noqa: BLE001  (one bad item spoils only its own verdict)
                verdict = error(item.id, f"math verifier crashed: {type(exc).__name__}: {exc}")
            if verdict is not None:
                verdicts[index] = verdict
            else:
                jobs.append(index)
                payloads.append(payload)
                deadlines.append(deadline)
        if jobs:
            from reasonlab.verifiers.pool import PoolStartError

            try:
                outcomes = self._pool().map(payloads, deadlines)
            except PoolStartError as exc:
                for index in jobs:
                    verdicts[index] = error(pairs[index][0].id, f"math verifier: {exc}")
            else:
                for index, payload, outcome in zip(jobs, payloads, outcomes, strict=True):
                    verdicts[index] = _verdict(pairs[index][0], outcome, payload[1])
        return verdicts  # type: ignore[return-value]

    def _prepare(self, item: Item, completion: str
                 ) -> tuple[Verdict | None, tuple[str, str], float]:
        """A verdict reached without math-verify, or the payload and deadline for a worker."""
        none = ("", "")
        if item.answer is None or not item.answer.strip():
            return error(item.id, "item has no reference answer to compare with"), none, 0.0
        limit = verify_options(item, MathOptions).timeout_s
        if limit is None:
            limit = self.timeout_s
        got = extract_for(item, completion)
        if not got.ok:
            return unparsable(item.id, got.reason), none, 0.0
        reason = guard(item.answer, got.text)
        if reason is not None:
            return wrong(item.id, got.text, reason), none, 0.0
        return None, (item.answer, got.text), float(limit)

    def versions(self) -> dict[str, str]:
        try:
            math_verify = package_version("math-verify")
        except PackageNotFoundError:
            math_verify = "missing"
        return {self.name: self.version, "math-verify": math_verify}

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (none before the first check or after close)."""
        return self._pool_instance.pids() if self._pool_instance is not None else []

    def close(self) -> None:
        if self._pool_instance is not None:
            self._pool_instance.close()


def _verdict(item: Item, outcome: Any, answer: str) -> Verdict:
    if outcome.status == "timeout":
        return timeout(item.id, f"math-verify gave no result in time ({outcome.detail})", answer)
    if outcome.status == "crashed":
        return error(item.id, f"math worker crashed: {outcome.detail}", answer)
    if outcome.status == "failed":
        return error(item.id, f"math verifier crashed: {outcome.detail}", answer)
    status, detail = outcome.value
    if status == "correct":
        return correct(item.id, answer, detail)
    if status == "wrong":
        return wrong(item.id, answer, detail or f"expected {item.answer}")
    if status == "unparsable":
        return unparsable(item.id, detail, answer)
    if status == "timeout":
        return timeout(item.id, detail, answer)
    return error(item.id, detail, answer)


# -- the worker side (runs in the pool's processes) -------------------------------------------

# Per worker, bounded, first in first out. RL checks a group of completions of one item, and
# the group's answers repeat ("12" five times of eight): the reference is parsed once, and a
# decided (gold, answer) pair is never worked out twice. Timeouts are not remembered.
_CACHE_SIZE = 8192
_gold_cache: dict[str, tuple[list, str]] = {}
_answer_cache: dict[str, list] = {}
_decided: dict[tuple[str, str], tuple[str, str]] = {}


def _remember(cache: dict, key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = value


def warm_up() -> None:
    """Import math-verify (and sympy) before the worker says it is ready."""
    import sys

    import math_verify  # noqa: F401

    # Keep CPython's guard against quadratic int<->str conversion on, whatever the environment
    # says: a 5,000-digit number must fail fast, not hang the worker.
    sys.set_int_max_str_digits(4300)
    import logging

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)  # we report timeouts ourselves
    logging.getLogger("latex2sympy2_extended").setLevel(logging.CRITICAL)


def _seconds_left(start: float, deadline_s: float) -> int:
    """math-verify's timeouts are ``signal.alarm`` seconds: whole, at least one. Rounding down
    keeps them inside the parent's deadline where possible."""
    return max(1, int(deadline_s - (monotonic() - start)))


def _parse(text: str, seconds: int) -> list:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    return parse(as_latex(text), extraction_config=[LatexExtractionConfig(),
                                                    ExprExtractionConfig()],
                 parsing_timeout=seconds, raise_on_error=True)


def _false_equation(parsed: list, seconds: int) -> str | None:
    """``4 = 3`` parses as an equation whose right side math-verify would compare; an equation
    between two constants that does not hold is a wrong answer, whatever its right side."""
    from latex2sympy2_extended.logic import And
    from math_verify import verify
    from sympy import Eq

    for expr in parsed:
        parts = expr._unsorted_args if isinstance(expr, And) else [expr]
        for part in parts:
            if (isinstance(part, Eq) and not part.lhs.free_symbols
                    and not part.rhs.free_symbols
                    and not verify(part.rhs, part.lhs, timeout_seconds=seconds)):
                return f"the answer states a false equation: {part.lhs} = {part.rhs}"
    return None


def check_in_worker(payload: tuple[str, str], deadline_s: float) -> tuple[str, str]:
    """(gold, answer) → (status, detail). Runs in a pool worker's main thread, where
    math-verify's signal-based timeouts work."""
    payload = tuple(payload)
    if payload in _decided:
        return _decided[payload]
    result = _check(payload, deadline_s)
    if result[0] != "timeout":
        _remember(_decided, payload, result)
    return result


def _check(payload: tuple[str, str], deadline_s: float) -> tuple[str, str]:
    from math_verify import verify
    from math_verify.errors import TimeoutException
    from sympy import Basic
    from sympy.matrices import MatrixBase

    def is_math(x: object) -> bool:
        return isinstance(x, (Basic, MatrixBase))

    gold_text, answer = payload
    start = monotonic()
    if gold_text not in _gold_cache:
        try:
            parsed_gold = _parse(gold_text, _seconds_left(start, deadline_s))
            note = "" if any(is_math(g) for g in parsed_gold) else "no math in it"
        except TimeoutException:
            return "timeout", "math-verify timed out parsing the reference answer"
        except Exception as exc:  # noqa: BLE001  (cached: the reference stays unreadable)
            parsed_gold, note = [], f"{type(exc).__name__}: {exc}"
        _remember(_gold_cache, gold_text, (parsed_gold, note))
    gold, note = _gold_cache[gold_text]
    if note:
        return "error", f"math-verify cannot read the reference answer {gold_text!r} ({note})"
    if answer not in _answer_cache:
        try:
            _remember(_answer_cache, answer, _parse(answer, _seconds_left(start, deadline_s)))
        except TimeoutException:
            return "timeout", "math-verify timed out parsing the answer"
        except Exception as exc:  # noqa: BLE001  (MemoryError, RecursionError on deep nesting)
            return "unparsable", f"math-verify cannot parse the answer ({type(exc).__name__})"
    pred = _answer_cache[answer]
    if not pred:
        return "unparsable", "math-verify found no math in the answer"
    timed_out, failures = False, []
    try:
        false_equation = _false_equation([p for p in pred if is_math(p)],
                                         _seconds_left(start, deadline_s))
    except TimeoutException:
        return "timeout", "math-verify timed out checking an equation in the answer"
    except Exception:  # noqa: BLE001  (not decidable: leave it to the comparison)
        false_equation = None
    if false_equation:
        return "wrong", false_equation
    # Each pairing separately, so one that raises or times out does not hide another that holds.
    for g, p in product(gold, pred):
        try:
            if verify(g, p, timeout_seconds=_seconds_left(start, deadline_s),
                      raise_on_error=True):
                return "correct", ""
        except TimeoutException:
            timed_out = True
        except Exception as exc:  # noqa: BLE001  (math-verify's own reading: not equal)
            failures.append(type(exc).__name__)
    if timed_out:
        return "timeout", "math-verify timed out comparing the answer"
    if not any(is_math(p) for p in pred):
        return "unparsable", "math-verify cannot read the answer as math"
    detail = f"expected {gold_text}"
    if failures:
        detail += f" (comparison raised {', '.join(sorted(set(failures)))})"
    return "wrong", detail
