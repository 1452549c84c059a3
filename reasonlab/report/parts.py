"""What a report section is made of (figures, tables, remarks, examples) and how numbers are
written on the page; shared by the section builders and the HTML writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reasonlab.core.summary import Calibration


@dataclass
class Figure:
    name: str          # file stem under plots/
    png: bytes
    alt: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)        # plain text, shown as remarks
    examples: list[dict[str, Any]] = field(default_factory=list)


def pct(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def ci_text(ci: list[float] | None, signed: bool = False) -> str:
    if not ci:
        return "n/a"
    fmt = "{:+.0f}" if signed else "{:.0f}"
    return f"[{fmt.format(100 * ci[0])}, {fmt.format(100 * ci[1])}]"


def num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def undefined(block: Calibration, key: str, digits: int = 1) -> str:
    """A calibration metric as a percentage, or "n/a (why)" from the summary's ``undefined``
    map (written since reasonlab records it; older summaries give a plain n/a)."""
    value = getattr(block, key)
    if value is not None:
        return pct(value, digits)
    why = block.undefined.get(key)
    return f"n/a ({why})" if why else "n/a"
