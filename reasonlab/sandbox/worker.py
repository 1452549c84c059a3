"""The worker side of the judge (runs inside the sandbox): a child forked from the judge with only
its own pipes open and rlimits set, which loads the untrusted program and reports operand values
(assert tests) or runs it as ``__main__`` on a case's stdin (io tests). Stdlib only."""

import builtins
import errno
import json
import os
import sys
import traceback

# Inlined in the sandbox, where these names are the same script's.
from reasonlab.sandbox.values import Unserializable, decode, encode  # noqa: F401

MAX_REPORT_BYTES = 8 << 20     # all reports of one worker
TAIL = 2000                    # bytes of stderr kept for a failure's detail


def set_limit(name, soft, hard=None):
    import resource
    try:
        resource.setrlimit(getattr(resource, name), (soft, soft if hard is None else hard))
    except (ValueError, OSError):
        pass


def describe_exc(exc):
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 500 else text[:500] + "..."


def describe_status(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = {9: "SIGKILL", 11: "SIGSEGV", 6: "SIGABRT", 24: "SIGXCPU", 25: "SIGXFSZ"}.get(
            sig, f"signal {sig}")
        return f"killed by {name}"
    return f"exited with code {os.WEXITSTATUS(status)}"


# -- the worker: a forked child that loads the program and evaluates candidate operands


def start_worker(target, limits, stdin_fd=None, capture_stdout=False):
    """Fork a worker with fd 0 = ``stdin_fd`` (or /dev/null), fd 1 = a pipe (or /dev/null),
    fd 2 = a pipe, fd 3 = the report pipe, and nothing else open."""
    rep_r, rep_w = os.pipe()
    err_r, err_w = os.pipe()
    out_r, out_w = os.pipe() if capture_stdout else (None, None)
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(stdin_fd if stdin_fd is not None else null, 0)
            os.dup2(out_w if out_w is not None else null, 1)
            os.dup2(err_w, 2)
            os.dup2(rep_w, 3)
            os.closerange(4, 1 << 16)
            os.setpgid(0, 0)
            set_limit("RLIMIT_AS", limits["memory_mb"] << 20)
            set_limit("RLIMIT_FSIZE", limits["fsize_mb"] << 20)
            cpu = int(limits["cpu_s"]) + 1
            set_limit("RLIMIT_CPU", cpu, cpu + 1)
            import signal
            signal.signal(signal.SIGINT, signal.default_int_handler)
            code = target()
        except BaseException:  # noqa: B036  (the worker must never return into the judge)
            try:
                traceback.print_exc()
            except BaseException:  # noqa: B036
                pass
        finally:
            os._exit(code)
    for fd in (rep_w, err_w, out_w, stdin_fd):
        if fd is not None:
            os.close(fd)
    return Worker(pid, rep_r, err_r, out_r)


def report(obj):
    data = (json.dumps(obj) + "\n").encode("utf-8", "surrogatepass")
    while data:
        data = data[os.write(3, data):]


def flush_std():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: B036
            pass


def candidate_values(reports):
    """``__reasonlab_c(j)``: candidate j's value as the program's worker reported it, rebuilt
    from builtin data; a candidate that failed fails the expression that uses it."""
    def value(j):
        got = reports[j] if reports is not None and 0 <= j < len(reports) else None
        if not isinstance(got, dict) or "v" not in got:
            why = got.get("!") if isinstance(got, dict) else "no value was reported"
            raise RuntimeError(f"the program's part failed: {why}")
        return decode(got["v"])
    return value


def asserts_target(setup, program, exprs, start, auto_import=(), bindings=None):
    """Load setup + program, then report each test's operand values from ``start`` on.
    ``bindings``: per test, the candidate reports its reference expressions may read
    (``__reasonlab_c(j)``); given only to the reference worker, which runs no program."""
    def run():
        # Tests are evaluated with the builtins as they were before the program ran: a program
        # that patches ``builtins.all`` changes its own code, not the test's.
        pristine = dict(vars(builtins))
        # Not "__main__": like the usual MBPP/HumanEval harnesses, a program's
        # ``if __name__ == "__main__":`` demo (often reading stdin) does not run under tests.
        ns = {"__name__": "solution", "__builtins__": builtins}
        try:
            exec(compile(setup, "<setup>", "exec"), ns)
        except BaseException as exc:  # noqa: B036
            flush_std()
            report(["E", "setup: " + describe_exc(exc), "setup"])
            return 0
        try:
            for name in auto_import:
                if name not in ns and not hasattr(builtins, name):
                    try:
                        ns[name] = __import__(name)
                    except ImportError:
                        pass
            exec(compile(program, "<solution>", "exec"), ns)
        except BaseException as exc:  # noqa: B036  (SystemExit too: a load that exits failed)
            flush_std()
            report(["E", describe_exc(exc)])
            return 0
        flush_std()
        report(["L"])
        for index in range(start, len(exprs)):
            values = []
            if bindings is not None:
                ns["__reasonlab_c"] = candidate_values(
                    bindings[index] if index < len(bindings) else None)
            for source in exprs[index]:
                try:
                    scope = {**ns, "__builtins__": pristine}
                    value = eval(compile(source, f"<test {index}>", "eval"), scope)
                    values.append({"v": encode(value)})
                except BaseException as exc:  # noqa: B036
                    values.append({"!": describe_exc(exc)})
            flush_std()
            report(["T", index, values])
        flush_std()
        return 0
    return run


def io_target(setup, program):
    def run():
        sys.argv = ["solution.py"]
        ns = {"__name__": "__main__", "__builtins__": builtins}
        code = 0
        try:
            exec(compile(setup, "<setup>", "exec"), ns)
            exec(compile(program, "solution.py", "exec"), ns)
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:  # noqa: B036
            traceback.print_exc()
            code = 1
        flush_std()
        return code
    return run


class Worker:
    def __init__(self, pid, rep, err, out):
        self.pid, self.rep, self.err, self.out = pid, rep, err, out
        self.pidfd = os.pidfd_open(pid)
        self.rep_buf = b""
        self.rep_total = 0
        self.err_tail = b""
        self.out_buf = bytearray()
        self.out_over = False
        self.status = None

    def fds(self):
        return [fd for fd in (self.rep, self.err, self.out) if fd is not None]

    def pump(self, fd, out_cap):
        """Read what ``fd`` has; returns complete report lines."""
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError as exc:
            if exc.errno == errno.EAGAIN:
                return []
            chunk = b""
        if not chunk:
            self._close(fd)
            return []
        if fd == self.err:
            self.err_tail = (self.err_tail + chunk)[-TAIL:]
        elif fd == self.out:
            room = out_cap - len(self.out_buf)
            self.out_buf += chunk[:max(room, 0)]
            if len(chunk) > room:
                self.out_over = True
        else:
            self.rep_total += len(chunk)
            if self.rep_total > MAX_REPORT_BYTES:
                self.rep_buf = b""
                self._close(fd)
                return [["X", f"reports exceeded {MAX_REPORT_BYTES} bytes"]]
            self.rep_buf += chunk
            *lines, self.rep_buf = self.rep_buf.split(b"\n")
            out = []
            for line in lines:
                try:
                    out.append(json.loads(line.decode("utf-8", "surrogatepass")))
                except (ValueError, RecursionError):
                    continue  # not ours: the program wrote junk to fd 3
            return out
        return []

    def _close(self, fd):
        os.close(fd)
        if fd == self.rep:
            self.rep = None
        elif fd == self.err:
            self.err = None
        else:
            self.out = None

    def drain(self, out_cap):
        lines = []
        for fd in self.fds():
            os.set_blocking(fd, False)
            while fd in self.fds():
                before = (len(self.rep_buf), len(self.err_tail), len(self.out_buf), self.rep_total)
                lines += self.pump(fd, out_cap)
                if fd in self.fds() and before == (len(self.rep_buf), len(self.err_tail),
                                                   len(self.out_buf), self.rep_total):
                    break
        return lines

    def reap(self):
        if self.status is None:
            try:
                _, self.status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                self.status = 0
        return self.status

    def close(self):
        for fd in self.fds():
            os.close(fd)
        self.rep = self.err = self.out = None
        os.close(self.pidfd)

    def stderr_tail(self):
        text = self.err_tail.decode("utf-8", "replace").strip()
        return text.splitlines()[-1] if text else ""
