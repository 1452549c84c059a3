"""One slot's sandbox seen from the host: start it, hand it runs, read results with bounds and a
deadline, and kill its whole process group when anything goes wrong (it restarts on next use).

A run is two parts: the public part (program, setup, candidate expressions, io inputs, limits)
goes in first; the secret part (nonce, reference expressions) only after the judge says every
process that ran the program is dead. The result is the one line that carries the nonce.
"""

from __future__ import annotations

import json
import marshal
import os
import queue
import secrets
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reasonlab.sandbox.bwrap import (
    Command,
    SandboxConfig,
    SandboxUnavailable,
    build_command,
    slot_uid,
)

MAX_STDOUT = 64 << 20   # everything one run may send back
MAX_STDERR = 8 << 10    # kept tail of the judge's / bwrap's own complaints
START_TIMEOUT = 20.0


class RunFailed(Exception):
    """The sandbox gave no result for a run. ``timed_out``: the host deadline passed."""

    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


@dataclass
class Job:
    """What one run needs: ``public`` enters the sandbox while the program runs, ``secret``
    (without the nonce, which is added here) only after; ``timeout`` is the host's deadline."""

    public: dict[str, Any]
    secret: dict[str, Any]
    timeout: float


def _frame(obj: dict[str, Any]) -> bytes:
    data = marshal.dumps(obj, 4)
    return b"%d\n" % len(data) + data


class SandboxProcess:
    """One warm sandbox (a bubblewrap process with the judge inside) for one slot."""

    def __init__(self, config: SandboxConfig, slot: int = 0):
        self.config, self.slot = config, slot
        self.uid = slot_uid(config, slot)
        self.proc: subprocess.Popen | None = None
        self.command: Command | None = None
        self.runs = 0
        self.judge_pid: int | None = None
        self._buf = b""
        self._stderr = b""
        self._sel: selectors.BaseSelector | None = None

    # -- lifecycle

    def start(self) -> None:
        self.close()
        self.command = build_command(self.config, self.slot)
        argv, cwd = self.command.argv, self.command.cwd
        try:
            self.proc = _launch(lambda: subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=cwd, env={"PATH": "/usr/bin:/bin"}, start_new_session=True, close_fds=True))
        except OSError as exc:
            raise SandboxUnavailable(f"cannot start the sandbox: {exc}") from None
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            os.set_blocking(pipe.fileno(), False)
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.proc.stdout.fileno(), selectors.EVENT_READ, "out")
        self._sel.register(self.proc.stderr.fileno(), selectors.EVENT_READ, "err")
        self._buf, self._stderr, self.runs = b"", b"", 0
        try:
            hello = self._read_until(lambda m: "hello" in m, time.monotonic() + START_TIMEOUT)
        except RunFailed as exc:
            complaint = self.stderr_text() or str(exc)
            self.close()
            raise SandboxUnavailable(_explain(complaint, self.config.unsafe)) from None
        self.judge_pid = hello.get("pid")

    def close(self) -> None:
        """Kill the sandbox's process group (bwrap takes its namespace down with it)."""
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    pipe.close()
                except OSError:
                    pass
            proc.wait()
            if self.config.unsafe and self.uid is not None:
                _kill_uid(self.uid)
        if self._sel is not None:
            self._sel.close()
            self._sel = None
        if self.command is not None and self.command.cleanup_dir:
            import shutil
            shutil.rmtree(self.command.cleanup_dir, ignore_errors=True)
            self.command.cleanup_dir = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr_text(self) -> str:
        return self._stderr.decode("utf-8", "replace").strip()

    # -- one run

    def run(self, job: Job) -> dict[str, Any]:
        """The judge's result for ``job``; raises ``RunFailed`` (and kills the sandbox) when it
        has none within ``job.timeout``."""
        if not self.alive or self.runs >= self.config.max_runs:
            self.start()
        self.runs += 1
        deadline = time.monotonic() + job.timeout
        nonce = secrets.token_hex(16)
        try:
            self._write(_frame(job.public), deadline)
            ready = self._read_until(lambda m: m.get("ready") == 1 or "done" in m, deadline)
            if "done" in ready:
                # The run's judge died before the program's processes were gone: something in
                # the run killed or stopped it. That is the program's doing, and earns nothing.
                return {"aborted": str(ready.get("status"))}
            self._write(_frame(dict(job.secret, nonce=nonce)), deadline)
            result = self._read_until(lambda m: m.get("nonce") == nonce or "done" in m, deadline)
            if result.get("nonce") != nonce:
                # The secret part may be left unread in the pipe: start afresh next time.
                raise RunFailed(f"the run's judge ended without a result "
                                f"({result.get('status')})")
            self._read_until(lambda m: "done" in m, deadline)
            return result
        except RunFailed:
            self.close()
            raise

    def _write(self, data: bytes, deadline: float) -> None:
        fd = self.proc.stdin.fileno()
        while data:
            try:
                data = data[os.write(fd, data):]
            except BlockingIOError:
                self._pump(deadline, want_write=fd)
            except BrokenPipeError:
                raise RunFailed("the sandbox closed its input") from None

    def _read_until(self, accept, deadline: float) -> dict[str, Any]:
        while True:
            while b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                try:
                    message = json.loads(line.decode("utf-8", "surrogatepass"))
                except (ValueError, RecursionError):
                    continue
                if isinstance(message, dict) and accept(message):
                    return message
            self._pump(deadline)

    def _pump(self, deadline: float, want_write: int | None = None) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RunFailed("the sandbox did not answer in time", timed_out=True)
        if want_write is not None:
            self._sel.register(want_write, selectors.EVENT_WRITE, "in")
        try:
            events = self._sel.select(min(remaining, 1.0))
        finally:
            if want_write is not None:
                self._sel.unregister(want_write)
        for key, _ in events:
            if key.data == "in":
                continue
            try:
                chunk = os.read(key.fd, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                code = self.proc.wait(timeout=5) if self.proc is not None else None
                raise RunFailed(f"the sandbox exited (status {code})"
                                + (f": {self.stderr_text()[-500:]}" if self._stderr else ""))
            if key.data == "err":
                self._stderr = (self._stderr + chunk)[-MAX_STDERR:]
            else:
                self._buf += chunk
                if len(self._buf) > MAX_STDOUT:
                    raise RunFailed(f"the sandbox sent more than {MAX_STDOUT} bytes")


_launcher: queue.Queue | None = None
_launcher_lock = threading.Lock()


def _launch(start: Callable[[], subprocess.Popen]) -> subprocess.Popen:
    """Run ``start`` on one long-lived thread. bwrap's --die-with-parent is a parent-death
    signal, and Linux sends it when the parent *thread* exits: a sandbox started from a pool
    thread would be killed when that thread ends. The main thread lives as long as we do."""
    global _launcher
    if threading.current_thread() is threading.main_thread():
        return start()
    with _launcher_lock:
        if _launcher is None:
            _launcher = queue.Queue()
            threading.Thread(target=_launcher_loop, args=(_launcher,), daemon=True,
                             name="sandbox-launcher").start()
    box: list = []
    done = threading.Event()
    _launcher.put((start, box, done))
    done.wait()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _launcher_loop(requests: queue.Queue) -> None:
    while True:
        start, box, done = requests.get()
        try:
            box.append(start())
        except BaseException as exc:  # noqa: BLE001  (handed back to the caller)
            box.append(exc)
        done.set()


def _kill_uid(uid: int) -> None:
    """Without a pid namespace, end every process of a slot's dedicated uid (unsafe mode)."""
    subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
                    "kill", "-9", "-1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)


def _explain(complaint: str, unsafe: bool) -> str:
    if unsafe:
        return f"cannot start the code runner: {complaint}"
    return (f"the code sandbox cannot start ({complaint}). Code verification runs model-written "
            "code inside bubblewrap with user namespaces: install bubblewrap (`apt-get install "
            "bubblewrap`, or `make setup` as root) and allow unprivileged user namespaces "
            "(sysctl user.max_user_namespaces>0, kernel.unprivileged_userns_clone=1), or pass "
            "--unsafe-no-sandbox to run the code without isolation (never on untrusted code)")
