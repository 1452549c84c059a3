"""Sandboxed executions per second against a plain ``python3`` subprocess running the same small
programs (program + its asserts), both with one worker per core, side by side in one run.

The sandbox figure is the whole verifier path: extract the program, plan the tests, run in a
warm slot (bubblewrap, judge as pid 1, fresh worker), compare outside. Starting a slot (about
one bubblewrap + interpreter start-up) is paid once per slot and is measured apart.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import Result


def _programs(n: int) -> list[tuple[str, list[str]]]:
    from reasonlab.tasks import get_task

    task = get_task("code_functions")
    out = []
    for i in range(n):
        item = task.item(i, 1 + i % task.max_difficulty, seed=7)
        program = item.teacher.split("```python\n", 1)[1].rsplit("```", 1)[0]
        out.append((program, item.tests or []))
    return out


def _plain(programs: list[tuple[str, list[str]]], workers: int, python: str) -> float:
    folder = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    paths = []
    for i, (program, tests) in enumerate(programs):
        path = folder / f"p{i}.py"
        path.write_text(program + "\n" + "\n".join(tests) + "\n")
        paths.append(path)

    def one(path: Path) -> None:
        done = subprocess.run([python, str(path)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, check=False)
        assert done.returncode == 0, path.read_text()

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, paths))
    elapsed = time.perf_counter() - start
    for path in paths:
        path.unlink()
    folder.rmdir()
    return elapsed


def _sandboxed(programs: list[tuple[str, list[str]]], workers: int) -> tuple[float, float]:
    from reasonlab.core.item import Item
    from reasonlab.sandbox import SandboxPool
    from reasonlab.verifiers.code import CodeVerifier

    pool = SandboxPool(workers=workers)
    verifier = CodeVerifier(pool)
    pairs = [(Item(id=f"b{i}", task="bench", domain="code", difficulty=1, prompt="",
                   answer=None, verifier="code", tests=tests),
              f"```python\n{program}\n```") for i, (program, tests) in enumerate(programs)]
    try:
        start = time.perf_counter()
        pool.check()
        verifier.check_many(pairs[:workers * 2])  # every slot warm
        startup = time.perf_counter() - start
        start = time.perf_counter()
        verdicts = verifier.check_many(pairs)
        elapsed = time.perf_counter() - start
    finally:
        pool.close()
    bad = [v for v in verdicts if not v.correct]
    assert not bad, bad[0]
    return elapsed, startup


def run(quick: bool = False) -> list[Result]:
    from reasonlab.sandbox.bwrap import SandboxConfig, sandbox_python

    n = 60 if quick else 300
    workers = min(2, os.cpu_count() or 1)
    programs = _programs(n)
    python = sandbox_python(SandboxConfig())
    _plain(programs[:10], workers, python)  # warm the page cache for both sides
    plain = _plain(programs, workers, python)
    sandboxed, startup = _sandboxed(programs, workers)
    per_sandboxed, per_plain = sandboxed / n, plain / n
    note = (f"{n} programs from code_functions, {workers} workers; plain = `{python} prog.py`; "
            f"starting {workers} slots took {startup:.2f}s (once)")
    return [
        Result("sandbox time per execution", per_sandboxed * 1000, "ms/exec",
               per_plain * 1000, "<= 1.5", note=note),
        Result("sandbox executions per second", n / sandboxed, "exec/s", n / plain, ">= 20",
               target_on="value", note=note),
    ]
