"""Strict parsing of a judge's answer: exactly one verdict line, and it is the last line.

The closed set of final lines (keyword and value case-insensitive, spaces around the colon free,
trailing whitespace ignored; nothing else on the line, no markdown):

- reference: ``Correct: yes`` | ``Correct: no``
- spec:      ``Verdict: compliant`` | ``Verdict: noncompliant``
- rubric:    ``Score: N`` with N a whole number in 1..scale
- pairwise:  ``Preferred: A`` | ``Preferred: B`` | ``Preferred: tie``

Anything else is ``unparsable`` — never a guessed score: a verdict word mentioned mid-reasoning,
a malformed last line, or two verdict lines (a judge that wrote ``Correct: yes`` and then
``Correct: no`` has not decided). Reasoning a judge writes inside ``<think>…</think>`` is dropped
first, so verdict lines drafted there do not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasonlab.core.answer import THINK_CLOSE, THINK_OPEN

_FINAL_LINE: dict[str, re.Pattern[str]] = {
    "reference": re.compile(r"correct\s*:\s*(yes|no)", re.IGNORECASE),
    "spec": re.compile(r"verdict\s*:\s*(compliant|noncompliant)", re.IGNORECASE),
    "rubric": re.compile(r"score\s*:\s*(\d{1,3})", re.IGNORECASE),
    "pairwise": re.compile(r"preferred\s*:\s*(a|b|tie)", re.IGNORECASE),
}
# Values that count as the judge saying "positive" (for false-positive rates and status).
POSITIVE = {"reference": "yes", "spec": "compliant", "pairwise": "A"}


@dataclass(frozen=True)
class Parsed:
    """``value`` is the verdict in canonical form (``yes``, ``noncompliant``, ``7``, ``A``,
    ``tie``), or None with ``reason`` saying why the answer is unparsable."""

    value: str | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None


def _canonical(mode: str, raw: str) -> str:
    if mode == "pairwise":
        return "tie" if raw.lower() == "tie" else raw.upper()
    return raw.lower()


def strip_thinking(text: str) -> str | None:
    """The judge's answer without its ``<think>`` block; None when the block never closes."""
    close = text.rfind(THINK_CLOSE)
    if close >= 0:
        return text[close + len(THINK_CLOSE):]
    return None if THINK_OPEN in text else text


def parse_verdict(mode: str, text: str, scale: int | None = None) -> Parsed:
    """Read the verdict of a ``mode`` judge from its answer ``text`` (see the module doc)."""
    if mode not in _FINAL_LINE:
        raise ValueError(f"unknown judge mode {mode!r}; one of {sorted(_FINAL_LINE)}")
    if not isinstance(text, str):
        return Parsed(None, f"judge answer is {type(text).__name__}, not text")
    body = strip_thinking(text)
    if body is None:
        return Parsed(None, "judge's <think> block never closes")
    pattern = _FINAL_LINE[mode]
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if not lines:
        return Parsed(None, "empty judge answer")
    verdict_lines = [i for i, line in enumerate(lines) if pattern.fullmatch(line)]
    if len(verdict_lines) > 1:
        return Parsed(None, f"{len(verdict_lines)} verdict lines; exactly one is allowed")
    match = pattern.fullmatch(lines[-1])
    if match is None:
        shown = lines[-1] if len(lines[-1]) <= 60 else lines[-1][:57] + "..."
        if verdict_lines:
            return Parsed(None, f"the verdict line is not the last line (last: {shown!r})")
        return Parsed(None, f"last line {shown!r} is not a {mode} verdict line")
    value = _canonical(mode, match.group(1))
    if mode == "rubric":
        top = scale or 0
        if not 1 <= int(value) <= top:
            return Parsed(None, f"score {int(value)} is outside 1..{top}")
        value = str(int(value))
    return Parsed(value)


def score_of(mode: str, value: str, scale: int | None = None) -> float:
    """A parsed verdict as a score in [0, 1]: yes/compliant/A = 1, tie = 0.5, rubric
    ``(N - 1) / (scale - 1)``."""
    if mode == "rubric":
        top = scale or 1
        return 1.0 if top == 1 else (int(value) - 1) / (top - 1)
    if mode == "pairwise" and value == "tie":
        return 0.5
    return 1.0 if value == POSITIVE[mode] else 0.0
