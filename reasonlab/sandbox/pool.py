"""A pool of sandbox slots run in parallel (threads wait on the sandboxes, which do the work), with
a progress bar; one slot per worker, each with its own uid and its own warm sandbox."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from reasonlab.sandbox.bwrap import SandboxConfig, SandboxUnavailable, unsafe_requested
from reasonlab.sandbox.runner import Job, RunFailed, SandboxProcess


def default_workers() -> int:
    value = os.environ.get("REASONLAB_SANDBOX_WORKERS")
    if value:
        return max(1, int(value))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


class SandboxPool:
    """``run_many`` hands each job to a free slot; the result of a job is the judge's dict or the
    ``RunFailed`` that says why there is none."""

    def __init__(self, workers: int | None = None, config: SandboxConfig | None = None):
        self.config = config or SandboxConfig(unsafe=unsafe_requested())
        self.workers = workers or default_workers()
        self._free: queue.Queue[SandboxProcess] = queue.Queue()
        self._slots: list[SandboxProcess] = []
        self._lock = threading.Lock()
        self._checked = False
        self._open_slots()

    def _open_slots(self) -> None:
        # Slot numbers (hence uids) are unique among the pools of this process, so one pool's
        # clean-up can never reach another pool's processes.
        self._slots = [SandboxProcess(self.config, slot) for slot in _claim(self.workers)]
        for slot in self._slots:
            self._free.put(slot)

    def check(self) -> None:
        """Start one sandbox now, so a machine where it cannot work is told so at once."""
        with self._lock:
            if not self._slots:
                self._open_slots()
            if self._checked:
                return
            slot = self._free.get()
            try:
                if not slot.alive:
                    slot.start()
            finally:
                self._free.put(slot)
            self._checked = True

    def run(self, job: Job) -> dict | RunFailed:
        if not self._slots:
            self.check()
        slot = self._free.get()
        try:
            return slot.run(job)
        except RunFailed as exc:
            return exc
        finally:
            self._free.put(slot)

    def run_many(self, jobs: Sequence[Job], *, progress: bool = False,
                 desc: str = "sandbox") -> list[dict | RunFailed]:
        self.check()
        if not jobs:
            return []
        bar = None
        if progress:
            from tqdm import tqdm
            bar = tqdm(total=len(jobs), desc=desc, unit="run", dynamic_ncols=True, leave=False)
        results: list[dict | RunFailed | None] = [None] * len(jobs)

        def one(index: int) -> None:
            results[index] = self.run(jobs[index])
            if bar is not None:
                bar.update(1)

        try:
            if self.workers == 1 or len(jobs) == 1:
                for index in range(len(jobs)):
                    one(index)
            else:
                with ThreadPoolExecutor(max_workers=min(self.workers, len(jobs))) as executor:
                    list(executor.map(one, range(len(jobs))))
        finally:
            if bar is not None:
                bar.close()
        return results  # type: ignore[return-value]

    def close(self) -> None:
        """Stop every sandbox of the pool; using the pool again starts new ones."""
        with self._lock:
            slots, self._slots = self._slots, []
            while not self._free.empty():
                self._free.get_nowait()
            for slot in slots:
                slot.close()
            _release(slot.slot for slot in slots)
            self._checked = False

    def slot_uids(self) -> list[int | None]:
        return [slot.uid for slot in self._slots]


_claimed: set[int] = set()
_claim_lock = threading.Lock()


def _claim(n: int) -> list[int]:
    with _claim_lock:
        free = [i for i in range(len(_claimed) + n) if i not in _claimed][:n]
        _claimed.update(free)
        return free


def _release(slots) -> None:
    with _claim_lock:
        _claimed.difference_update(slots)


__all__ = ["SandboxPool", "SandboxUnavailable", "default_workers"]
