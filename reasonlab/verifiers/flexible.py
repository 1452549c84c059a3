"""Strict and flexible scores side by side: lm-eval's strict-match / flexible-extract split.

The strict verdict is the item's verifier on the completion as written (the score every
summary and every reward uses). The flexible verdict is the same verifier on the answer that
``core.answer.flexible_answer`` finds where a model that ignores the format usually puts it
("The answer is 7.", a last line "so 3 + 4 = 7"), so a reader can tell "cannot add" from "does
not write ``<answer>``". It never replaces the strict verdict: a completion whose answer block
parses gets its strict verdict as its flexible one, and only completions without one are read
again. Verifiers that read no answer block (``code``: the last fenced program; ``judge``: the
whole completion) have no fallback, so their flexible verdict is the strict one.

``has_format``: the completion has the block the item's verifier reads strictly (an
``<answer>`` block, or for code a fenced ```python block).
"""

from __future__ import annotations

from collections.abc import Sequence

from reasonlab.core.answer import extract_answer, flexible_answer, parse_number
from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict
from reasonlab.verifiers.spec import parse_spec

# Verifiers whose extraction is not an <answer> block: no fallback applies to them.
NO_FALLBACK = frozenset({"code", "judge"})


def _names(item: Item) -> set[str]:
    try:
        return {name for _, name in parse_spec(item.verifier)}
    except Exception:  # noqa: BLE001  (a bad spec is already the strict verdict's error)
        return set()


def has_format(item: Item, completion: str) -> bool:
    """Whether ``completion`` has the strict answer block the item's verifier reads."""
    if "code" in _names(item):
        from reasonlab.verifiers.code import extract_program

        return extract_program(completion)[0] is not None
    return isinstance(completion, str) and extract_answer(completion).ok


def answer_is_number(item: Item) -> bool:
    return item.answer is not None and parse_number(str(item.answer)) is not None


def flexible_verdicts(pairs: Sequence[tuple[Item, str]],
                      strict: Sequence[Verdict]) -> list[Verdict]:
    """The flexible verdict of each pair, given its strict one (in the same order)."""
    from reasonlab.verifiers import verify_many

    out = list(strict)
    again: list[tuple[int, Item, str]] = []
    for index, ((item, completion), verdict) in enumerate(zip(pairs, strict, strict=True)):
        if verdict.status != "unparsable" or _names(item) & NO_FALLBACK:
            continue
        if not isinstance(completion, str) or extract_answer(completion).ok:
            continue    # the block is there: its verdict is the flexible one too
        got = flexible_answer(completion, number=answer_is_number(item))
        if got.ok:
            again.append((index, item, f"<answer>{got.text}</answer>"))
        else:
            out[index] = Verdict(verdict.id, 0.0, "unparsable", None,
                                 f"flexible: {got.reason}")
    if again:
        verdicts = verify_many([(item, text) for _, item, text in again])
        for (index, _, _), verdict in zip(again, verdicts, strict=True):
            verdict.detail = f"flexible: {verdict.detail}".rstrip(": ")
            out[index] = verdict
    return out
