"""Answer extraction. Strict by default: the answer is the last ``<answer>…</answer>`` block after
the reasoning; anything else (no block, an unclosed one, an empty one) is unparsable. Leniency is
an opt-in per task (``meta.verify.lenient``) for sources whose models were never taught the tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
# Longer than any honest answer of ours; stops pathological inputs (5,000-digit numbers, deep
# LaTeX) before they reach a parser. Raise per item with ``meta.verify.max_answer_chars``.
MAX_ANSWER_CHARS = 1000

_ANSWER_BLOCK = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_LENIENT_PATTERNS = [
    re.compile(r"(?:final answer|the answer)\s*(?:is|:)\s*(.+)", re.IGNORECASE),
    re.compile(r"^\s*answer\s*:\s*(.+)", re.IGNORECASE | re.MULTILINE),
    re.compile(r"####\s*(.+)"),
]


@dataclass(frozen=True)
class Extraction:
    """``text`` is the extracted answer, or None with ``reason`` saying why there is none."""

    text: str | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.text is not None


_BOX_OPEN = re.compile(r"\\(?:boxed|fbox)\s*\{")


def _closing_brace(text: str, start: int) -> int | None:
    """Index just past the ``}`` that closes a group opened right before ``start``."""
    depth, i = 1, start
    while i < len(text) and depth:
        if text[i] == "{" and text[i - 1] != "\\":
            depth += 1
        elif text[i] == "}" and text[i - 1] != "\\":
            depth -= 1
        i += 1
    return i if depth == 0 else None


def last_boxed(text: str) -> str | None:
    r"""Content of the last ``\boxed{…}`` (or ``\fbox{…}``) with balanced braces, or None."""
    for match in reversed(list(_BOX_OPEN.finditer(text))):
        end = _closing_brace(text, match.end())
        if end is not None:
            return text[match.end():end - 1]
    return None


def outer_boxes(text: str) -> list[str]:
    r"""Contents of every top-level ``\boxed{…}`` (boxes inside boxes are part of their box)."""
    found: list[str] = []
    end = -1
    for match in _BOX_OPEN.finditer(text):
        if match.start() < end:
            continue
        close = _closing_brace(text, match.end())
        if close is not None:
            found.append(text[match.end():close - 1])
            end = close
    return found


def after_thinking(completion: str) -> str | None:
    """The part of the completion after the reasoning, or None when a ``<think>`` never closes
    (an answer written inside unfinished reasoning is not an answer)."""
    close = completion.rfind(THINK_CLOSE)
    if close >= 0:
        return completion[close + len(THINK_CLOSE):]
    if THINK_OPEN in completion:
        return None
    return completion


def extract_answer(completion: str, *, boxed: bool = False, lenient: bool = False,
                   max_chars: int = MAX_ANSWER_CHARS) -> Extraction:
    """Extract the final answer from ``completion``.

    ``boxed``: the source writes answers as ``\\boxed{}`` (MATH-style), so without an answer block
    the last box after the reasoning is the answer. A box inside the block is always honoured.
    """
    if not isinstance(completion, str):
        return Extraction(None, f"completion is {type(completion).__name__}, not text")
    tail = after_thinking(completion)
    text: str | None = None
    reason = ""
    if tail is None:
        reason = "unterminated <think> block"
    else:
        blocks = _ANSWER_BLOCK.findall(tail)
        if tail.rfind(ANSWER_OPEN) > tail.rfind(ANSWER_CLOSE):
            reason = "last <answer> block is not closed"
        elif blocks:
            text = blocks[-1]
            if len({box.strip() for box in outer_boxes(text)}) > 1:
                # "\boxed{4} or \boxed{3}": boxing several candidates is hedging, not answering.
                reason = "several different \\boxed{} answers in the answer block"
                return Extraction(None, reason)  # and no lenient second chance
            elif (inner := last_boxed(text)) is not None:
                text = inner
        elif boxed and last_boxed(tail) is not None:
            # Math sources mark the final answer with \boxed{}: as delimited as a tag.
            text = last_boxed(tail)
        else:
            reason = "no <answer>…</answer> block"
    if text is None and lenient:
        text = _lenient(completion if tail is None else tail, boxed)
        if text is not None:
            reason = ""
    if text is None:
        return Extraction(None, reason or "no answer found")
    text = text.strip()
    if not text:
        return Extraction(None, "empty answer")
    if len(text) > max_chars:
        return Extraction(None, f"answer is {len(text)} characters, over the {max_chars} limit")
    return Extraction(text)


def _lenient(text: str, boxed: bool) -> str | None:
    inner = last_boxed(text)
    if inner is not None:
        return inner
    if boxed:
        return None
    for pattern in _LENIENT_PATTERNS:
        matches = pattern.findall(text)
        if matches:
            return matches[-1].strip().rstrip(".")
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else None


def normalize_whitespace(text: str) -> str:
    return " ".join(text.split())


# One number: optional sign, digits with optional thousands groups, decimals, exponent, or a/b.
NUMBER = re.compile(
    r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?(?:/\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?")
_LHS = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*\s*=\s*")
_MAX_DIGITS = 400  # beyond this, Fraction/float conversion gets slow or overflows: not an answer


def parse_number(text: str) -> Fraction | float | None:
    """Parse a single number (``-1,234.5``, ``3/4``, ``x = 2``, ``$5``); None when the text is
    not exactly one number, so enumerations and alternatives never parse."""
    text = _LHS.sub("", text.strip()).strip().rstrip(".").strip()
    text = text.removeprefix("$").strip()
    if len(text) > _MAX_DIGITS or not NUMBER.fullmatch(text):
        return None
    text = text.replace(",", "")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        try:
            return float(text)
        except ValueError:
            return None


# ---------------------------------------------------------------- flexible extraction
# lm-eval's split: "strict-match" reads only the format a model was asked for; "flexible-extract"
# falls back to where an answer usually stands in free text. Ours, in order: the strict answer
# block; the last \boxed{} after the reasoning; the rest of the line after the last answer marker
# ("the answer is", "final answer:", "answer:", "####"); else the last non-empty line. A number
# answer takes the right-hand side of the last "=" of that text and must then be exactly one
# number. What it refuses, so that listing candidates never counts as answering: several
# different \boxed{} answers; a text with several numbers and no "=" ("3, 5, 7"); numbers side by
# side or offered as alternatives anywhere in the answer's text ("66, 67, 68 = 68", "1 2 3 is 3",
# "x = 66 or x = 67"); and a last line that is one item of a list of numbers (one a line, bare,
# bulleted or in parentheses). It is a measurement, not a reward, unless a recipe names the
# `flexible` reward component.
_MARKERS = re.compile(r"(?:final answer|the answer|\banswer)\s*(?:is|:|=)?\s*:?\s*|####\s*",
                      re.IGNORECASE)
_ANY_NUMBER = re.compile(r"[-+]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?")
# One item of a list: a number alone on its line, bare, bulleted, lettered or bracketed.
_LIST_LINE = re.compile(r"^\s*(?:[-*\u2022]\s*|[A-Za-z][.):]\s*|\d+[.)]\s+)?[(\[]?[-+]?\$?"
                        r"\d[\d,]*(?:\.\d+)?[)\]]?\s*[.,;]?\s*$")
# What stands between two numbers of a list or of alternatives: separators only, or an "or".
_LIST_GAP = re.compile(r"^[\s,;]*$|\bor\b|\.\.\.|\u2026", re.IGNORECASE)
# "x = 66, x = 67": one name given several values.
_ASSIGNED = re.compile(r"\b([A-Za-z_]\w*)\s*=\s*([-+]?\$?\d[\d,]*(?:\.\d+)?)(?![\d.]*\s*[-+*/])")
_STATED = re.compile(r"\b(?:is|equals)\s+(" + _ANY_NUMBER.pattern + r")", re.IGNORECASE)
# "The sum of 33 and 78 is 111.": a sentence that ends by stating one number.
_STATED_LAST = re.compile(r"\b(?:is|equals)\s+(" + _ANY_NUMBER.pattern + r")\s*[.!]?\s*$",
                          re.IGNORECASE)


def flexible_answer(completion: str, *, number: bool,
                    max_chars: int = MAX_ANSWER_CHARS) -> Extraction:
    """The answer under the flexible rules above; ``number``: the item's answer is a number, so
    the candidate must hold exactly one. Strict extraction comes first, so a completion with a
    valid answer block gets exactly its strict answer."""
    strict = extract_answer(completion, max_chars=max_chars)
    if strict.ok or not isinstance(completion, str):
        return strict
    tail = after_thinking(completion)
    if tail is None:
        return Extraction(None, "unterminated <think> block")
    tail = _ANSWER_BLOCK.sub(" ", tail).replace(ANSWER_OPEN, " ").replace(ANSWER_CLOSE, " ")
    lines = [ln.strip() for ln in tail.splitlines() if ln.strip()]
    if not lines:
        return Extraction(None, "empty completion")
    if len({box.strip() for box in outer_boxes(tail)}) > 1:
        return Extraction(None, "several different \\boxed{} answers: a list is not an answer")
    candidate, where = last_boxed(tail), "box"
    if candidate is None:
        marked = list(_MARKERS.finditer(tail))
        if marked:
            rests = [(tail[m.end():].splitlines() or [""])[0] for m in marked]
            if number and len(marked) > 1:
                # "Final answer: 2\nFinal answer: 3": answers one after the other, a list. (An
                # earlier answer the text then works past is a revision: the last one counts.)
                between = tail[marked[-2].end() + len(rests[-2]):marked[-1].start()]
                said = {x.text for x in (_one_number(r.strip(), "marker", max_chars)
                                         for r in rests[-2:]) if x.ok}
                if len(said) > 1 and not re.search(r"\w", _MARKERS.sub("", between)):
                    return Extraction(None, "several answer markers in a row with different "
                                            f"numbers ({', '.join(sorted(said))}): a list is "
                                            "not an answer")
            candidate, where = rests[-1], "marker"
        else:
            candidate, where = lines[-1], "last line"
            if number and len(lines) > 1 and _LIST_LINE.match(lines[-1]) \
                    and _LIST_LINE.match(lines[-2]):
                return Extraction(None, "the last lines are a list of numbers, not an answer")
    candidate = candidate.strip()
    if number:
        return _one_number(candidate, where, max_chars)
    candidate = candidate.rstrip(".").strip()
    if not candidate:
        return Extraction(None, f"nothing after the {where}")
    if len(candidate) > max_chars:
        return Extraction(None, f"answer is {len(candidate)} characters, over the {max_chars} "
                                "limit")
    return Extraction(candidate)


def _one_number(text: str, where: str, max_chars: int) -> Extraction:
    text = text[:max_chars]
    numbers = list(_ANY_NUMBER.finditer(text))
    for before, after in zip(numbers, numbers[1:], strict=False):
        gap = text[before.end():after.start()]
        # "48-12" and "10 -3": a sign after a number is an operator, not a new list item.
        signed = after.group()[0] in "+-" and not gap.strip(" ")
        if _LIST_GAP.search(gap) and not signed:
            return Extraction(None, f"several numbers in the {where} "
                                    f"({before.group()}, {after.group()}, ...): a list or "
                                    "alternatives are not an answer")
    values: dict[str, set[str]] = {}
    for m in _ASSIGNED.finditer(text):
        if text[:m.start()].rstrip().endswith(("+", "-", "*", "/")):
            continue        # "a + b = 7": the end of a sum, not a value given to b
        values.setdefault(m.group(1), set()).add(m.group(2).replace("$", "").replace(",", ""))
    stated = {v.replace("$", "").replace(",", "") for v in _STATED.findall(text)}
    if any(len(v) > 1 for v in values.values()) or len(stated) > 1:
        return Extraction(None, f"several values stated in the {where}: alternatives are not "
                                "an answer")
    if "=" in text:
        text = text.rsplit("=", 1)[1]
    found = _ANY_NUMBER.findall(text[:max_chars])
    if not found:
        return Extraction(None, f"no number in the {where}")
    if len({f.replace("$", "").replace(",", "").lstrip("+") for f in found}) > 1:
        stated = _STATED_LAST.search(text[:max_chars])
        if stated:
            return Extraction(stated.group(1).replace("$", "").replace(",", ""))
        return Extraction(None, f"several numbers in the {where} ({', '.join(found[:4])}): "
                                "a list is not an answer")
    return Extraction(found[-1].replace("$", "").replace(",", ""))
