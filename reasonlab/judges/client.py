"""The judge's HTTP client: the OpenAI-compatible client (concurrency limit, per-request timeout,
jittered retries on 429/5xx/connection errors only) plus counters and a bound on how long a dead
endpoint can hold a batch up.

The bound: once ``down_after`` prompts in a row have used up all their retries, the endpoint is
taken as down for the rest of the batch and its remaining prompts fail at once (``error``
verdicts, masked out of rewards) instead of each waiting out its own retries. A batch therefore
ends within about one retry window (``backoff · 2^retries``, capped by ``max_backoff`` per wait)
times ``ceil(down_after / concurrency)``, however many prompts it has.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from reasonlab.models.base import Generation, SamplingParams
from reasonlab.models.openai_client import OpenAIModel, parse_spec


class JudgeClient(OpenAIModel):
    """``requests`` counts HTTP attempts, ``retries`` the waits before a retry (both since the
    client was made); ``gave_up`` counts prompts that exhausted their retries."""

    def __init__(self, base_url: str, model: str, *, down_after: int = 2, **options):
        options.setdefault("progress", False)
        super().__init__(base_url, model, **options)
        self.down_after = max(1, down_after)
        self.requests = 0
        self.retries = 0
        self.gave_up = 0
        self._failed_in_a_row = 0
        self._counter = threading.Lock()

    @classmethod
    def from_endpoint(cls, endpoint: str, **options) -> JudgeClient:
        base, model = parse_spec(endpoint)
        return cls(base, model, **options)

    def _post(self, path: str, body: dict) -> dict:
        with self._counter:
            self.requests += 1
        return super()._post(path, body)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        with self._counter:
            self.retries += 1
        return super()._delay(attempt, retry_after)

    def _complete(self, prompt: str, params: SamplingParams) -> Generation:
        if self._failed_in_a_row >= self.down_after:
            return Generation(text="", finish_reason="error",
                              error=f"{self.base_url} is down ({self._failed_in_a_row} prompts "
                                    "in a row failed after all retries); not asked")
        gen = super()._complete(prompt, params)
        with self._counter:
            if gen.finish_reason != "error":
                self._failed_in_a_row = 0
            elif (gen.error or "").startswith("gave up after"):
                self._failed_in_a_row += 1
                self.gave_up += 1
        return gen

    def generate(self, prompts: Sequence[str], params: SamplingParams,
                 on_done: Callable[[int, Generation], None] | None = None) -> list[Generation]:
        # Each batch gets a fresh chance: an endpoint that was down may be back.
        self._failed_in_a_row = 0
        return super().generate(prompts, params, on_done)
