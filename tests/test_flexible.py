"""Strict and flexible scores side by side (issue 20): the flexible extraction's rules, that
listing numbers never scores, format_rate and flexible_accuracy in summaries, and the
`flexible` reward component, which is off unless a recipe names it."""

from __future__ import annotations

import pytest

from reasonlab.core.answer import flexible_answer
from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict
from reasonlab.verifiers import verify_many
from reasonlab.verifiers.flexible import flexible_verdicts, has_format


def item(answer="68", verifier="exact", item_id="a"):
    return Item(id=item_id, task="addition", domain="arithmetic", difficulty=2,
                prompt="What is 23 + 45? Answer with the number.", answer=answer,
                verifier=verifier, meta={})


@pytest.mark.parametrize(("completion", "expected"), [
    ("<think>3+5=8</think>\n<answer>68</answer>", "68"),      # strict first
    ("The answer is 68.", "68"),
    ("First add the ones: 3 + 5 = 8.\n\nSo 23 + 45 = 68.", "68"),
    ("The sum of 23 and 45 is 68.", "68"),
    ("23 + 45 = 68", "68"),
    ("Working...\n\\boxed{68}", "68"),
    ("Answer: $1,234.", "1234"),
    ("The answer is 23 + 45 = 68.\n\nThe final answer is 68.", "68"),
    ("x = 3 + 4 = 68", "68"),                                   # one chain, one result
    ("In 2 steps: 23 + 45 = 68", "68"),
    ("So 113-45=68.", "68"),                                    # a sign is an operator
    ("Total: 30+20+18 = 68", "68"),
    ("The answer is 70 -2 = 68", "68"),
    ("a = 23, b = 45, so a + b = 68", "68"),
    ("Step 1: add.\nStep 2: carry.\nFinal answer: 68", "68"),
    ("The answer is 10.\nNo: the tens carry, so 23 + 45 = 68.\nThe answer is 68.", "68"),
])
def test_flexible_reads_the_answer_where_free_text_puts_it(completion, expected):
    got = flexible_answer(completion, number=True)
    assert got.ok and got.text == expected, got


@pytest.mark.parametrize(("completion", "why"), [
    ("1, 2, 3, 12, 40, 68", "several numbers"),
    ("12 13 14 68", "several numbers"),
    ("\n".join(str(n) for n in range(60, 70)), "list of numbers"),
    ("The answer is 5 or 68", "several numbers"),
    ("It is 5, or maybe it is 68.", "several numbers"),
    ("- 66\n- 67\n- 68", "list of numbers"),
    ("(66)\n(67)\n(68)", "list of numbers"),
    ("\\boxed{66} or \\boxed{67} or \\boxed{68}", "several different"),
    ("x = 66 or x = 67 or x = 68", "several numbers"),
    ("66, 67, 68 = 68", "several numbers"),
    ("1 2 3 67 is 68", "several numbers"),
    ("It is 66... 67... 68", "several numbers"),
    ("x = 66, x = 67, x = 68", "several values"),
    ("It is 66. It is 67. It is 68.", "several values"),
    ("A: 66\nB: 67\nC: 68", "list of numbers"),
    ("a) 66\nb) 67\nc) 68", "list of numbers"),
    ("[66]\n[67]\n[68]", "list of numbers"),
    ("Final answer: 67\nFinal answer: 68", "several answer markers"),
    ("The answer is 67.\n\nThe answer is 68.", "several answer markers"),
    ("The final answer is", "no number"),
    ("<think>I think it is 68", "unterminated"),
    ("", "empty"),
])
def test_a_list_of_numbers_or_no_answer_is_not_an_answer(completion, why):
    got = flexible_answer(completion, number=True)
    assert not got.ok and why in got.reason


def test_text_answers_take_the_marker_or_the_last_line():
    assert flexible_answer("The sorted list is:\n1 3 5", number=False).text == "1 3 5"
    assert flexible_answer("so... the answer is: 1 3 5.", number=False).text == "1 3 5"


def test_listing_numbers_never_scores_flexible_correct_though_one_matches():
    """The reason the fallback is not a reward by default: a completion that lists many numbers
    has the right one among them, and must still not be flexible-correct."""
    listing = ["1, 2, 3, 12, 40, 68", " ".join(str(n) for n in range(100)),
               "\n".join(str(n) for n in range(60, 70)), "68 or 69", "maybe 67, 68 or 69"]
    pairs = [(item(), text) for text in listing]
    strict = verify_many(pairs)
    assert all(v.status == "unparsable" for v in strict)
    flexible = flexible_verdicts(pairs, strict)
    assert [v.status for v in flexible] == ["unparsable"] * len(listing)


def test_flexible_verdict_is_the_strict_one_when_the_block_is_there():
    pairs = [(item(), "<answer>67</answer> The answer is 68."),
             (item(), "The answer is 68."), (item(), "The answer is 67.")]
    strict = verify_many(pairs)
    flexible = flexible_verdicts(pairs, strict)
    assert [v.status for v in strict] == ["wrong", "unparsable", "unparsable"]
    assert [v.status for v in flexible] == ["wrong", "correct", "wrong"]
    assert [has_format(i, c) for i, c in pairs] == [True, False, False]


def test_code_items_have_no_fallback_and_their_format_is_the_program_block():
    code = Item(id="c", task="code_functions", domain="code", difficulty=1, prompt="p",
                answer=None, verifier="code", meta={}, tests=["assert f() == 1"])
    assert has_format(code, "```python\ndef f():\n    return 1\n```")
    assert not has_format(code, "def f(): return 1")
    verdict = Verdict("c", 0.0, "unparsable", None, "no ```python code block")
    assert flexible_verdicts([(code, "def f(): return 1")], [verdict]) == [verdict]


def test_flexible_reward_is_off_unless_named_and_scores_the_fallback():
    from reasonlab.train.reward_spec import RewardSpec
    from reasonlab.train.rewards import RewardScorer

    texts = ["The answer is 68.", "1, 2, 68", "<answer>68</answer>"]
    items = [item(item_id=f"a{k}") for k in range(3)]
    default = RewardScorer(RewardSpec(), length_limit=64)
    assert "flexible" not in default.weights()
    named = RewardScorer(RewardSpec(correctness=1.0, flexible=1.0), length_limit=64)
    batch = named.score(texts, items)
    assert batch.components["flexible"] == [1.0, 0.0, 1.0]
    assert batch.components["correctness"] == [0.0, 0.0, 1.0]
