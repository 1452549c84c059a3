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

from reasonlab.sandbox.values import output_digest
from reasonlab.sandbox.worker import (
    asserts_target,
    describe_status,
    io_target,
    set_limit,
    start_worker,
)

HEAD = 300                     # characters of a program's stdout kept for a failure's detail
MAX_RUN_REPORT_BYTES = 24 << 20  # values one run may send back (the host reads up to 64 MiB)


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


class Judge:
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

    # -- one run of assert tests

    def run_asserts(self, job):
        limits = job["limits"]
        exprs = job["exprs"]
        n = len(exprs)
        tests = [None] * n
        state = {"load": None, "stage": -1, "mark": time.monotonic(), "start": 0}
        timeouts = 0
        spent = 0
        # One budget for the whole run: reloading the program after every failing test must not
        # stretch a run past what the host waits for (that would read as "undecided").
        budget = limits["time"] * (n + 2)
        end_all = time.monotonic() + budget
        while state["load"] is None or state["start"] < n:
            if spent > MAX_RUN_REPORT_BYTES or time.monotonic() >= end_all:
                why = ("results too large" if spent > MAX_RUN_REPORT_BYTES
                       else f"not run: the run's time budget ({budget:g}s) is spent")
                if state["load"] is None:
                    state["load"] = {"ok": False, "error": why}
                for rest in range(state["start"], n):
                    tests[rest] = {"fail": why}
                break
            worker = start_worker(
                asserts_target(job["setup"], job["program"], exprs, state["start"]),
                dict(limits, cpu_s=limits["time"] * (n - state["start"] + 1)))
            state["stage"], state["mark"] = -1, time.monotonic()

            def on_line(line):
                if not isinstance(line, list) or not line:
                    return None
                kind = line[0]
                if kind == "X":
                    return "stop"
                if state["stage"] == -1:
                    if kind == "E" and len(line) in (2, 3):
                        state["load"] = {"ok": False, "error": str(line[1])[:1000],
                                         "setup": len(line) == 3}
                        return "stop"
                    if kind == "L":
                        state["load"] = state["load"] or {"ok": True}
                        state["stage"], state["mark"] = state["start"], time.monotonic()
                        return "stop" if state["stage"] >= n else None
                    return None
                if (kind == "T" and len(line) == 3 and line[1] == state["stage"]
                        and isinstance(line[2], list)):
                    tests[state["stage"]] = {"values": line[2]}
                    state["stage"] += 1
                    state["mark"] = time.monotonic()
                    return "stop" if state["stage"] >= n else None
                return None

            outcome = self.watch(worker, lambda: min(state["mark"] + limits["time"], end_all),
                                 on_line)
            stage = state["stage"]
            reason = None
            if outcome != "stop" or stage != n:
                reason = {"timeout": "time limit exceeded ({:g}s)".format(limits["time"]),
                          "stop": "the program flooded its report channel"}.get(outcome)
            self.kill_others(worker)
            worker.close()
            spent += worker.rep_total
            if state["load"] is not None and not state["load"]["ok"]:
                if state["load"].get("setup"):
                    # The program could forge this line to dodge a wrong verdict; only a
                    # setup that also fails without the program is the item's fault.
                    state["load"]["setup"] = self.setup_fails(job)
                break
            if stage == -1:  # died or hung while loading
                if reason is None:
                    reason = "exited while loading ({}){}".format(
                        describe_status(worker.reap()),
                        ": " + worker.stderr_tail() if worker.stderr_tail() else "")
                state["load"] = {"ok": False, "error": reason}
                break
            if stage >= n:
                break
            if reason is None:
                reason = "the program {} during this test{}".format(
                    describe_status(worker.reap()),
                    ": " + worker.stderr_tail() if worker.stderr_tail() else "")
            tests[stage] = {"fail": reason}
            timeouts += outcome == "timeout"
            state["start"] = stage + 1
            if timeouts >= limits["max_timeouts"]:
                for rest in range(stage + 1, n):
                    tests[rest] = {"fail": f"not run after {timeouts} timeouts"}
                break
        return {"load": state["load"], "tests": tests}

    def setup_fails(self, job):
        flags = {"failed": False}

        def on_line(line):
            if isinstance(line, list) and len(line) == 3 and line[0] == "E":
                flags["failed"] = True
            return "stop" if isinstance(line, list) and line[:1] in (["E"], ["L"]) else None

        limits = job["limits"]
        worker = start_worker(asserts_target(job["setup"], "", [], 0),
                              dict(limits, cpu_s=limits["time"]))
        end = time.monotonic() + limits["time"]
        self.watch(worker, lambda: end, on_line)
        self.kill_others(worker)
        worker.close()
        return flags["failed"]

    # -- one run of stdin/stdout cases

    def run_io(self, job):
        limits = job["limits"]
        cases = []
        timeouts = 0
        for index, text in enumerate(job["inputs"]):
            if timeouts >= limits["max_timeouts"]:
                cases.append({"fail": f"not run after {timeouts} timeouts"})
                continue
            path = os.path.join(self.workdir, f".stdin-{index}")
            with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
                handle.write(text)
            stdin_fd = os.open(path, os.O_RDONLY)
            os.unlink(path)
            worker = start_worker(io_target(job.get("setup", ""), job["program"]),
                                  dict(limits, cpu_s=limits["time"]), stdin_fd=stdin_fd,
                                  capture_stdout=True)
            end = time.monotonic() + limits["time"]
            outcome = self.watch(worker, lambda end=end: end, lambda line: None,
                                 out_cap=limits["output_bytes"])
            self.kill_others(worker)
            worker.close()
            if outcome == "timeout":
                timeouts += 1
                cases.append({"fail": "time limit exceeded ({:g}s)".format(limits["time"])})
            elif outcome == "output":
                cases.append({"fail": f"output limit exceeded ({limits['output_bytes']} bytes)"})
            else:
                status = worker.reap()
                out = worker.out_buf.decode("utf-8", "replace")
                cases.append({"status": describe_status(status), "ok": status == 0,
                              "digest": output_digest(out), "head": out[:HEAD],
                              "stderr": worker.stderr_tail()})
        return {"cases": cases}

    # -- the secret part, read by a fresh child once nothing untrusted is alive

    def references(self, job, secret, refs, deadline_s):
        """Evaluate the expected sides that need Python (not literals) in a fresh worker that
        runs the item's setup but never the program."""
        results = [None] * len(refs)
        worker = start_worker(
            asserts_target(secret.get("setup", ""), "", refs, 0,
                           auto_import=secret.get("imports", [])),
            dict(job["limits"], cpu_s=deadline_s))
        state = {"load": None}

        def on_line(line):
            if isinstance(line, list) and line and line[0] == "E":
                state["load"] = line[1] if len(line) > 1 else "setup failed"
                return "stop"
            if isinstance(line, list) and len(line) == 3 and line[0] == "T":
                if isinstance(line[1], int) and 0 <= line[1] < len(results):
                    results[line[1]] = {"values": line[2]}
            return None

        end = time.monotonic() + deadline_s
        outcome = self.watch(worker, lambda: end, on_line)
        self.kill_others(worker)
        worker.close()
        for index, value in enumerate(results):
            if value is None:
                why = state["load"] or ("time limit exceeded" if outcome == "timeout"
                                        else "reference evaluation failed")
                results[index] = {"fail": f"setup/reference: {why}"}
        return results

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
            out["references"] = self.references(job, secret, refs, limits["time"] * (n + 2))
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
