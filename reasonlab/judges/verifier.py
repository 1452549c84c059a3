"""The ``judge`` verifier: a generative judge as one more verifier, so ``reasonlab verify``,
evaluation suites and the RL ``judge`` reward use it like any other.

Which endpoint: the item's ``meta.verify.judge`` (``openai:URL#MODEL``), else the one the
verifier was built with, else the ``REASONLAB_JUDGE`` environment variable; the cache file
likewise from ``REASONLAB_JUDGE_CACHE``. Without an endpoint every verdict is an ``error`` (masked
out of rewards), never a score.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from reasonlab.core.item import Item
from reasonlab.core.verdict import Verdict, error
from reasonlab.judges.judge import Case, Judge, JudgeSettings
from reasonlab.judges.options import JudgeOptions
from reasonlab.judges.templates import template_versions
from reasonlab.verifiers.base import OptionsError, Verifier
from reasonlab.verifiers.options import verify_options

ENV_ENDPOINT = "REASONLAB_JUDGE"
ENV_CACHE = "REASONLAB_JUDGE_CACHE"


class JudgeVerifier(Verifier):
    """Groups a batch by endpoint and judges each group in one concurrent pass."""

    name = "judge"
    version = "1"
    options_type = JudgeOptions

    def __init__(self, endpoint: str | None = None, settings: JudgeSettings | None = None,
                 cache: str | Path | None = None, **client_options):
        self.endpoint = endpoint
        self.settings = settings or JudgeSettings()
        self.cache = cache
        self.client_options = client_options
        self._judges: dict[str, Judge] = {}

    def _judge_for(self, endpoint: str) -> Judge:
        if endpoint not in self._judges:
            cache = self.cache or os.environ.get(ENV_CACHE) or None
            self._judges[endpoint] = Judge(endpoint, self.settings, cache=cache,
                                           **self.client_options)
        return self._judges[endpoint]

    def endpoint_for(self, item: Item) -> str | None:
        return (verify_options(item, JudgeOptions).judge or self.endpoint
                or os.environ.get(ENV_ENDPOINT))

    def check(self, item: Item, completion: str) -> Verdict:
        return self.check_many([(item, completion)])[0]

    def check_many(self, pairs: Sequence[tuple[Item, str]]) -> list[Verdict]:
        results: list[Verdict | None] = [None] * len(pairs)
        groups: dict[str | None, list[int]] = {}
        for index, (item, _) in enumerate(pairs):
            try:
                groups.setdefault(self.endpoint_for(item), []).append(index)
            except OptionsError as exc:  # this item's error, not the batch's
                results[index] = error(item.id, f"judge verifier: {exc}")
        for endpoint, indices in groups.items():
            if endpoint is None:
                for i in indices:
                    results[i] = error(pairs[i][0].id, "no judge endpoint: set the item's "
                                       f"meta.verify.judge or {ENV_ENDPOINT}=openai:URL#MODEL")
                continue
            try:
                judge = self._judge_for(endpoint)
            except Exception as exc:  # noqa: BLE001  (a bad endpoint is an error verdict)
                for i in indices:
                    results[i] = error(pairs[i][0].id, f"judge {endpoint!r} unusable: {exc}")
                continue
            judged = judge.judge_many([Case(pairs[i][0], pairs[i][1]) for i in indices])
            for i, result in zip(indices, judged, strict=True):
                results[i] = result.verdict
        return results  # type: ignore[return-value]

    def versions(self) -> dict[str, str]:
        return {self.name: self.version,
                **{f"judge-{mode}": v for mode, v in template_versions().items()}}

    def close(self) -> None:
        for judge in self._judges.values():
            judge.close()
        self._judges.clear()
