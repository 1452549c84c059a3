"""One definition of thinking (core/thinking.py), shared by think rate, thinking tokens, compute
allocation and the thinking reward, for models with tags and for models that write none."""

from __future__ import annotations

import pytest

from reasonlab.core.thinking import think_span, thinking_tokens, thinks
from reasonlab.evaluate.runner import WorkUnit, sample_row
from reasonlab.evaluate.summary import compute_block
from reasonlab.models.base import Generation
from reasonlab.tasks import get_task


@pytest.mark.parametrize(("completion", "thinking"), [
    ("<think>3+5=8</think>\n<answer>8</answer>", "3+5=8"),
    ("<think>\n</think>\n<answer>8</answer>", "\n"),               # tags, empty: no thinking
    ("<think>still going", "still going"),                          # never closed
    ("3+5=8</think><answer>8</answer>", "3+5=8"),                   # only the closing tag
    ("First 3 + 5 = 8.\n<answer>8</answer>", "First 3 + 5 = 8.\n"),   # before the block
    ("First 3 + 5 = 8.\n\nThe answer is 8.", "First 3 + 5 = 8.\n"),   # before the last line
    ("The answer is 8.", ""),                                       # one line: no thinking
    ("The answer is 8.\n\n", ""),
])
def test_the_thinking_of_a_completion(completion, thinking):
    assert think_span(completion).text == thinking
    assert thinks(completion) == bool(thinking.strip())


@pytest.mark.parametrize("completion", [
    "To solve this, add the ones: 3 + 5 = 8.\nThen the tens: 2 + 4 = 6.\n\nThe answer is 68.",
    "The answer is 68.", "", "<think>a</think><answer>1</answer>",
    "<think>\n</think>\n<answer>1</answer>"])
def test_a_sample_thinks_exactly_when_it_has_thinking_tokens(completion):
    # A tagged completion keeps the backend's count (here: the tokens inside the tags).
    counted = 3 if "<think>a" in completion else 0
    tokens = thinking_tokens(completion, 20, counted)
    assert (tokens > 0) == thinks(completion)


def test_an_endpoints_untagged_answer_no_longer_reads_think_0_thinks_100():
    """Issue 20: served through an OpenAI-compatible server, an untagged completion had 0
    thinking tokens (the server reports none) yet a think rate of 100 %."""
    item = get_task("addition").item(0, 2, seed=0)
    text = "First add the ones.\nThen the tens.\n\nThe answer is 88."
    gen = Generation(text=text, completion_tokens=30, thinking_tokens=0, answer_tokens=30)
    row = sample_row(WorkUnit(item, 0, 0), gen, "openai:x#m", None)
    row["verdict"] = {"status": "wrong", "score": 0.0}
    assert 0 < row["thinking_tokens"] < 30
    assert row["thinking_tokens"] + row["answer_tokens"] == 30
    block = compute_block([row])
    assert block["think_rate"] == 1.0 and block["mean_thinking_tokens"] > 0
    one_line = Generation(text="The answer is 88.", completion_tokens=6, thinking_tokens=0,
                          answer_tokens=6)
    row = sample_row(WorkUnit(item, 0, 0), one_line, "openai:x#m", None)
    row["verdict"] = {"status": "correct", "score": 1.0}
    block = compute_block([row])
    assert block["think_rate"] == 0.0 and block["mean_thinking_tokens"] == 0.0


def test_a_think_block_the_prompt_opened_keeps_the_backends_count():
    # The prompt ends in "<think>": the completion has no tag, but the backend counted.
    assert thinking_tokens("a b c", 5, 5) == 5
