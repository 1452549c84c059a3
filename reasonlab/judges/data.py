"""Judge training data from any verifiable task: (item, candidate completion, truth label).

The label is the item's own rule verifier's verdict (``correct`` → true; ``wrong`` and
``unparsable`` → false), never the kind of perturbation that made the candidate: a perturbation
that happens to leave the answer right is labelled right. Candidates come from perturbed teacher
traces, or from a policy's samples (``policy_candidates``) with perturbations filling whichever
class the policy did not produce enough of. Classes are balanced: record *i* aims at a right
candidate when *i* is even, so ``n`` records hold ``ceil(n/2)`` right and ``floor(n/2)`` wrong.

Perturbation kinds (the ``kind`` of a record):

- right: ``teacher`` (the trace as is), ``broken_step`` (one digit of one reasoning line changed,
  the answer still right), ``direct_right`` (no reasoning, right answer);
- wrong: ``wrong_digit_step`` (one digit of one line changed and the answer off by that digit),
  ``wrong_answer`` (a right trace, then a wrong answer), ``missing_answer`` (the trace, then the
  answer as plain text with no ``<answer>`` block), ``direct_wrong``.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from reasonlab.core.item import Item
from reasonlab.judges.calibrate import altered
from reasonlab.tasks.base import direct_completion, teacher_completion

RIGHT_KINDS = ("teacher", "broken_step", "direct_right")
WRONG_KINDS = ("wrong_digit_step", "wrong_answer", "missing_answer", "direct_wrong")


@dataclass
class Record:
    """One judge example. ``source`` is ``perturbed`` or ``policy``."""

    item: Item
    completion: str
    label: bool
    kind: str
    source: str = "perturbed"
    status: str = ""

    def to_dict(self, index: int) -> dict[str, Any]:
        return {"id": f"{self.item.id}-j{index}", "item": self.item.to_dict(),
                "completion": self.completion, "label": self.label, "kind": self.kind,
                "source": self.source, "status": self.status}


def change_digit(text: str, rng: random.Random) -> str | None:
    """``text`` with one of its digits replaced by another digit; None when it has none."""
    places = [i for i, ch in enumerate(text) if ch.isdigit()]
    if not places:
        return None
    at = rng.choice(places)
    new = rng.choice([d for d in "0123456789" if d != text[at]])
    return text[:at] + new + text[at + 1:]


def wrong_answer(answer: str, rng: random.Random) -> str:
    """A different answer of the same shape: one digit changed, else ``calibrate.altered``."""
    changed = change_digit(answer, rng)
    if changed is None or changed == answer or (len(changed) > 1 and changed[0] == "0"):
        return altered(answer)
    return changed


def split_teacher(item: Item) -> tuple[list[str], str] | None:
    """The reasoning lines and answer of the item's teacher trace (default format only)."""
    text = item.teacher or ""
    head, sep, tail = text.partition("\n</think>\n<answer>")
    if not sep or not head.startswith("<think>\n") or not tail.endswith("</answer>"):
        return None
    return head.removeprefix("<think>\n").split("\n"), tail.removesuffix("</answer>")


def perturb(item: Item, kind: str, rng: random.Random) -> str:
    """The candidate completion of ``kind`` for ``item`` (see the module doc)."""
    answer = item.answer or ""
    parts = split_teacher(item)
    steps = parts[0] if parts else []
    digit_lines = [i for i, line in enumerate(steps) if any(ch.isdigit() for ch in line)]
    if kind in ("broken_step", "wrong_digit_step") and digit_lines:
        steps = list(steps)
        at = rng.choice(digit_lines)
        steps[at] = change_digit(steps[at], rng) or steps[at]
        final = answer if kind == "broken_step" else wrong_answer(answer, rng)
        return teacher_completion(steps, final)
    if kind in ("teacher", "broken_step"):
        return item.teacher or direct_completion(answer)
    if kind == "direct_right":
        return direct_completion(answer)
    if kind in ("wrong_answer", "wrong_digit_step"):
        return teacher_completion(steps, wrong_answer(answer, rng)) if steps else \
            direct_completion(wrong_answer(answer, rng))
    if kind == "missing_answer":
        think = "<think>\n" + "\n".join(steps) + "\n</think>\n" if steps else ""
        return f"{think}The answer is {answer}."
    if kind == "direct_wrong":
        return direct_completion(wrong_answer(answer, rng))
    raise ValueError(f"unknown candidate kind {kind!r}")


# Draws tried per item wanted before excluded prompts count as exhausting the task.
EXCLUDE_PROBES = 50


def draw_items(task: str, difficulties: Sequence[int], n: int, seed: int,
               config: dict | None = None, exclude: Collection[str] = ()) -> list[Item]:
    """``n`` items, difficulties taken in turn; item *i* is index ``i // len(difficulties)``,
    skipping items whose prompt is in ``exclude`` (another data set's: held-out data must not
    share a prompt with training data)."""
    from reasonlab.tasks import get_task

    source = get_task(task, **(config or {}))
    items: list[Item] = []
    k = 0
    while len(items) < n:
        if k >= EXCLUDE_PROBES * (n + 1):
            raise ValueError(f"only {len(items)} of {n} items of {task!r} at difficulties "
                             f"{list(difficulties)} have a prompt outside the excluded data")
        item = source.item(k // len(difficulties), difficulties[k % len(difficulties)], seed)
        k += 1
        if item.prompt not in exclude:
            items.append(item)
    return items


def perturbed_records(items: Sequence[Item], seed: int, right_first: bool = True
                      ) -> list[Record]:
    """One candidate per item, aiming at right for even positions (odd when not
    ``right_first``); labels from the rule verifiers. When a perturbation lands on the other
    class than aimed (rare: e.g. a changed digit the verifier ignores), the plain teacher trace
    or a wrong answer replaces it, so the classes stay balanced."""
    records = []
    for i, item in enumerate(items):
        if item.answer is None:
            raise ValueError(f"item {item.id!r} has no answer: judge data needs verifiable items")
        rng = random.Random(f"judge-data|{seed}|{item.id}")
        want_right = (i % 2 == 0) == right_first
        kind = rng.choice(RIGHT_KINDS if want_right else WRONG_KINDS)
        records.append(Record(item, perturb(item, kind, rng), want_right, kind))
    label(records)
    misses = [r for r in records if r.status not in ("correct", "wrong", "unparsable")
              or (r.status == "correct") != r.label]
    for r in misses:
        rng = random.Random(f"judge-data-fallback|{seed}|{r.item.id}")
        r.kind = "teacher" if r.label else "direct_wrong"
        r.completion = perturb(r.item, r.kind, rng)
    if misses:
        label(misses)
    return records


def label(records: Sequence[Record]) -> None:
    """Set each record's ``status`` and ``label`` from the item's own rule verifier."""
    from reasonlab.verifiers import verify_many

    verdicts = verify_many([(r.item, r.completion) for r in records])
    for r, v in zip(records, verdicts, strict=True):
        r.status = v.status
        r.label = v.status == "correct"


def balance(records: Sequence[Record], n: int) -> list[Record]:
    """Up to ``n`` records alternating right, wrong, right, … while both classes last."""
    right = [r for r in records if r.label]
    wrong = [r for r in records if not r.label and r.status in ("wrong", "unparsable")]
    out: list[Record] = []
    for i in range(n):
        pool = right if i % 2 == 0 else wrong
        if not pool:
            break
        out.append(pool.pop(0))
    return out


def class_counts(records: Sequence[Record]) -> tuple[int, int]:
    right = sum(r.label for r in records)
    return right, len(records) - right


def policy_records(model: str, items: Sequence[Item], samples: int, seed: int,
                   template: str = "default", max_tokens: int = 256,
                   temperature: float = 0.8) -> list[Record]:
    """``samples`` completions per item from the policy ``model`` (a local folder or an
    endpoint), labelled by the rule verifiers. Its fresh mistakes are the hard negatives of a
    next-round judge."""
    from reasonlab.core.prompting import build_prompt
    from reasonlab.models import SamplingParams, load_model

    options = {"progress": False} if not model.startswith("openai:") else {}
    policy = load_model(model, **options)
    prompts = [build_prompt(item.prompt, template, False) for item in items for _ in
               range(samples)]
    params = SamplingParams(max_tokens=max_tokens, temperature=temperature, seed=seed)
    try:
        generations = policy.generate(prompts, params)
    finally:
        policy.close()
    records = []
    for k, gen in enumerate(generations):
        if gen.finish_reason == "error":
            continue
        records.append(Record(items[k // samples], gen.full_text, False, "policy", "policy"))
    label(records)
    return records


def judge_data(task: str, difficulties: Sequence[int], n: int, seed: int, *,
               config: dict | None = None, policy: str | None = None, samples: int = 4,
               template: str = "default", max_tokens: int = 256,
               exclude: Collection[str] = ()) -> list[Record]:
    """``n`` balanced records (see the module doc). With ``policy``, its samples of items
    ``0..n-1`` come first; perturbed teacher traces of further items fill either class.
    ``exclude``: prompts no record may have (another data set's)."""
    items = draw_items(task, difficulties, n, seed, config, exclude)
    if not policy:
        return checked(balance(perturbed_records(items, seed), n), n)
    pool = policy_records(policy, items, samples, seed, template, max_tokens)
    # One record per (item, completion): a policy repeats itself at low temperature.
    seen: set[tuple[str, str]] = set()
    pool = [r for r in pool if (r.item.id, r.completion) not in seen
            and not seen.add((r.item.id, r.completion))]
    right, wrong = class_counts(pool)
    want_right, want_wrong = (n + 1) // 2, n // 2
    fill = max(0, want_right - right) + max(0, want_wrong - wrong)
    if fill:
        more = draw_items(task, difficulties, len(items) + 2 * fill, seed, config,
                          exclude)[len(items):]
        extra = perturbed_records(more, seed)
        need_right, need_wrong = max(0, want_right - right), max(0, want_wrong - wrong)
        pool += [r for r in extra if r.label][:need_right]
        pool += [r for r in extra if not r.label][:need_wrong]
    return checked(balance(pool, n), n)


def checked(records: list[Record], n: int) -> list[Record]:
    """``records`` when there are ``n`` of them; an ``InputError`` otherwise (a task whose rule
    verifier rejects its own teacher traces cannot give balanced classes)."""
    from reasonlab.core.errors import InputError

    if len(records) < n:
        raise InputError(f"could only build {len(records)} balanced records of {n} (too few "
                         "candidates of one class)", field="n")
    return records
