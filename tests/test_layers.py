"""The layer order of docs/architecture.md, enforced: no module of reasonlab imports from a
layer above its own (lazy imports inside functions included), so a new upward import fails
`make test` instead of growing a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reasonlab"

# Lowest first. The package root only holds the version; errors.py and jsonl.py are aliases of
# core modules kept for code outside reasonlab.
LAYERS = [
    {"core", "__init__", "errors", "jsonl"},
    {"tasks", "models", "sandbox"},
    {"verifiers"},
    {"judges"},
    {"evaluate"},
    {"train"},
    {"report"},
    {"demo", "demo_real", "commands", "cli", "__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# Old import paths of modules that moved to core, kept for code outside reasonlab.
ALIASES = {"reasonlab.errors", "reasonlab.jsonl", "reasonlab.tasks.item",
           "reasonlab.verifiers.verdict", "reasonlab.verifiers.extract",
           "reasonlab.evaluate.prompting", "reasonlab.train.yamlfile"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported(path: Path) -> list[tuple[int, str]]:
    """Every reasonlab module ``path`` imports, with its line; relative imports resolved."""
    package = module_name(path) if path.name == "__init__.py" else \
        module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
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


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_reasonlab_code_does_not_use_the_aliases(path):
    if module_name(path) in ALIASES:
        return
    names = {n for _, n in imported(path)}
    # `from reasonlab.verifiers import verdict` names the alias as package + attribute.
    text = path.read_text(encoding="utf-8")
    names |= {alias for alias in ALIASES
              if f"from {alias.rpartition('.')[0]} import {alias.rpartition('.')[2]}" in text}
    assert not names & ALIASES


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
