"""What counts as thinking: one definition for think rate, thinking tokens, compute allocation,
tokens after the first correct answer and the ``thinking`` reward.

- With tags, the thinking is the text inside ``<think>…</think>`` (to the end of the completion
  when the block never closes; before ``</think>`` when only the closing tag is there).
- Without tags, it is the text before the answer: before the ``<answer>`` block when there is
  one, else everything before the completion's last non-empty line (the line that states the
  answer, in the free text of a model never taught the tags). A one-line answer ("The answer is
  7.") has no thinking; paragraphs of working before it do.

A sample *thinks* when its thinking is not blank. Its thinking tokens are what the backend
counted inside the tags (or an endpoint's ``reasoning_content``, or a think block the prompt
opened); for a completion without tags
the backend cannot know, so the count is the completion's tokens split by the thinking's share
of its characters, at least 1 when the thinking is not blank, 0 when it is. So a sample thinks
exactly when it has thinking tokens, whichever backend wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


@dataclass(frozen=True)
class ThinkSpan:
    """Where the thinking of a completion is: ``text``, the characters that count toward its
    thinking tokens (the text plus a closing tag when there is one), and whether tags mark it."""

    text: str
    counted_chars: int
    tagged: bool = True


def is_tagged(completion: str) -> bool:
    return THINK_OPEN in completion or THINK_CLOSE in completion


def think_span(completion: str) -> ThinkSpan:
    """The thinking of ``completion`` under the definition above."""
    text = completion or ""
    start = text.find(THINK_OPEN)
    end = text.find(THINK_CLOSE)
    if start >= 0:
        closed = end > start
        body = text[start + len(THINK_OPEN):end if closed else len(text)]
        return ThinkSpan(body, len(body) + (len(THINK_CLOSE) if closed else 0))
    if end >= 0:
        return ThinkSpan(text[:end], end + len(THINK_CLOSE))
    answer = text.find("<answer>")
    if answer >= 0:
        body = text[:answer]
    else:
        stripped = text.rstrip()
        last = stripped.rfind("\n")
        body = stripped[:last] if last >= 0 else ""
    return ThinkSpan(body, len(body), tagged=False)


def thinks(completion: str) -> bool:
    return bool(think_span(completion).text.strip())


def thinking_tokens(completion: str, completion_tokens: int, counted: int) -> int:
    """The thinking tokens of a completion: ``counted`` (the backend's count inside the tags)
    for a tagged completion, or whenever the backend counted any (a think block the prompt
    opened has no tag in the completion); for an untagged one, ``completion_tokens`` split by
    characters."""
    span = think_span(completion)
    if span.tagged or counted:
        return counted
    if not span.text.strip() or not completion:
        return 0
    share = round(completion_tokens * span.counted_chars / len(completion))
    return min(completion_tokens, max(1, share)) if completion_tokens else 0
