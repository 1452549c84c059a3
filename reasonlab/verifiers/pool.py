"""A pool of long-lived worker processes that runs a handler on many payloads with a deadline per
call, for checkers that can hang (math-verify's sympy on pathological LaTeX).

Why processes, and why not ``multiprocessing.Pool``: math-verify's own timeout is ``signal.alarm``,
which works only in a process's main thread, and C-level work (a huge integer power) ignores
signals anyway; the only deadline that always holds is killing the process. ``Pool`` cannot kill
one task's worker and go on. So each worker is a plain ``python -m reasonlab.verifiers.pool``
child (no fork of a parent that may hold torch threads, no re-import of the caller's
``__main__``) speaking pickled messages over two pipes.

Work goes out in chunks to amortize the round trip, results come back one per payload; a payload
starts when the previous one's result arrives, so the parent's deadline is per call, not per chunk.
A worker past its deadline is killed and replaced, its payload is a ``timeout`` and the rest of
its chunk is re-queued. A worker that dies (e.g. the OOM killer) makes its payload ``crashed``.
"""

from __future__ import annotations

import atexit
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Literal

OutcomeStatus = Literal["ok", "failed", "timeout", "crashed"]


@dataclass
class Outcome:
    """``ok``: the handler returned ``value``; ``failed``: it raised (``detail`` names the
    exception); ``timeout``: past the deadline, the worker was killed; ``crashed``: the worker
    died while running it."""

    status: OutcomeStatus
    value: Any = None
    detail: str = ""


class PoolStartError(RuntimeError):
    """A worker could not even start (bad handler, broken install): no payload can run."""


class _Worker:
    def __init__(self, handler: str, memory_mb: int | None):
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        if root not in _site_dirs():
            # Run from a source tree: the child must import this very reasonlab. (A site
            # directory is not put first: it would come before the standard library.)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-m", "reasonlab.verifiers.pool", handler,
                   str(task_read), str(result_write), str(memory_mb or 0)]
        try:
            self.process = subprocess.Popen(command, pass_fds=(task_read, result_write), env=env,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            os.close(task_read)
            os.close(result_write)
        self.tasks = Connection(task_write, readable=False)
        self.results = Connection(result_read, writable=False)
        self.ready = False
        self.inflight: deque[int] = deque()
        self.started = 0.0  # when the payload at the head of ``inflight`` began

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.tasks.close()
        self.results.close()

    def stop(self) -> None:
        """Ask politely (EOF on its task pipe), then kill what has not left after a moment."""
        self.tasks.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.results.close()

    def exit_reason(self) -> str:
        code = self.process.wait()
        if code < 0:
            try:
                return f"worker killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"worker killed by signal {-code}"
        return f"worker exited with code {code}"


def _site_dirs() -> set[str]:
    import site

    dirs = set(site.getsitepackages()) | {site.getusersitepackages()}
    return {str(Path(d).resolve()) for d in dirs}


_POOLS: weakref.WeakSet[DeadlinePool] = weakref.WeakSet()


class DeadlinePool:
    """Runs ``handler(payload, deadline_s)`` (a ``"module:function"`` importable in a fresh
    interpreter) on payloads in ``workers`` processes. Starts lazily; ``close()`` stops every
    worker and a later ``map`` starts them again. Not for concurrent use from several threads."""

    def __init__(self, handler: str, workers: int | None = None, *, chunk_size: int = 16,
                 memory_mb: int | None = None, start_timeout_s: float = 120.0):
        if ":" not in handler:
            raise ValueError(f"handler must be 'module:function', got {handler!r}")
        self.handler = handler
        self.size = max(1, workers or os.cpu_count() or 1)
        self.chunk_size = max(1, chunk_size)
        self.memory_mb = memory_mb
        self.start_timeout_s = start_timeout_s
        self._workers: list[_Worker] = []
        self._owner = os.getpid()
        self._lock = threading.Lock()
        _POOLS.add(self)

    # -- lifecycle ---------------------------------------------------------------------------

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.poll() is None]

    def close(self) -> None:
        if os.getpid() != self._owner:  # a forked copy must not stop its parent's workers
            self._workers = []
            return
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.tasks.close()
        for worker in workers:
            worker.stop()

    def _start(self) -> None:
        if os.getpid() != self._owner:
            self._workers, self._owner = [], os.getpid()
        for worker in [w for w in self._workers if w.process.poll() is not None]:
            worker.kill()  # died while idle (killed from outside): reap it, close its pipes
            self._workers.remove(worker)
        while len(self._workers) < self.size:
            self._workers.append(_Worker(self.handler, self.memory_mb))

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._workers[self._workers.index(worker)] = _Worker(self.handler, self.memory_mb)

    # -- work --------------------------------------------------------------------------------

    def map(self, payloads: Sequence[Any], deadlines: Sequence[float]) -> list[Outcome]:
        """One outcome per payload, in order. ``deadlines[i]`` (seconds) bounds payload i from
        the moment its worker starts it."""
        if len(payloads) != len(deadlines):
            raise ValueError("one deadline per payload")
        if not payloads:
            return []
        with self._lock:
            try:
                return self._map(payloads, deadlines)
            except BaseException:
                # Interrupted midway: busy workers would answer into the next call. Stop them;
                # the next call starts new ones.
                for worker in [w for w in self._workers if w.inflight]:
                    worker.kill()
                    self._workers.remove(worker)
                raise

    def _map(self, payloads: Sequence[Any], deadlines: Sequence[float]) -> list[Outcome]:
        self._start()
        results: list[Outcome | None] = [None] * len(payloads)
        pending = deque(range(len(payloads)))
        start_failures = 0
        waiting_since = time.monotonic()
        while pending or any(w.inflight for w in self._workers):
            now = time.monotonic()
            for worker in self._workers:
                if worker.ready and not worker.inflight and pending:
                    take = min(self.chunk_size,
                               max(1, -(-len(pending) // (2 * len(self._workers)))))
                    chunk = [pending.popleft() for _ in range(min(take, len(pending)))]
                    try:
                        worker.tasks.send([(i, payloads[i], float(deadlines[i])) for i in chunk])
                    except OSError:  # it died since its last message; the chunk goes back
                        pending.extendleft(reversed(chunk))
                        self._replace(worker)
                        continue
                    worker.inflight.extend(chunk)
                    worker.started = now
            busy = [w for w in self._workers if w.inflight]
            if busy:
                waiting_since = now
                wake = min(w.started + deadlines[w.inflight[0]] for w in busy) - now
            elif now - waiting_since > self.start_timeout_s:
                raise PoolStartError(f"no {self.handler} worker became ready within "
                                     f"{self.start_timeout_s:.0f} s")
            else:
                wake = 1.0
            for conn in wait([w.results for w in self._workers], timeout=max(0.0, wake)):
                worker = next((w for w in self._workers if w.results is conn), None)
                if worker is None:
                    continue
                failure = self._drain(worker, results)
                if failure is not None:
                    start_failures = 0 if worker.ready else start_failures + 1
                    if start_failures >= 3:
                        raise PoolStartError(f"{self.handler} workers fail to start: {failure}")
                    self._fail_head(worker, results, pending, Outcome("crashed", None, failure))
            now = time.monotonic()
            for worker in self._workers:
                if worker.inflight and now - worker.started > deadlines[worker.inflight[0]]:
                    limit = deadlines[worker.inflight[0]]
                    self._fail_head(worker, results, pending,
                                    Outcome("timeout", None, f"no result within {limit:g} s"))
        return results  # type: ignore[return-value]

    def _drain(self, worker: _Worker, results: list[Outcome | None]) -> str | None:
        """Read every message the worker has sent; returns why it died, if it did."""
        try:
            while worker.results.poll():
                message = worker.results.recv()
                if message[0] == "ready":
                    worker.ready = True
                elif message[0] == "start_failed":
                    return f"worker could not start: {message[1]}"
                else:
                    index, ok, value = message
                    head = worker.inflight.popleft()
                    assert head == index, f"worker answered {index}, expected {head}"
                    results[index] = Outcome("ok", value) if ok else Outcome("failed", None, value)
                    worker.started = time.monotonic()
        except (EOFError, OSError):
            return worker.exit_reason()
        return None

    def _fail_head(self, worker: _Worker, results: list[Outcome | None], pending: deque[int],
                   outcome: Outcome) -> None:
        if worker.inflight:
            results[worker.inflight.popleft()] = outcome
            pending.extendleft(reversed(worker.inflight))
            worker.inflight.clear()
        self._replace(worker)


@atexit.register
def _close_all_pools() -> None:
    for pool in list(_POOLS):
        pool.close()


# -- the worker side -------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the parent dies, so a worker stuck in C code never outlives it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _limit_memory(memory_mb: int) -> None:
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def worker_main(argv: list[str]) -> int:
    handler, task_fd, result_fd, memory_mb = argv
    tasks = Connection(int(task_fd), writable=False)
    results = Connection(int(result_fd), readable=False)
    _die_with_parent()
    if os.getppid() == 1:  # the parent died before the line above took effect
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        _limit_memory(int(memory_mb))
        module_name, function_name = handler.split(":", 1)
        module = importlib.import_module(module_name)
        function = getattr(module, function_name)
        warm_up = getattr(module, "warm_up", None)
        if warm_up is not None:
            warm_up()  # heavy imports before "ready", so no payload's deadline pays for them
    except BaseException:  # noqa: BLE001  (reported to the parent, which raises PoolStartError)
        results.send(("start_failed", traceback.format_exc(limit=2).strip().splitlines()[-1]))
        return 1
    results.send(("ready", os.getpid()))
    while True:
        try:
            chunk = tasks.recv()
        except (EOFError, OSError):
            return 0
        for index, payload, deadline in chunk:
            try:
                message = (index, True, function(payload, deadline))
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001  (a handler bug is a 'failed' outcome)
                message = (index, False, f"{type(exc).__name__}: {exc}")
            results.send(message)


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
