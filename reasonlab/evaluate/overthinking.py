"""Tokens spent after the first correct answer: how much thinking went on once the answer was
already on the page (overthinking, a compute-allocation metric).

Definition, per sample (``docs/evaluation.md`` repeats it):

1. The thinking is ``core.thinking.think_span``'s (inside ``<think>…</think>``, or before
   the answer for a completion without tags). Samples qualify
   when the item's ``verifier`` is one of ``SUPPORTED_VERIFIERS`` (exact, numeric, math: an
   answer can be read off a single string) and the backend reported thinking tokens.
2. Candidates are the strings an answer could be, each with the character offset where it
   ends: every number (``-12``, ``3.5``, ``1,024``, ``3/4``) except those that also occur in
   the prompt (restating "what is 5 + 0?" is not finding 5), the right-hand side of the last
   ``=`` on a line (``= 2x+1``, kept even when the prompt has it: it is a claimed result), and
   the content of each ``\\boxed{…}``.
3. The first correct point is the smallest end offset whose candidate the item's own verifier
   judges ``correct`` when given as the completion ``<answer>CANDIDATE</answer>``. A sample
   with no such candidate (among its first ``MAX_CANDIDATES`` distinct ones) has no value.
4. Tokens after it = thinking tokens × (characters of thinking after that offset) ÷ (characters
   of the think block, its closing tag included — the tag is part of ``thinking_tokens``). Rows
   carry token counts, not token offsets, so characters are converted at the sample's own
   tokens-per-character rate; with a character-level tokenizer this is exact. The closing tag
   itself is not counted as "after".

Aggregated over a group: ``mean`` (tokens after, over samples that have a value), ``n`` (those
samples), ``fraction_of_thinking`` (Σ tokens after ÷ Σ thinking tokens of the same samples),
``n_checked`` (samples that qualified) and ``ended_wrong`` (samples that had the correct answer
in their thinking yet were not judged correct in the end).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reasonlab.core.thinking import ThinkSpan, think_span

SUPPORTED_VERIFIERS = ("exact", "numeric", "math")
MAX_CANDIDATES = 128            # distinct candidates tried per sample, earliest first
MAX_CANDIDATE_CHARS = 60        # a longer "= …" tail is prose, not an answer

_NUMBER = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?(?!\w)")
_AFTER_EQUALS = re.compile(r"=([^=\n]+)$", re.MULTILINE)
_BOXED = "\\boxed{"


def _boxes(text: str) -> list[tuple[int, str]]:
    out = []
    start = text.find(_BOXED)
    while start >= 0:
        depth, i = 1, start + len(_BOXED)
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            out.append((i, text[start + len(_BOXED):i - 1]))
        start = text.find(_BOXED, start + 1)
    return out


def candidates(thinking: str, prompt: str = "",
               limit: int = MAX_CANDIDATES) -> list[tuple[int, str]]:
    """``(end offset, candidate)`` in order of where they end; each distinct candidate once, at
    its first occurrence; at most ``limit``. Numbers of the ``prompt`` are not candidates."""
    given = {m.group() for m in _NUMBER.finditer(prompt or "")}
    found: list[tuple[int, str]] = []
    for m in _NUMBER.finditer(thinking):
        if m.group() not in given:
            found.append((m.end(), m.group()))
    for m in _AFTER_EQUALS.finditer(thinking):
        tail = m.group(1).strip().rstrip(".,;:").strip()
        if tail and len(tail) <= MAX_CANDIDATE_CHARS:
            found.append((m.start(1) + len(m.group(1).rstrip()), tail))
    found.extend((end, box.strip()) for end, box in _boxes(thinking) if box.strip())
    seen: set[str] = set()
    ordered = []
    for end, text in sorted(found, key=lambda pair: pair[0]):
        if text not in seen:
            seen.add(text)
            ordered.append((end, text))
            if len(ordered) >= limit:
                break
    return ordered


@dataclass(frozen=True)
class AfterFirstCorrect:
    """One sample's value: ``tokens_after`` and the sample's ``thinking_tokens``."""

    tokens_after: float
    thinking_tokens: int
    ended_correct: bool


def tokens_after(span: ThinkSpan, end_offset: int, thinking_tokens: int) -> float:
    """Thinking tokens after character ``end_offset`` of the thinking text (the definition's
    step 4)."""
    if span.counted_chars <= 0:
        return 0.0
    return thinking_tokens * (len(span.text) - end_offset) / span.counted_chars


def qualifies(row: dict[str, Any]) -> bool:
    return ((row.get("verifier") or "exact") in SUPPORTED_VERIFIERS
            and int(row.get("thinking_tokens") or 0) > 0
            and row.get("answer") is not None and row.get("finish_reason") != "error")


def first_correct(rows: Sequence[dict[str, Any]]) -> list[AfterFirstCorrect | None]:
    """Per row: its value, or None (did not qualify, or no correct candidate in its thinking).
    Every distinct (item, candidate) pair is verified once, in batches through the verifiers'
    own ``verify_many`` (the item's verifier, its options included)."""
    from reasonlab.core.errors import InputError
    from reasonlab.core.item import Item
    from reasonlab.verifiers import verify_many

    spans: dict[int, tuple[ThinkSpan, list[tuple[int, str]]]] = {}
    items: dict[str, Item] = {}
    broken: set[str] = set()
    pairs: dict[tuple[str, str], int] = {}
    for k, row in enumerate(rows):
        if not qualifies(row):
            continue
        span = think_span(row.get("completion", ""))
        found = candidates(span.text, row.get("prompt", ""))
        key = str(row["id"])
        if not found or key in broken:
            continue
        if key not in items:
            try:
                items[key] = Item.from_dict(row)
            except InputError:          # not an item line: nothing to verify against
                broken.add(key)
                continue
        spans[k] = (span, found)
        for _, text in found:
            pairs.setdefault((key, text), len(pairs))
    order = list(pairs)
    if not order:
        return [None] * len(rows)
    verdicts = verify_many([(items[key], f"<answer>{text}</answer>") for key, text in order])
    correct = {pair for pair, verdict in zip(order, verdicts, strict=True) if verdict.correct}
    out: list[AfterFirstCorrect | None] = [None] * len(rows)
    for k, (span, found) in spans.items():
        row = rows[k]
        key = str(row["id"])
        hit = next((end for end, text in found if (key, text) in correct), None)
        if hit is None:
            continue
        tokens = int(row.get("thinking_tokens") or 0)
        ended = (row.get("verdict") or {}).get("status") == "correct"
        out[k] = AfterFirstCorrect(tokens_after(span, hit, tokens), tokens, ended)
    return out


def aggregate(rows: Sequence[dict[str, Any]],
              values: Sequence[AfterFirstCorrect | None]) -> dict[str, Any]:
    """The summary block of a group: see the module docstring."""
    hits = [v for v in values if v is not None]
    thinking = sum(v.thinking_tokens for v in hits)
    return {
        "mean": sum(v.tokens_after for v in hits) / len(hits) if hits else None,
        "n": len(hits),
        "fraction_of_thinking": sum(v.tokens_after for v in hits) / thinking if thinking
        else None,
        "n_checked": sum(qualifies(r) for r in rows),
        "ended_wrong": sum(not v.ended_correct for v in hits),
    }
