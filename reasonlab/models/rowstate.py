"""Per-row bookkeeping for the local decode loop: where the row is (before, inside or after
``<think>``; inside ``<answer>``), stop strings, token counts, the answer tokens' probabilities,
and budget forcing (s1): force ``</think>\\n<answer>`` once the thinking budget is spent, or
replace an early ``</think>`` by ``wait_text``.

Counting rule: ``thinking_tokens`` is every completion token that lies inside the think block,
its closing ``</think>`` included, whether the model sampled it or budget forcing inserted it.
Budget forcing triggers early enough that the forced closing tag ends exactly at the budget, so
``thinking_tokens <= thinking_budget`` whenever the budget is at least the tag's length.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"


@dataclass
class ForcingPlan:
    """Token ids the loop may insert, tokenized once per generate call."""

    close_ids: list[int]            # "\n</think>"
    answer_ids: list[int]           # "\n<answer>"
    wait_ids: list[int]             # wait_text
    thinking_budget: int | None = None
    min_thinking_tokens: int | None = None


def state_after_prompt(prompt: str) -> tuple[bool, bool]:
    """(inside think, inside answer) at the end of the prompt: a prompt may open the block."""
    thinking = prompt.rfind(THINK_OPEN) > prompt.rfind(THINK_CLOSE)
    answering = prompt.rfind(ANSWER_OPEN) > prompt.rfind(ANSWER_CLOSE)
    return thinking, answering


def _ends_in(tail: str, piece: str, tag: str) -> bool:
    """Does ``tag`` end inside the newest ``piece`` (the last len(piece) chars of ``tail``)?"""
    return tag in tail[-(len(piece) + len(tag) - 1):] if piece else False


@dataclass
class RowState:
    """One prompt's completion as it is decoded."""

    prompt: str
    max_tokens: int
    stops: list[str]
    plan: ForcingPlan
    eos_ids: frozenset[int]
    piece_of: Callable[[int], str]                      # token id -> its text
    thinking: bool = False
    answering: bool = False
    ids: list[int] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)      # cache column each token was fed at
    tail: str = ""
    thinking_tokens: int = 0
    answer_logprobs: list[tuple[int, float]] = field(default_factory=list)
    forced: deque = field(default_factory=deque)
    forced_close: bool = False
    finished: bool = False
    finish_reason: str = "length"
    to_feed: int | None = None
    latency_s: float = 0.0

    def __post_init__(self) -> None:
        self.thinking, self.answering = state_after_prompt(self.prompt)

    def next_forced(self) -> int | None:
        return self.forced.popleft() if self.forced else None

    def accept(self, token: int, logprob: float | None, col: int) -> list[int]:
        """Take the token chosen for this row at cache column ``col``. Sets ``to_feed`` (the
        token the model reads next) or ``finished``. Returns the cache columns of earlier tokens
        that must be masked out (an early ``</think>`` being replaced by the wait text).
        ``logprob`` is None for tokens that budget forcing inserted."""
        if token in self.eos_ids and logprob is not None:
            self.ids.append(token)
            self.pieces.append("")
            self.finished, self.finish_reason = True, "stop"
            return []
        piece = self.piece_of(token)
        self.ids.append(token)
        self.pieces.append(piece)
        self.cols.append(col)
        self.tail = (self.tail + piece)[-max(64, len(piece) + 32):]
        masked: list[int] = []
        # Every tag ends in ">", so a piece without one cannot complete a tag: skip the scans
        # (this runs once per row per decode step).
        tag = ">" in piece
        if self.thinking:
            self.thinking_tokens += 1
            if tag and _ends_in(self.tail, piece, THINK_CLOSE):
                min_think = self.plan.min_thinking_tokens
                if (min_think is not None and not self.forced_close
                        and self.thinking_tokens < min_think and self.plan.wait_ids):
                    masked = self._replace_close_with_wait()
                    return masked
                self.thinking = False
        elif tag and _ends_in(self.tail, piece, THINK_OPEN):
            self.thinking = True
        if self.answering and logprob is not None:
            self.answer_logprobs.append((len(self.ids) - 1, logprob))
        if tag and _ends_in(self.tail, piece, ANSWER_OPEN):
            self.answering, self.answer_logprobs = True, []
        if tag and self.answering and _ends_in(self.tail, piece, ANSWER_CLOSE):
            self.answering = False
            first = len(self.ids) - self._tokens_covering(len(ANSWER_CLOSE))
            self.answer_logprobs = [(i, lp) for i, lp in self.answer_logprobs if i < first]
        if any(_ends_in(self.tail, piece, s) for s in self.stops):
            self.finished, self.finish_reason = True, "stop"
            return masked
        if len(self.ids) >= self.max_tokens:
            self.finished, self.finish_reason = True, "length"
            return masked
        self._maybe_force_close()
        self.to_feed = token
        return masked

    def _maybe_force_close(self) -> None:
        budget = self.plan.thinking_budget
        if budget is None or not self.thinking or self.forced_close or self.forced:
            return
        if self.thinking_tokens + len(self.plan.close_ids) >= budget:
            self.forced.extend(self.plan.close_ids + self.plan.answer_ids)
            self.forced_close = True

    def _tokens_covering(self, n_chars: int) -> int:
        """How many trailing tokens it takes to cover the last ``n_chars`` characters."""
        k, chars = 0, 0
        while chars < n_chars and k < len(self.pieces):
            k += 1
            chars += len(self.pieces[-k])
        return k

    def _replace_close_with_wait(self) -> list[int]:
        k = self._tokens_covering(len(THINK_CLOSE))
        # The newest token has not been fed to the model yet; the older ones must be masked.
        masked = self.cols[-k:-1]
        col = self.cols[-1]
        del self.ids[-k:], self.pieces[-k:], self.cols[-k:]
        self.thinking_tokens -= k
        self.tail = "".join(self.pieces[-64:])[-64:]
        self.forced.extend(self.plan.wait_ids)
        first = self.forced.popleft()
        return masked + self.accept(first, None, col)

    def answer_confidence(self) -> float | None:
        """Mean probability of the sampled tokens inside the last <answer> block."""
        if not self.answer_logprobs:
            return None
        return sum(math.exp(lp) for _, lp in self.answer_logprobs) / len(self.answer_logprobs)
