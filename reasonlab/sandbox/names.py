"""What the names in a program, a setup and a test are: which names a source binds (at any
depth), which of a test's names mean Python's own objects (builtins, and standard modules used
as modules), which of those a program rebinds, and a setup's function stubs. Only ``ast``:
nothing here runs the code it reads."""

from __future__ import annotations

import ast
import builtins
import sys

STDLIB = set(getattr(sys, "stdlib_module_names", ())) or {"math", "collections", "itertools",
                                                            "fractions", "decimal", "re"}


def _bindings(source: str, imported) -> set[str]:
    """Names ``source`` binds anywhere, at any depth (conservatively), counting of each import
    alias what ``imported(alias, node)`` returns."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(n for alias in node.names if (n := imported(alias, node)))
    return names


def bound_names(source: str) -> set[str]:
    """Every name ``source`` may bind (conservatively: anywhere, at any depth)."""
    return _bindings(source, lambda alias, _: (alias.asname or alias.name).split(".")[0])


class ProgramRebindsTestName(Exception):
    """The program rebinds a builtin or standard-library name a test reads (``sorted = ...``,
    ``def set(...)``, ``import numpy as math``): the test would judge its answer with the
    program's own ``sorted``. Such a program is judged wrong, without running it."""


BUILTIN_NAMES = set(dir(builtins))


def python_names(node: ast.AST) -> set[str]:
    """The names in ``node`` that mean Python's own objects: every builtin, and a standard
    module where it is used as one (``math.isclose``; a function under test that happens to be
    called ``copy`` or ``string`` is the program's)."""
    modules = {sub.value.id for sub in ast.walk(node)
               if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)}
    return BUILTIN_NAMES | (modules & STDLIB)


def rebound_names(source: str) -> set[str]:
    """Names ``source`` binds to something else than Python's object of that name: by assignment,
    ``def``/``class``, ``global``, or an import under that name of anything but the module
    itself (``import math`` rebinds nothing; ``import numpy as math`` and ``from os import
    open`` do)."""

    def renamed(alias: ast.alias, node: ast.AST) -> str | None:
        if isinstance(node, ast.ImportFrom):
            return alias.asname or alias.name
        return alias.asname if alias.asname and alias.asname != alias.name.split(".")[0] \
            else None

    return _bindings(source, renamed) & (BUILTIN_NAMES | STDLIB)


def stub_names(source: str) -> set[str]:
    """Top-level functions of ``source`` with no body (docstring, ``pass``, ``...``, ``raise
    NotImplementedError``): a prompt's signature for the program to fill in, not a reference."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()

    def empty(stmt: ast.stmt) -> bool:
        return (isinstance(stmt, ast.Pass)
                or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
                or (isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt)))

    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and all(empty(stmt) for stmt in node.body)}
