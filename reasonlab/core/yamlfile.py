"""YAML with line numbers: a recipe error names the file, the line and the field path
(``trl.learning_rate``, ``tasks[1].max_level``), so a user can jump straight to it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from reasonlab.core.errors import InputError


def load_yaml(path: str | Path) -> tuple[Any, dict[str, int]]:
    """The parsed document and ``{field path: 1-based line}`` for every key and list entry."""
    from reasonlab.core.jsonl import read_text

    path = Path(path)
    return parse_yaml(read_text(path), source=str(path))


def parse_yaml(text: str, *, source: str) -> tuple[Any, dict[str, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise InputError(f"invalid YAML: {exc.problem}", file=source, line=line) from None
    except yaml.reader.ReaderError as exc:
        # A control character (a NUL of a binary file): PyYAML gives a character offset.
        line = text.count("\n", 0, exc.position) + 1
        raise InputError(f"not a text file: character #x{exc.character:04x} is not allowed "
                         "in YAML", file=source, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", file=source) from None
    lines: dict[str, int] = {}
    if node is not None:
        _walk(node, "", lines)
    return _floats(data), lines


# PyYAML follows YAML 1.1, where "1e-4" (no dot) is a string; recipes mean a number.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def _floats(value: Any) -> Any:
    if isinstance(value, str) and _EXPONENT_FLOAT.match(value):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def _walk(node: yaml.Node, prefix: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            lines[path] = key_node.start_mark.line + 1
            _walk(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            path = f"{prefix}[{index}]"
            lines[path] = child.start_mark.line + 1
            _walk(child, path, lines)


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path`` or of its nearest enclosing field that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
