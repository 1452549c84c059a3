"""The ``gym`` verifier: scores a ``gym:<name>`` item with its reasoning-gym dataset's own
``score_answer``, strictly.

Many gym scorers give partial credit (the base class pays ``len(oracle)/len(answer)`` for an
answer that merely contains the oracle; others pay 0.01 for anything parsable). Rewarding that
teaches padding and hedging, so by default only a full 1.0 counts: anything lower is ``wrong``
with score 0 and the gym score in the detail. An item opts in with
``meta.verify.partial_credit: true``; its score is then the gym score (``correct`` only at 1.0).
"""

from __future__ import annotations

from typing import Any

from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, correct, error, unparsable, wrong
from reasonlab.verifiers.base import Verifier
from reasonlab.verifiers.options import GymOptions, verify_options
from reasonlab.verifiers.rules import extract_for

# What a scorer raises when it cannot parse an answer; anything else stays an `error` verdict.
_ANSWER_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, SyntaxError,
                        ZeroDivisionError, OverflowError)


class GymVerifier(Verifier):
    name = "gym"
    version = "1"
    options_type = GymOptions

    def check(self, item: Item, completion: str) -> Verdict:
        from reasonlab.tasks import gym

        record = item.meta.get("gym")
        if not _valid_record(record):
            return error(item.id, "item has no meta.gym record {name, config, index} to rebuild "
                                  "its reasoning-gym entry from")
        got = extract_for(item, completion)
        if not got.ok:
            return unparsable(item.id, got.reason)
        # A crash here (rebuilding or scoring) propagates: safe_check makes it an error verdict.
        dataset, entry = gym.rebuild_entry(record)
        if str(entry["question"]) != item.prompt:
            return error(item.id, f"the rebuilt gym:{record['name']} entry differs from the item's "
                                  f"prompt (item made by reasoning-gym "
                                  f"{item.meta.get('version')}, this is {gym.gym_version()})",
                         got.text)
        try:
            raw = gym.score(dataset, got.text, entry)
        except _ANSWER_PARSE_ERRORS as exc:
            # Several gym scorers parse without a guard (int("no idea") in prime_factorization).
            # When the same scorer accepts the oracle, the crash is the answer's malformation: a
            # wrong answer, not an undecided one (an `error` would be masked out of rewards).
            if gym.score(dataset, item.answer or "", entry) < 1.0:
                raise
            return wrong(item.id, got.text, f"gym scorer rejected the answer: "
                                            f"{type(exc).__name__}: {exc}"[:300])
        if raw >= 1.0:
            return correct(item.id, got.text)
        detail = f"gym score {raw:.4g}"
        if verify_options(item, GymOptions).partial_credit:
            return Verdict(item.id, min(1.0, max(0.0, raw)), "wrong", got.text, detail)
        return wrong(item.id, got.text, detail + " (partial credit off)" if raw > 0 else detail)

    def versions(self) -> dict[str, str]:
        from reasonlab.tasks.gym import gym_version

        return {self.name: self.version, "reasoning-gym": gym_version()}


def _valid_record(record: Any) -> bool:
    return (isinstance(record, dict) and isinstance(record.get("name"), str)
            and isinstance(record.get("config"), dict) and isinstance(record.get("index"), int))
