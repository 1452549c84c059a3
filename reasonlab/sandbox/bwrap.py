"""How a sandbox is started: the bubblewrap command line (namespaces, mounts, environment), the
unprivileged uid of each worker slot, and the interpreter that runs inside.

Layers, outermost first (``docs`` and the tests name what each one stops):
- a dedicated uid per slot (when reasonlab runs as root), so RLIMIT_NPROC binds and the host's
  files are only as reachable as they are to a stranger;
- bubblewrap: new user, mount, pid, network, ipc, uts and cgroup namespaces; only ``/usr``
  (read-only) and a size-capped tmpfs at ``/tmp`` are visible, so the host's home, the project and
  every other path do not exist inside; no network device but a down loopback;
- the judge (``harness.py``) as pid 1, non-dumpable, with rlimits on every worker.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from reasonlab.core.errors import ReasonlabError


def _harness_source() -> str:
    """values + worker + runs + harness as one script (``python3 -c``): inside the sandbox there
    is no reasonlab to import, so the package imports between them are dropped."""
    parts = []
    for name in ("values.py", "worker.py", "runs.py", "harness.py"):
        text = (Path(__file__).parent / name).read_text(encoding="utf-8")
        text = re.sub(r"^from reasonlab\.sandbox\.\w+ import \([^)]*\)\n"
                      r"|^from reasonlab\.sandbox\.\w+ import [^\n]*\n", "", text, flags=re.M)
        parts.append(text)
    return "\n".join(parts)


HARNESS_SOURCE = _harness_source()
UNSAFE_ENV = "REASONLAB_UNSAFE_NO_SANDBOX"


class SandboxUnavailable(ReasonlabError):
    """The sandbox cannot run here; the message says why and how to fix it."""


@dataclass(frozen=True)
class Limits:
    """Per-run limits. ``time`` bounds loading the program and each test or io case."""

    time: float = 2.0            # seconds per test / case
    memory_mb: int = 512         # RLIMIT_AS of every worker process
    output_bytes: int = 1 << 20  # stdout kept per io case; more fails the case
    fsize_mb: int = 16           # RLIMIT_FSIZE: largest file a program may write
    max_timeouts: int = 2        # after this many timed-out tests the rest are not run

    def wire(self) -> dict:
        return {"time": float(self.time), "memory_mb": int(self.memory_mb),
                "output_bytes": int(self.output_bytes), "fsize_mb": int(self.fsize_mb),
                "max_timeouts": int(self.max_timeouts)}


@dataclass(frozen=True)
class SandboxConfig:
    """Settings of the sandbox processes themselves (shared by every run in them)."""

    nproc: int = 16              # RLIMIT_NPROC inside one sandbox (threads count too)
    nofile: int = 64             # RLIMIT_NOFILE
    tmpfs_mb: int = 64           # size of the only writable place
    uid_base: int = field(default_factory=lambda: int(
        os.environ.get("REASONLAB_SANDBOX_UID_BASE", "62000")))
    python: str | None = None    # interpreter inside; default: the system's python3
    unsafe: bool = False         # run without bubblewrap (only when the user asked for it)
    max_runs: int = 500          # a sandbox is replaced after this many runs


def unsafe_requested() -> bool:
    return os.environ.get(UNSAFE_ENV, "").strip().lower() in ("1", "true", "yes")


def sandbox_python(config: SandboxConfig) -> str:
    """A python3 every uid can run: the configured one, the system's, or this interpreter's base
    (which must then be readable by the slot uid)."""
    candidates = [config.python, os.environ.get("REASONLAB_SANDBOX_PYTHON"), "/usr/bin/python3",
                  "/usr/local/bin/python3", getattr(sys, "_base_executable", None)]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.realpath(path)
    raise SandboxUnavailable("no python3 interpreter for the sandbox; set "
                             "REASONLAB_SANDBOX_PYTHON to one outside your home directory")


def slot_uid(config: SandboxConfig, slot: int) -> int | None:
    """The uid a slot's sandbox runs as: a dedicated one when we are root (RLIMIT_NPROC does not
    bind root), otherwise our own (the user namespace then keeps the count per sandbox). Uids
    that belong to an account are skipped: the slot's uid must own nothing and run nothing else."""
    if os.geteuid() != 0:
        return None
    import pwd

    uid, free = config.uid_base, -1
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            free += 1
            if free == slot:
                return uid
        uid += 1


def _drop_to(uid: int | None) -> list[str]:
    if uid is None:
        return []
    setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
    if not os.path.exists(setpriv):
        raise SandboxUnavailable("setpriv (util-linux) is needed to run sandboxes as an "
                                 "unprivileged uid when reasonlab runs as root")
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def _root_binds(python: str) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    prefix = str(Path(python).parent.parent)
    if not python.startswith("/usr/"):
        args += ["--ro-bind", prefix, prefix]
    return args


def bwrap_path() -> str:
    override = os.environ.get("REASONLAB_BWRAP")  # another build, or a stand-in in tests
    found = (override if override and os.path.exists(override) else None) if override else (
        shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None))
    if not found:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; code verification runs model-written code "
            "inside it. Install it with `apt-get install bubblewrap` (or `make setup` as root), "
            "or pass --unsafe-no-sandbox to run the code without isolation (never on untrusted "
            "code)")
    return found


_OPTIONS: dict[str, frozenset[str]] = {}


def bwrap_options(path: str) -> frozenset[str]:
    """The options this bwrap build knows (``--disable-userns`` needs 0.8, ``--size`` 0.7)."""
    if path not in _OPTIONS:
        import subprocess
        try:
            text = subprocess.run([path, "--help"], capture_output=True, text=True,
                                  timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            text = ""
        _OPTIONS[path] = frozenset(re.findall(r"^\s+(--[a-z-]+)", text, flags=re.M))
    return _OPTIONS[path]


@dataclass
class Command:
    argv: list[str]
    cwd: str
    cleanup_dir: str | None = None


def build_command(config: SandboxConfig, slot: int) -> Command:
    """The argv that starts one slot's sandbox with the judge serving inside."""
    python = sandbox_python(config)
    uid = slot_uid(config, slot)
    judge = [python, "-I", "-S", "-B", "-c", HARNESS_SOURCE]
    if config.unsafe:
        workdir = tempfile.mkdtemp(prefix="reasonlab-unsafe-")
        if uid is not None:
            os.chown(workdir, uid, uid)
        kill_mode = "uid" if uid is not None else "pgroup"
        # Without a user namespace RLIMIT_NPROC counts every process of the uid: only a
        # dedicated slot uid can take it (our own uid may already run more than the limit).
        nproc = config.nproc if uid is not None else 0
        return Command(_drop_to(uid) + judge + [kill_mode, str(nproc), str(config.nofile)],
                       workdir, workdir)
    bwrap = bwrap_path()
    known = bwrap_options(bwrap)
    # Optional hardening that older builds lack: no nested user namespaces, a size cap on /tmp
    # (without it RLIMIT_FSIZE still caps each file).
    extra = ["--disable-userns"] if "--disable-userns" in known else []
    size = ["--size", str(config.tmpfs_mb << 20)] if "--size" in known else []
    argv = _drop_to(uid) + [
        bwrap, "--unshare-all", "--unshare-user", *extra, "--as-pid-1",
        "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox",
        *_root_binds(python),
        "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev",
        *size, "--tmpfs", "/tmp", "--chdir", "/tmp",
        "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
        "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8",
        "--setenv", "USER", "sandbox", "--setenv", "LOGNAME", "sandbox",
        "--", *judge, "ns", str(config.nproc), str(config.nofile)]
    return Command(argv, "/")
