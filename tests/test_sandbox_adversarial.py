"""Hostile programs against the real sandbox (bubblewrap, no mocks). Each must score 0 (or, where
the program is otherwise correct, simply fail to escape), leave no trace on the host, and return
within its limit; legitimate programs must pass."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from pathlib import Path

import pytest

from reasonlab.core.item import Item
from reasonlab.sandbox import SandboxPool, SandboxUnavailable
from reasonlab.verifiers.code import CodeVerifier

REPO = Path(__file__).resolve().parent.parent
LIMIT = 1.0


@pytest.fixture(scope="module")
def pool(sandbox_pool):
    pool = sandbox_pool
    yield pool
    uids = [u for u in pool.slot_uids() if u is not None]
    pool.close()
    time.sleep(0.2)
    assert not _processes_of(uids), "a sandbox process outlived the pool"


@pytest.fixture(scope="module")
def verifier(pool):
    return CodeVerifier(pool)


def _processes_of(uids: list[int]) -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command) of every live process owned by one of ``uids``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")[:80].decode("utf-8",
                                                                                    "replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields["Uid"].split()[0])
        if uid in uids and "Z" not in fields.get("State", ""):
            found[int(entry.name)] = (int(fields["PPid"]), cmd)
    return found


def leftovers(pool: SandboxPool) -> list[str]:
    """Processes of the slot uids other than each sandbox's bwrap and its judge (pid 1 inside)."""
    uids = [u for u in pool.slot_uids() if u is not None]
    if not uids:
        return []
    procs = _processes_of(uids)
    servers = {pid for pid, (_, cmd) in procs.items() if "bwrap" in cmd}
    judges = {pid for pid, (ppid, _) in procs.items() if ppid in servers}
    return [f"{pid}: {cmd}" for pid, (_, cmd) in procs.items()
            if pid not in servers and pid not in judges]


def check(verifier, program: str, tests=None, io=None, limit: float = LIMIT, setup: str = ""):
    extra = {"time_limit": limit, "setup": setup}
    if io is not None:
        extra["io"] = io
    item = Item(id="t", task="code", domain="code", difficulty=1, prompt="", answer=None,
                verifier="code", tests=tests, extra=extra)
    start = time.monotonic()
    verdict = verifier.check(item, f"<think>x</think>\n```python\n{program}\n```")
    return verdict, time.monotonic() - start


DOUBLE_TESTS = ["assert double(2) == 4", "assert double(-3) == -6", "assert double(5) == 10"]
DOUBLE = "def double(x):\n    return 2 * x\n"


def test_legitimate_solutions_pass(verifier, pool):
    verdict, _ = check(verifier, DOUBLE, DOUBLE_TESTS)
    assert (verdict.status, verdict.score) == ("correct", 1.0), verdict.detail
    io = [{"stdin": "3\n1 2 3\n", "stdout": "6\n"}, {"stdin": "1\n10", "stdout": "10"}]
    program = "n = int(input())\nprint(sum(map(int, input().split())))"
    verdict, _ = check(verifier, program, io=io)
    assert verdict.correct, verdict.detail
    # threads, a subprocess-free helper module, files in the sandbox's own /tmp
    program = ("import threading, os, tempfile\n"
               "def total(xs):\n"
               "    out = []\n"
               "    t = threading.Thread(target=lambda: out.append(sum(xs))); t.start(); t.join()\n"
               "    path = os.path.join(tempfile.gettempdir(), 'scratch')\n"
               "    open(path, 'w').write(str(out[0]))\n"
               "    return int(open(path).read())\n")
    verdict, _ = check(verifier, program, ["assert total([1, 2, 3]) == 6"])
    assert verdict.correct, verdict.detail
    assert not leftovers(pool)


def test_writing_outside_fails_and_leaves_nothing(verifier, pool):
    marker = f"reasonlab-escape-{secrets.token_hex(4)}"
    targets = [REPO / marker, Path.home() / marker, Path("/tmp") / marker,
               Path("/var/tmp") / marker, Path("/dev/shm") / marker, Path("/usr") / marker,
               Path("/dev") / marker]
    program = DOUBLE + (
        "for path in %r:\n"
        "    try:\n"
        "        with open(path, 'w') as f: f.write('pwned')\n"
        "    except OSError:\n"
        "        pass\n") % [str(t) for t in targets]
    verdict, _ = check(verifier, program, DOUBLE_TESTS)
    assert verdict.correct, verdict.detail  # otherwise correct: it just failed to escape
    assert not [t for t in targets if t.exists()]
    assert not leftovers(pool)


def test_host_home_and_project_are_invisible(verifier, pool):
    secret = secrets.token_hex(8)
    path = Path.home() / f".reasonlab-secret-{secret[:6]}"
    path.write_text(secret)
    try:
        path.chmod(0o644)
        program = ("import os\n"
                   "def leak(path):\n"
                   "    try:\n"
                   "        return open(path).read()\n"
                   "    except OSError as e:\n"
                   "        return repr(e)\n"
                   "def listing(path):\n"
                   "    try:\n"
                   "        return sorted(os.listdir(path))\n"
                   "    except OSError:\n"
                   "        return []\n")
        tests = [f"assert leak({str(path)!r}) == {secret!r}",
                 f"assert 'reasonlab' in leak({str(REPO / 'pyproject.toml')!r})",
                 f"assert 'pyproject.toml' in listing({str(REPO)!r})",
                 f"assert len(listing({str(Path.home())!r})) > 0"]
        verdict, _ = check(verifier, program, tests)
        assert verdict.score == 0.0, verdict.detail
        assert f"got {secret!r}" not in verdict.detail  # only the expected side names it
    finally:
        path.unlink()
    assert not leftovers(pool)


def test_no_network_to_a_host_listener(verifier, pool):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted = []

    def accept_loop(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                continue

    stop = threading.Event()
    thread = threading.Thread(target=accept_loop, args=(stop,), daemon=True)
    thread.start()
    try:
        program = ("import socket\n"
                   "def reach(host):\n"
                   "    try:\n"
                   f"        socket.create_connection((host, {port}), timeout=0.5).close()\n"
                   "        return 'connected'\n"
                   "    except OSError as e:\n"
                   "        return type(e).__name__\n")
        tests = ["assert reach('127.0.0.1') == 'connected'",
                 "assert reach('localhost') == 'connected'"]
        verdict, elapsed = check(verifier, program, tests)
        assert verdict.score == 0.0, verdict.detail
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join(2)
        server.close()
    assert accepted == []
    assert elapsed < 10
    assert not leftovers(pool)


def test_fork_bomb_is_capped_and_reaped(verifier, pool):
    program = ("import os, time\n"
               "def forks(n):\n"
               "    made = 0\n"
               "    for _ in range(n):\n"
               "        try:\n"
               "            if os.fork() == 0:\n"
               "                time.sleep(60)\n"
               "                os._exit(0)\n"
               "            made += 1\n"
               "        except OSError:\n"
               "            break\n"
               "    return made\n")
    verdict, elapsed = check(verifier, program, ["assert forks(300) == 300"])
    assert verdict.score == 0.0, verdict.detail
    # it ran and RLIMIT_NPROC stopped it (fork failed, the count came back), not a crash
    made = int(verdict.detail.split("got ")[1].split(",")[0])
    assert 0 < made < 32
    assert elapsed < 10
    assert not leftovers(pool)


def test_huge_allocation_is_refused_fast(verifier, pool):
    program = ("def grab():\n"
               "    block = bytearray(8 << 30)\n"
               "    return len(block)\n"
               "def grab_list():\n"
               "    return len([0] * (1 << 30))\n")
    verdict, elapsed = check(verifier, program, ["assert grab() == 8 << 30",
                                                  "assert grab_list() == 1 << 30"])
    assert verdict.score == 0.0 and "MemoryError" in verdict.detail, verdict.detail
    assert elapsed < 5
    assert not leftovers(pool)


def test_infinite_loops_time_out_within_bounds(verifier, pool):
    verdict, elapsed = check(verifier, "while True:\n    pass\n", DOUBLE_TESTS)
    assert verdict.score == 0.0 and verdict.status == "wrong", verdict.detail
    assert "time limit" in verdict.detail
    assert elapsed < LIMIT + 5
    # a function that hangs on every call, swallowing every exception: at most 2 tests time out
    program = ("def double(x):\n"
               "    while True:\n"
               "        try:\n"
               "            pass\n"
               "        except BaseException:\n"
               "            pass\n")
    verdict, elapsed = check(verifier, program, DOUBLE_TESTS * 3)
    assert verdict.score == 0.0, verdict.detail
    assert elapsed < 2 * LIMIT + 6
    assert not leftovers(pool)


def test_printing_100_mb_is_bounded(verifier, pool):
    program = "import sys\nsys.stdout.write('x' * 100_000_000)\nprint(3)"
    verdict, elapsed = check(verifier, program, io=[{"stdin": "", "stdout": "3"}], limit=3.0)
    assert verdict.score == 0.0 and "output limit" in verdict.detail, verdict.detail
    assert elapsed < 8
    # the same flood in an assert-mode program goes nowhere and costs no more than its time
    verdict, elapsed = check(verifier, "print('y' * 100_000_000)\n" + DOUBLE, DOUBLE_TESTS,
                             limit=3.0)
    assert verdict.correct, verdict.detail
    assert elapsed < 8
    assert not leftovers(pool)


def test_daemon_does_not_survive_the_run(verifier, pool):
    program = DOUBLE + (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        for _ in range(600):\n"
        "            time.sleep(0.1)\n"
        "    os._exit(0)\n")
    verdict, _ = check(verifier, program, DOUBLE_TESTS)
    assert verdict.correct, verdict.detail
    time.sleep(0.3)
    assert not leftovers(pool)


FAKES = {
    "eq_always_true": "class Any:\n    def __eq__(self, other): return True\n"
                      "    __hash__ = object.__hash__\n"
                      "def double(x):\n    return Any()\n",
    "int_subclass": "class Sly(int):\n    def __eq__(self, other): return True\n"
                    "    __hash__ = int.__hash__\n"
                    "def double(x):\n    return Sly(0)\n",
    "sys_exit_before_tests": "import sys\ndef double(x):\n    return 0\nsys.exit(0)\n",
    "os_exit_before_tests": "import os\ndef double(x):\n    return 0\nos._exit(0)\n",
    "exit_inside_test": "import os\ndef double(x):\n    os._exit(0)\n",
    "print_fake_results": (
        "import json, os, sys\n"
        "fake = {'nonce': 'x', 'load': {'ok': True}, 'tests': [{'values': [{'v': 4}]}] * 3}\n"
        "for fd in (1, 2, 3):\n"
        "    for line in (json.dumps(fake), json.dumps(['L']),\n"
        "                 json.dumps(['T', 0, [{'v': True}]]),\n"
        "                 json.dumps(['T', 1, [{'v': True}]]),\n"
        "                 '{\"ready\": 1}', '{\"done\": 1}'):\n"
        "        try: os.write(fd, (line + '\\n').encode())\n"
        "        except OSError: pass\n"
        "for path in ('/proc/1/fd/1', '/proc/1/fd/0'):\n"
        "    try: open(path, 'w').write(json.dumps(fake) + '\\n')\n"
        "    except OSError: pass\n"
        "def double(x):\n    return 0\n"),
    "patch_builtins_and_json": (
        "import builtins, json\n"
        "builtins.abs = lambda x: 0\n"
        "builtins.AssertionError = type('Never', (Exception,), {})\n"
        "json.dumps = lambda *a, **k: '[\"T\", 0, [{\"v\": 4}]]'\n"
        "def double(x):\n    return 0\n"),
    "patch_harness": (
        "import __main__, sys\n"
        "for name in ('encode', 'report', 'asserts_target', 'emit'):\n"
        "    if hasattr(__main__, name):\n"
        "        setattr(__main__, name, lambda *a, **k: True)\n"
        "sys.modules['__main__'].MAX_VALUE_CHARS = 0\n"
        "def double(x):\n    return True\n"),
    "kill_the_runner": (
        "import os, signal\n"
        "for pid in (1, os.getppid()):\n"
        "    for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):\n"
        "        try: os.kill(pid, sig)\n"
        "        except OSError: pass\n"
        "try: os.kill(-1, signal.SIGKILL)\n"
        "except OSError: pass\n"
        "def double(x):\n    return 0\n"),
    "peek_at_expected": (
        "import sys\n"
        "def double(x):\n"
        "    frame = sys._getframe(1)\n"
        "    consts = [c for c in frame.f_code.co_consts if isinstance(c, int) and c != x]\n"
        "    return consts[-1] if consts else None\n"),
    "ptrace_the_judge": (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "ATTACHED = libc.ptrace(16, 1, 0, 0)\n"
        "def double(x):\n"
        "    try:\n"
        "        return len(open('/proc/1/mem', 'rb').read(1)) + ATTACHED\n"
        "    except OSError:\n"
        "        return ATTACHED\n"),
}


@pytest.mark.parametrize("name", sorted(FAKES))
def test_fake_pass_tricks_earn_nothing(verifier, pool, name):
    verdict, elapsed = check(verifier, FAKES[name], DOUBLE_TESTS)
    assert verdict.score == 0.0, (name, verdict.status, verdict.detail)
    assert verdict.status in ("wrong", "unparsable"), (name, verdict.status, verdict.detail)
    assert elapsed < 3 * LIMIT + 5
    assert not leftovers(pool)
    # and the slot still judges honest work afterwards
    verdict, _ = check(verifier, DOUBLE, DOUBLE_TESTS)
    assert verdict.correct, (name, verdict.detail)


def test_reloading_after_every_crash_cannot_stretch_the_run(verifier, pool):
    # Slow to load, then dies in every test: each restart reloads it. The run's own budget
    # (limit * (tests + 2)) ends it with a wrong verdict, long before the host would give up.
    program = ("import os, time\ntime.sleep(0.25)\n"
               "def double(x):\n    time.sleep(0.25)\n    os._exit(1)\n")
    verdict, elapsed = check(verifier, program, DOUBLE_TESTS * 3, limit=0.3)
    assert (verdict.status, verdict.score) == ("wrong", 0.0), verdict.detail
    assert elapsed < 0.3 * 11 + 3
    assert not leftovers(pool)


def test_a_run_cannot_find_an_earlier_run_in_its_memory():
    # Same slot twice: a correct program's answer, then a program that reads all of its own
    # writable memory (ctypes; /proc/self/mem is closed to it) for it. Each run is served by a
    # sub-judge forked from a pristine pid 1, so nothing of the first run is in that memory.
    pool = SandboxPool(workers=1)
    try:
        pool.check()
    except SandboxUnavailable as exc:
        pytest.skip(f"sandbox unavailable here: {exc}")
    verifier = CodeVerifier(pool)
    token = secrets.token_hex(16)
    try:
        first, _ = check(verifier, f"def answer():\n    return 'ZZLEAK' + {token!r}\n",
                         [f"assert answer() == 'ZZLEAK{token}'"])
        assert first.correct, first.detail
        scanner = (
            "import ctypes, re\n"
            "def scan():\n"
            "    found, regions = set(), []\n"
            "    for line in open('/proc/self/maps'):\n"
            "        span, perms = line.split()[:2]\n"
            "        if perms.startswith('rw'):\n"
            "            regions.append([int(x, 16) for x in span.split('-')])\n"
            "    for lo, hi in regions:\n"
            "        data = ctypes.string_at(lo, hi - lo)\n"
            "        found.update(m.decode() for m in re.findall(b'ZZLEAK[0-9a-f]{32}', data))\n"
            "    return sorted(found)\n")
        second, _ = check(verifier, scanner, ["assert scan() == []"], limit=5.0)
        assert second.correct, second.detail
    finally:
        pool.close()
