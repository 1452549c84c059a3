"""The layer order of docs/architecture.md, enforced: no module of reasonlab imports from a
layer above its own (lazy imports inside functions included), and no two modules import each
other, directly or round a loop, inside a layer or a package either (imports under
``if TYPE_CHECKING:``, which never run, excepted) — so a new upward import or a new knot fails
`make test` instead of growing a cycle that lazy imports hold apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reasonlab"

# Lowest first. The package root only holds the version.
LAYERS = [
    {"core", "__init__"},
    {"tasks", "models", "sandbox"},
    {"verifiers"},
    {"judges"},
    {"evaluate"},
    {"train"},
    {"report"},
    {"demo", "demo_real", "demo_tradeoffs", "commands", "cli", "__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def package_of(path: Path) -> str:
    return module_name(path) if path.name == "__init__.py" else \
        module_name(path).rpartition(".")[0]


def import_target(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from X import ...`` reads, relative imports resolved against ``package``."""
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imported(path: Path) -> list[tuple[int, str]]:
    """Every reasonlab module ``path`` imports, with its line; relative imports resolved."""
    package = package_of(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = import_target(node, package)
            found.append((node.lineno, target))
            # `from reasonlab import commands` imports the subpackage itself.
            if target == "reasonlab":
                found += [(node.lineno, f"reasonlab.{a.name}") for a in node.names
                          if (PACKAGE / a.name).exists() or (PACKAGE / f"{a.name}.py").exists()]
    return [(line, name) for line, name in found
            if name == "reasonlab" or name.startswith("reasonlab.")]


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_top_level_module_has_a_layer():
    names = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()
             if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
    assert names - set(RANK) == set(), "add the new module to LAYERS and docs/architecture.md"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_upward_import(path):
    own = RANK[layer(module_name(path))]
    upward = [f"line {line}: {name} ({layer(name)} is above {layer(module_name(path))})"
              for line, name in imported(path) if RANK[layer(name)] > own]
    assert not upward, "\n".join(upward)


MODULES = {module_name(p): p for p in SOURCES}


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only; never run)."""
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden |= {id(sub) for stmt in node.body for sub in ast.walk(stmt)}
    return hidden


def module_edges(path: Path, modules: dict[str, Path]) -> set[str]:
    """The reasonlab modules ``path`` imports at run time, lazy imports included:
    ``from pkg import sub`` is the submodule ``pkg.sub`` when there is one, else ``pkg``."""
    package = package_of(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_only(tree)
    names = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            target = import_target(node, package)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                names.add(sub if sub in modules else target)
    found = set()
    for name in names:
        parts = name.split(".")
        while parts and ".".join(parts) not in modules:
            parts = parts[:-1]
        if parts and ".".join(parts) != module_name(path):
            found.add(".".join(parts))
    return found


def import_cycles(modules: dict[str, Path]) -> list[list[str]]:
    """The strongly connected components of the import graph with more than one module."""
    graph = {m: module_edges(p, modules) & set(modules) for m, p in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:       # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycle_anywhere():
    cycles = import_cycles(MODULES)
    assert not cycles, "modules that import each other (directly or round a loop):\n" + \
        "\n".join(", ".join(c) for c in cycles)


def test_the_cycle_check_sees_a_cycle_held_apart_by_a_lazy_import(tmp_path):
    pkg = tmp_path / "reasonlab" / "train"
    pkg.mkdir(parents=True)
    (pkg / "a.py").write_text("from reasonlab.train.b import x\n")
    (pkg / "b.py").write_text("def f():\n    from reasonlab.train import a\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from reasonlab.train.a import y\n")
    modules = {"reasonlab.train.a": pkg / "a.py", "reasonlab.train.b": pkg / "b.py",
               "reasonlab.train.c": pkg / "c.py"}
    import test_layers

    original = test_layers.PACKAGE
    test_layers.PACKAGE = tmp_path / "reasonlab"
    try:
        assert import_cycles(modules) == [["reasonlab.train.a", "reasonlab.train.b"]]
    finally:
        test_layers.PACKAGE = original


def test_the_core_imports_nothing_above_it():
    for path in (PACKAGE / "core").rglob("*.py"):
        assert {layer(n) for _, n in imported(path)} <= {"core"}, path


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The parser finds lazy and relative imports, so the check can fail."""
    source = PACKAGE / "tasks" / "_probe_for_layer_test.py"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None:
                        "def f():\n    from ..verifiers import base\n    import reasonlab.train\n")
    found = [name for _, name in imported(source)]
    assert found == ["reasonlab.verifiers", "reasonlab.train"]
    assert all(RANK[layer(n)] > RANK["tasks"] for n in found)
