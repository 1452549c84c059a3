r"""Cheap text rules the ``math`` verifier applies before math-verify, closing its known ways of
calling a hedged answer correct. Three rules, each about what an answer *commits to*:

1. **Count.** An answer commits to a number of values: a braced set ``\{1, 2\}`` or a bare
   list (``1, 2``, ``3 or 4``, ``3 \lor 4``, ``3; 4``, ``1 2 3 4``) to each of its elements;
   ``a \pm b`` to two; anything else (a number, an expression, an equation, a bracketed tuple,
   point or interval ``(1, 4]``) to one. The answer must commit to as many values as the
   reference: more is hedging ("3 or 4" for 3; math-verify takes the last value), fewer is a
   subset of a multi-answer question. A leading ``x =`` or ``x \in`` does not count.
2. **Kind.** A set (braced) and a bracketed tuple or interval of the same length are different
   objects; math-verify equates ``(1, 4)`` with ``\{1, 4\}``. A bare list may stand for either
   (``2, 1`` answers ``\{1, 2\}``; ``1, 4`` answers the point ``(1, 4)``, as math-verify
   intends), so against a bare list a tuple counts its elements.
3. **Units.** math-verify drops units, so ``3 \text{ km}`` equals ``3 \text{ cm}``. When both
   answers name a unit, the units must agree; leaving the unit out is fine.

4. **Depth.** Brackets nested deeper than ``MAX_NESTING`` (or than the reference) are not an
   honest answer but a way to make the parser slow: rejected here, so the verdict does not
   depend on how fast the machine happens to be.

A fifth rule (an equation between constants must hold: ``4 = 3`` is not an answer of 3) needs
sympy and lives in the worker. The rules look at structure only; equality is math-verify's call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from reasonlab.core.answer import last_boxed

_TEXT_COMMAND = re.compile(r"\\(?:text|textrm|textnormal|textbf|textit|mathrm|mbox|operatorname)"
                           r"\s*\{([^{}]*)\}")
_SIZING = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)[lr]?(?![A-Za-z])\s*\.?")
_DELIMITERS = re.compile(r"\$\$|(?<!\\)\$|\\[()\[\]]")
_LEADING_NAME = re.compile(r"^\s*[A-Za-z](?:_\{?\w+\}?)?\s*(?:=|\\in(?![A-Za-z]))\s*")
_TOKEN = re.compile(
    r"\\begin\s*\{[^}]*\}|\\end\s*\{[^}]*\}"  # environments nest like brackets
    r"|\d{1,3}(?:,\d{3})+(?![\d,])"  # 1,000 is one number, not a list of two
    r"|\\[{}]|\\(?:lbrace|rbrace|langle|rangle)(?![A-Za-z])"
    r"|\\(?:lor|vee|land|wedge|quad|qquad|mid)(?![A-Za-z])|\\\\"
    r"|\\(?:pm|mp)(?![A-Za-z])|\\[A-Za-z]+|\\."
    r"|\b(?:or|and)\b|[A-Za-z]+|\s+|.", re.DOTALL)
_OPEN = {"(", "[", "{", "\\{", "\\lbrace", "\\langle"}
_CLOSE = {")", "]", "}", "\\}", "\\rbrace", "\\rangle"}
_SEPARATORS = {",", ";", "or", "and", "\\lor", "\\vee", "\\land", "\\wedge", "\\quad", "\\qquad",
               "\\mid", "\\\\"}


@dataclass(frozen=True)
class Shape:
    """``kind`` is ``set`` (braced), ``group`` (one bracketed tuple/interval of ≥2 items),
    ``list`` (bare, ≥2 values) or ``single``; ``count`` is how many values it commits to;
    ``width`` how many items a group holds (else ``count``)."""

    kind: str
    count: int
    width: int = 0

    def against(self, other: Shape) -> int:
        """Values committed to, read against ``other``: a tuple matches a bare list item by
        item, anything else it is one value."""
        return self.width if self.kind == "group" and other.kind == "list" else self.count


def as_latex(text: str) -> str:
    r"""One math-mode string for math-verify: the last ``\boxed{}`` if any, math delimiters
    removed and the whole wrapped in ``$…$`` once. Unwrapped, math-verify reads plain text by
    taking the last number it finds ("4 or 3" → 3)."""
    inner = last_boxed(text)
    if inner is not None:
        text = inner
    text = _DELIMITERS.sub(" ", text.replace("\\$", " "))
    text = re.sub(r"(?<!\\)%", r"\\%", text)  # a bare % would start a LaTeX comment
    return f"${text.strip()}$"


def _plain(text: str) -> str:
    inner = last_boxed(text)
    if inner is not None:
        text = inner
    text = _DELIMITERS.sub(" ", text.replace("\\$", " "))
    # MATH writes thousands as 10,\!000 or 10{,}000: one number.
    text = re.sub(r"(?<=\d)(?:,\\!|\{,\})(?=\d{3})", ",", text)
    # Prose inside \text{} hedges whatever its brackets say: "3 \text{ (or 4)}" lists two.
    text = _TEXT_COMMAND.sub(lambda m: " " + re.sub(r"[()\[\]]", " ", m.group(1)) + " ", text)
    # Numbers apart by spaces only are a list: math-verify reads "1 2 3 4" as their sum, 10.
    text = re.sub(r"(?<=\d)\s+(?=\d)", ", ", text)
    return _SIZING.sub("", text).strip().rstrip(".").strip()


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text) if not t.isspace()]


def _split(tokens: list[str]) -> list[list[str]]:
    """Top-level items, split at separators outside brackets and environments. A lone ``|`` (an
    odd number of them) separates; paired bars are absolute values."""
    bars_separate = tokens.count("|") % 2 == 1
    items: list[list[str]] = [[]]
    depth = 0
    for token in tokens:
        if token in _OPEN or token.startswith("\\begin"):
            depth += 1
        elif token in _CLOSE or token.startswith("\\end"):
            depth = max(0, depth - 1)
        elif depth == 0 and (token in _SEPARATORS or (token == "|" and bars_separate)):
            items.append([])
            continue
        items[-1].append(token)
    return [item for item in items if item]


def _enclosed(tokens: list[str]) -> bool:
    """True when the first token's bracket closes at the last token (``(1, 2)``, not
    ``(1) + (2)``)."""
    if len(tokens) < 2 or tokens[0] not in _OPEN or tokens[-1] not in _CLOSE:
        return False
    depth = 0
    for position, token in enumerate(tokens):
        depth += (token in _OPEN) - (token in _CLOSE)
        if depth == 0:
            return position == len(tokens) - 1
    return False


def _values(item: list[str]) -> int:
    return 2 if any(t in ("\\pm", "\\mp") for t in item) else 1


@lru_cache(maxsize=8192)
def shape(text: str) -> Shape:
    """What ``text`` commits to (rule 1 and 2 above)."""
    tokens = _tokens(_LEADING_NAME.sub("", _plain(text), count=1))
    if _enclosed(tokens):
        inner = _split(tokens[1:-1])
        if tokens[0] in ("{", "\\{", "\\lbrace"):
            return Shape("set", sum(_values(item) for item in inner))
        if len(inner) >= 2:
            return Shape("group", 1, len(inner))
    items = _split(tokens)
    count = sum(_values(item) for item in items)
    return Shape("list" if len(items) >= 2 else "single", max(count, 1))


_UNIT_WORDS = (
    "mm|cm|dm|m|km|in|inch|inches|ft|foot|feet|yd|yard|yards|mi|mile|miles|meter|meters|metre|"
    "metres|mg|g|kg|gram|grams|lb|lbs|pound|pounds|oz|ml|l|liter|liters|litre|litres|gal|s|sec|"
    "second|seconds|min|minute|minutes|h|hr|hrs|hour|hours|day|days|week|weeks|year|years|mph|"
    "kmh|degree|degrees|rad|radian|radians|cent|cents|dollar|dollars|unit|units|sq|square|cubic")
# Spellings of one unit map to one name, so "4 inches" and "4 in" agree.
_UNIT_ALIASES = {
    "inch": "in", "inches": "in", "foot": "ft", "feet": "ft", "yard": "yd", "yards": "yd",
    "mile": "mi", "miles": "mi", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "gram": "g", "grams": "g", "lbs": "lb", "pound": "lb", "pounds": "lb", "liter": "l",
    "liters": "l", "litre": "l", "litres": "l", "sec": "s", "second": "s", "seconds": "s",
    "minute": "min", "minutes": "min", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "day": "d", "days": "d", "week": "wk", "weeks": "wk", "year": "yr", "years": "yr",
    "degrees": "degree", "radian": "rad", "radians": "rad", "cents": "cent",
    "dollars": "dollar", "units": "unit",
}
_UNIT = re.compile(
    r"(?:\d|\}|\s)\s*((?:\\(?:text|textrm|textnormal|mathrm|mbox)\s*\{\s*[^{}]+?\s*\})"
    rf"|(?:\b(?:{_UNIT_WORDS})\b(?:\s+\b(?:{_UNIT_WORDS})\b)*))"
    r"\s*(\^\s*\{?\s*\d+\s*\}?|\^\s*\\circ)?\s*\.?\s*$")


@lru_cache(maxsize=8192)
def unit(text: str) -> str | None:
    """The unit an answer ends with (``3 \\text{ cm}^2`` → ``cm^2``), normalized, or None."""
    match = _UNIT.search(_DELIMITERS.sub(" ", last_boxed(text) or text).strip())
    if not match:
        return None
    word = _TEXT_COMMAND.sub(lambda m: m.group(1), match.group(1)).strip().lower()
    if not word or not re.fullmatch(r"[a-z][a-z .]*", word):
        return None  # a \text{} holding words of a sentence, not a unit
    words = [_UNIT_ALIASES.get(w, w) for w in word.replace(".", " ").split()]
    power = re.sub(r"[\s{}^]", "", match.group(2) or "")
    return " ".join(words) + (f"^{power}" if power else "")


MAX_NESTING = 12


def nesting(text: str) -> int:
    """Deepest bracket/environment nesting in ``text``."""
    depth = deepest = 0
    for token in _tokens(text):
        if token in _OPEN or token.startswith("\\begin"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in _CLOSE or token.startswith("\\end"):
            depth = max(0, depth - 1)
    return deepest


def guard(gold: str, answer: str) -> str | None:
    """Why ``answer`` cannot be right whatever math-verify says, or None to ask math-verify."""
    depth, limit = nesting(answer), max(MAX_NESTING, nesting(gold))
    if depth > limit:
        return f"brackets nested {depth} deep, over the limit of {limit}"
    want, have = shape(gold), shape(answer)
    if {want.kind, have.kind} == {"set", "group"}:
        return (f"the answer is a {'set' if have.kind == 'set' else 'tuple or interval'}, "
                f"the reference a {'set' if want.kind == 'set' else 'tuple or interval'}")
    wanted, given = want.against(have), have.against(want)
    if given != wanted:
        values = f"{given} value{'s' if given != 1 else ''}"
        if wanted == 1:
            return f"several candidates: the answer lists {values}, expected one"
        return f"the answer lists {values}, the reference {wanted}"
    want_unit, have_unit = unit(gold), unit(answer)
    if want_unit and have_unit and want_unit != have_unit:
        return f"unit {have_unit!r} where the reference has {want_unit!r}"
    return None
