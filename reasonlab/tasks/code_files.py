"""MBPP- and HumanEval-style JSONL files as code tasks: ``mbpp:PATH`` and ``humaneval:PATH``.

MBPP records: ``text`` (or ``prompt``), ``code``, ``test_list``, optional ``test_setup_code`` /
``test_imports``. HumanEval records: ``prompt`` (signature + docstring), ``canonical_solution``,
``test`` (a ``check(candidate)`` function), ``entry_point``. Each becomes an item for the ``code``
verifier. A HumanEval check of plain asserts becomes single assert statements (``candidate``
renamed to the entry point), judged on the host; any other check (loops, helpers, random inputs)
is kept whole as the item's ``check``, recorded against the canonical solution and replayed on
the program's values (``sandbox/checks.py``). Only a record with neither a plain-assert check
nor a canonical solution is skipped, and counted.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.core.item import Item
from reasonlab.core.jsonl import read_jsonl
from reasonlab.tasks.base import Task
from reasonlab.tasks.registry import Prefix, TaskInfo, register_prefix

INSTRUCTION = "Put the complete code in a ```python block."


def _teacher(program: str) -> str:
    return f"<think>\nThe reference solution.\n</think>\n```python\n{program.rstrip()}\n```"


def mbpp_item(obj: dict[str, Any], *, task: str, file: str, line: int) -> Item:
    def need(name: str, kind: type) -> Any:
        value = obj.get(name)
        if not isinstance(value, kind):
            raise InputError(f"is required ({kind.__name__})", file=file, line=line, field=name)
        return value

    text = obj.get("text") if isinstance(obj.get("text"), str) else need("prompt", str)
    tests = need("test_list", list)
    if not tests or not all(isinstance(t, str) for t in tests):
        raise InputError("must be a non-empty list of assert statements", file=file, line=line,
                         field="test_list")
    setup = obj.get("test_setup_code") or ""
    imports = obj.get("test_imports") or []
    if not isinstance(setup, str) or not isinstance(imports, list):
        raise InputError("test_setup_code must be text and test_imports a list", file=file,
                         line=line, field="test_setup_code")
    setup = "\n".join([*map(str, imports), setup]).strip()
    code = obj.get("code")
    task_id = obj.get("task_id", line)
    prompt = f"{text.strip()}\nYour code should pass this test:\n{tests[0]}\n{INSTRUCTION}"
    return Item(id=f"{task}-{task_id}", task=task, domain="code", difficulty=1, prompt=prompt,
                answer=code if isinstance(code, str) else None, verifier="code",
                meta={"source": "mbpp", "task_id": task_id},
                teacher=_teacher(code) if isinstance(code, str) else None,
                tests=[t.strip() for t in tests], extra={"setup": setup} if setup else {})


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.copy_location(ast.Name(self.new, node.ctx), node) if node.id == self.old \
            else node


def humaneval_tests(test_source: str, entry_point: str) -> tuple[list[str], str] | None:
    """(assert tests, extra setup) from a ``check(candidate)`` test, or None when the check is
    more than plain asserts."""
    module = ast.parse(test_source)
    setup_parts, tests = [], []
    check = None
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            check = node
        else:
            setup_parts.append(ast.unparse(node))
    if check is None or not check.args.args:
        return None
    param = check.args.args[0].arg
    for stmt in check.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring
        if not isinstance(stmt, ast.Assert):
            return None
        stmt = _Rename(param, entry_point).visit(stmt)
        tests.append(ast.unparse(ast.fix_missing_locations(stmt)))
    return (tests, "\n".join(setup_parts)) if tests else None


def _without(source: str, name: str) -> str:
    """``source`` less its top-level definition of ``name``."""
    try:
        module = ast.parse(source)
    except SyntaxError:
        return ""
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    module.body = [n for n in module.body if not (isinstance(n, defs) and n.name == name)]
    return ast.unparse(module)


def humaneval_item(obj: dict[str, Any], *, task: str, file: str, line: int) -> Item | None:
    for name in ("prompt", "test", "entry_point"):
        if not isinstance(obj.get(name), str):
            raise InputError("is required (text)", file=file, line=line, field=name)
    try:
        parsed = humaneval_tests(obj["test"], obj["entry_point"])
    except SyntaxError as exc:
        raise InputError(f"is not valid Python ({exc.msg})", file=file, line=line,
                         field="test") from None
    from reasonlab.sandbox.checks import check_function  # not at import: tasks stay light

    solution = obj.get("canonical_solution")
    program = obj["prompt"] + solution if isinstance(solution, str) else None
    if parsed is None and (program is None or not check_function(obj["test"])):
        return None  # a check that needs running, and no reference to record it with
    tests, extra_setup = parsed if parsed is not None else (None, "")
    task_id = str(obj.get("task_id", line))
    # The prompt's imports and helpers run first, so a completion may give just the function;
    # the entry point's stub is left out: the program must define it.
    setup = "\n".join(part for part in (_without(obj["prompt"], obj["entry_point"]), extra_setup)
                      if part.strip())
    prompt = f"Complete this function.\n```python\n{obj['prompt'].rstrip()}\n```\n{INSTRUCTION}"
    return Item(id=f"{task}-{task_id.replace('/', '-')}", task=task, domain="code",
                difficulty=1, prompt=prompt, answer=program, verifier="code",
                meta={"source": "humaneval", "task_id": task_id,
                      "entry_point": obj["entry_point"]},
                teacher=_teacher(program) if program else None, tests=tests,
                extra={"setup": setup} if tests is not None else
                {"setup": setup, "check": obj["test"], "entry_point": obj["entry_point"]})


def load_code_file(path: str, kind: str = "auto") -> tuple[list[Item], int]:
    """(items, number of records skipped) from an MBPP or HumanEval JSONL file."""
    if kind not in ("auto", "mbpp", "humaneval"):
        raise ConfigError(f"unknown code file kind {kind!r}; use mbpp or humaneval", field="kind")
    items: list[Item] = []
    skipped = 0
    rows = list(read_jsonl(path))
    if kind == "auto":
        kind = "humaneval" if rows and "entry_point" in rows[0][1] else "mbpp"
    task = f"{kind}:{Path(path).name}"
    for number, obj in rows:
        if kind == "humaneval":
            item = humaneval_item(obj, task=task, file=str(path), line=number)
        else:
            item = mbpp_item(obj, task=task, file=str(path), line=number)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    if not items:
        raise InputError("no usable code problems in this file", file=str(path))
    return items, skipped


class CodeFileTask(Task):
    """The problems of one MBPP/HumanEval file, in file order (difficulty and seed are fixed)."""

    domain = "code"
    min_difficulty = max_difficulty = 1

    def __init__(self, path: str, kind: str):
        self.path, self.kind = path, kind
        self.name = f"{kind}:{path}"
        self.items, self.skipped = load_code_file(path, kind)
        self.description = f"{len(self.items)} code problems from {path}" + (
            f" ({self.skipped} skipped: a check beyond plain asserts and no canonical solution)"
            if self.skipped else "")

    def item(self, index: int, difficulty: int = 1, seed: int = 0) -> Item:
        self.check_difficulty(difficulty)
        if not 0 <= index < len(self.items):
            raise ConfigError(f"{self.name} has {len(self.items)} problems, no index {index}",
                              field="index")
        return self.items[index]

    def sample(self, n: int, difficulty: int = 1, seed: int = 0, start: int = 0) -> list[Item]:
        self.check_difficulty(difficulty)
        return self.items[start:start + n]


def _prefix(kind: str) -> Prefix:
    def make(path: str, **config: Any) -> Task:
        if config:
            raise ConfigError(f"{kind}: files take no settings, got {sorted(config)}",
                              field=min(config))
        return CodeFileTask(path, kind)

    def info(path: str) -> TaskInfo:
        return TaskInfo(f"{kind}:{path}", "code", 1, 1, f"{kind} problems from {path}")

    return Prefix(make=make, names=lambda: [], info=info)


register_prefix("mbpp", _prefix("mbpp"))
register_prefix("humaneval", _prefix("humaneval"))
