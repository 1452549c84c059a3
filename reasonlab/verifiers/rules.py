"""Rule-based verifiers: ``exact`` (normalized string match), ``numeric`` (one number, within a
tolerance) and ``format`` (the completion has the think/answer structure)."""

from __future__ import annotations

import math
import re

from reasonlab.core.answer import (
    NUMBER,
    Extraction,
    extract_answer,
    normalize_whitespace,
    parse_number,
)
from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, correct, error, unparsable, wrong
from reasonlab.verifiers.base import Verifier
from reasonlab.verifiers.options import ExactOptions, ExtractOptions, NumericOptions, verify_options


def extract_for(item: Item, completion: str) -> Extraction:
    """Extraction with the item's opt-ins (``lenient``, ``boxed``, ``max_answer_chars``). The
    calling verifier checks the item's other keys with its own options."""
    opts = verify_options(item, ExtractOptions, strict=False)
    return extract_answer(completion, lenient=opts.lenient, boxed=opts.boxed_for(item),
                          max_chars=opts.max_answer_chars)


class ExactVerifier(Verifier):
    """Equal after collapsing whitespace; case-insensitive when ``meta.verify.ignore_case``."""

    name = "exact"
    version = "1"
    options_type = ExactOptions

    def check(self, item: Item, completion: str) -> Verdict:
        if item.answer is None:
            return error(item.id, "item has no reference answer to compare with")
        got = extract_for(item, completion)
        if not got.ok:
            return unparsable(item.id, got.reason)
        want, have = normalize_whitespace(item.answer), normalize_whitespace(got.text)
        if verify_options(item, ExactOptions).ignore_case:
            want, have = want.casefold(), have.casefold()
        if have == want:
            return correct(item.id, got.text)
        return wrong(item.id, got.text, f"expected {item.answer!r}")


class NumericVerifier(Verifier):
    """Equal within ``rel_tol`` (default 1e-6) or ``abs_tol`` (default 1e-9), from meta.verify."""

    name = "numeric"
    version = "1"
    options_type = NumericOptions

    def check(self, item: Item, completion: str) -> Verdict:
        if item.answer is None:
            return error(item.id, "item has no reference answer to compare with")
        want = parse_number(item.answer)
        if want is None:
            return error(item.id, f"reference answer {item.answer!r} is not a number")
        got = extract_for(item, completion)
        if not got.ok:
            return unparsable(item.id, got.reason)
        have = parse_number(got.text)
        if have is None:
            many = len(NUMBER.findall(got.text)) > 1
            return wrong(item.id, got.text, "several candidates" if many else "not a number")
        opts = verify_options(item, NumericOptions)
        close = have == want or math.isclose(float(have), float(want), rel_tol=opts.rel_tol,
                                             abs_tol=opts.abs_tol)
        if close:
            return correct(item.id, got.text)
        return wrong(item.id, got.text, f"expected {item.answer}")


_FORMAT = re.compile(r"\s*<think>.*?</think>\s*<answer>(.*?)</answer>\s*", re.DOTALL)


class FormatVerifier(Verifier):
    """1 when the completion is exactly one think block then one non-empty answer block."""

    name = "format"
    version = "1"

    def check(self, item: Item, completion: str) -> Verdict:
        match = _FORMAT.fullmatch(completion)
        if not match:
            return wrong(item.id, None, "not <think>…</think><answer>…</answer>")
        body = match.group(1)
        if not body.strip() or "<answer>" in body or completion.count("<think>") != 1:
            return wrong(item.id, body, "empty or repeated blocks")
        return correct(item.id, body.strip())
