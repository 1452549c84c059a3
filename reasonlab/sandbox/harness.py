"""The judge that runs inside the sandbox (stdlib only; started as ``python3 -I -S -B -c <this>``).

Its pid 1 is a supervisor that never reads a run: nothing inside can signal it, and it is
non-dumpable, so nothing inside can ptrace it or open its ``/proc`` files. For each run it forks
a sub-judge (so every run starts from this pristine memory, never from one that held an earlier
run's data). The sub-judge reads the run's public part, forks fresh workers that load the
untrusted program and evaluate the *candidate* side of each test, collects their reports, kills
every other process in the sandbox and empties the writable directory; only then does it read
the run's secret part (the nonce and the reference expressions), evaluate the references in a
worker that never sees the program, and write the run's one result line. Expected values never
enter a process that ran untrusted code; every comparison happens outside. A program that kills
its sub-judge ends its own run with nothing.

Wire format (host → judge): ``<length>\\n<marshal bytes>`` per part. Judge → host: JSON lines.
Worker → judge: JSON lines on fd 3: ``["L"]`` loaded, ``["E", msg]`` load failed,
``["T", i, [value-or-error, ...]]`` test *i*'s operand values.
"""


import json
import marshal
import os
import select
import sys
import time
import traceback

from reasonlab.sandbox.runs import RunKinds
from reasonlab.sandbox.worker import describe_status, set_limit


def emit(obj):
    data = (json.dumps(obj) + "\n").encode("utf-8", "surrogatepass")
    while data:
        data = data[os.write(1, data):]


def read_exact(fd, n):
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_part(fd=0):
    header = b""
    while not header.endswith(b"\n"):
        byte = os.read(fd, 1)
        if not byte:
            raise EOFError
        header += byte
    return marshal.loads(read_exact(fd, int(header)))


def non_dumpable():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE = 4
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


class Judge(RunKinds):
    """The supervisor and each run's sub-judge: process handling here, the kinds of run in
    ``RunKinds`` (runs.py)."""

    def __init__(self, kill_mode, workdir):
        self.kill_mode = kill_mode      # "ns": we are pid 1; "uid": a dedicated uid; else pgroup
        self.workdir = workdir

    def kill_others(self, worker=None):
        if self.kill_mode in ("ns", "uid"):
            for _ in range(3):
                try:
                    os.kill(-1, 9)
                except ProcessLookupError:
                    break
        elif worker is not None:
            try:
                os.killpg(worker.pid, 9)
            except ProcessLookupError:
                pass
        if worker is not None:
            worker.reap()
        self.reap_orphans()

    def reap_orphans(self, block=None):
        block = self.kill_mode == "ns" if block is None else block
        while True:
            try:
                pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def wipe(self):
        """Empty the writable directory, so the next run starts from a fresh tmpfs."""
        def remove(path):
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    os.chmod(path, 0o700)
                    for entry in os.listdir(path):
                        remove(os.path.join(path, entry))
                    os.rmdir(path)
                else:
                    os.unlink(path)
            except OSError:
                pass
        try:
            os.chmod(self.workdir, 0o700)
            entries = os.listdir(self.workdir)
        except OSError:
            return
        for entry in entries:
            remove(os.path.join(self.workdir, entry))

    def watch(self, worker, deadline, on_line, out_cap=0):
        """Pump the worker's pipes until it exits, ``on_line`` returns "stop", the output cap is
        hit, or the ``deadline()`` passes. Returns "exit", "stop", "timeout" or "output"."""
        while True:
            remaining = deadline() - time.monotonic()
            if remaining <= 0:
                return "timeout"
            fds = worker.fds() + [worker.pidfd]
            ready, _, _ = select.select(fds, [], [], min(remaining, 1.0))
            for fd in ready:
                if fd == worker.pidfd:
                    continue
                for line in worker.pump(fd, out_cap):
                    if on_line(line) == "stop":
                        return "stop"
                if worker.out_over:
                    return "output"
            if worker.pidfd in ready:
                for line in worker.drain(out_cap):
                    if on_line(line) == "stop":
                        return "stop"
                worker.reap()
                return "exit"

    # -- one run, in a sub-judge forked per run from the pristine pid 1

    def run_one(self, budget_fd):
        """Serve one run (in the sub-judge); returns the exit code (3: no more runs)."""
        try:
            job = read_part(0)
        except EOFError:
            return 3
        limits = job["limits"]
        n = len(job.get("exprs") or job.get("inputs") or [])
        budget = limits["time"] * (2 * n + 4) + 5.0  # the program's run, then the references
        os.write(budget_fd, repr(budget).encode())
        os.close(budget_fd)
        results = self.run_io(job) if job["mode"] == "io" else self.run_asserts(job)
        self.kill_others()
        self.wipe()
        emit({"ready": 1})
        # Only now, with nothing that ran the program alive, does the secret part come in.
        secret = read_part(0)
        out = {"nonce": secret["nonce"]}
        out.update(results)
        refs = secret.get("exprs") or []
        if any(refs):
            reported = [(t or {}).get("values") if isinstance(t, dict) else None
                        for t in results.get("tests") or []]
            out["references"] = self.references(job, secret, refs, limits["time"] * (n + 2),
                                                candidates=reported)
        emit(out)
        return 0

    def supervise(self, pid, budget_r):
        """Wait for the sub-judge, reaping orphans meanwhile (zombies count against
        RLIMIT_NPROC) and killing it when its run overstays the budget it announced."""
        pidfd = os.pidfd_open(pid)
        deadline, status = None, None
        try:
            while status is None:
                wait = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
                fds = [pidfd] + ([budget_r] if deadline is None else [])
                ready, _, _ = select.select(fds, [], [], wait)
                if budget_r in ready and deadline is None:
                    data = os.read(budget_r, 64)
                    deadline = time.monotonic() + (float(data) if data else 0.0)
                if pidfd in ready:
                    _, code = os.waitpid(pid, 0)
                    status = code
                elif deadline is not None and time.monotonic() > deadline:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    status = "over its time budget"
                while status is None and self.kill_mode == "ns":
                    try:
                        reaped, code = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if reaped == 0:
                        break
                    if reaped == pid:
                        status = code
        finally:
            os.close(pidfd)
        if isinstance(status, int):
            if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3:
                return None
            return "ok" if status == 0 else describe_status(status)
        return status

    def serve(self):
        """pid 1 never reads a run: each run is served by a sub-judge forked from this pristine
        process, so no program's worker inherits memory that held another run's data."""
        emit({"hello": 1, "python": sys.version.split()[0], "pid": os.getpid()})
        while True:
            select.select([0], [], [])  # a run (or EOF) is waiting; the sub-judge reads it
            budget_r, budget_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                code = 1
                os.close(budget_r)
                if self.kill_mode == "uid":
                    self.kill_mode = "pgroup"  # kill(-1) from here would hit pid 1's process
                try:
                    code = self.run_one(budget_w)
                except BaseException:  # noqa: B036
                    traceback.print_exc()
                finally:
                    os._exit(code)
            os.close(budget_w)
            status = self.supervise(pid, budget_r)
            os.close(budget_r)
            if status is None:
                return
            self.kill_others()
            self.wipe()
            emit({"done": 1, "status": status})


def main(argv):
    kill_mode, nproc, nofile = argv[0], int(argv[1]), int(argv[2])
    if kill_mode == "ns" and os.getpid() != 1:
        kill_mode = "pgroup"  # never kill(-1) outside a pid namespace we own
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # pid 1 ignores signals with no handler
    non_dumpable()
    set_limit("RLIMIT_CORE", 0)
    set_limit("RLIMIT_NOFILE", nofile)
    if nproc > 0:
        set_limit("RLIMIT_NPROC", nproc)
    Judge(kill_mode, os.getcwd()).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
