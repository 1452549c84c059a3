"""The judge's HTTP client: the OpenAI-compatible client (concurrency limit, per-request timeout,
jittered retries on 429/5xx/connection errors only, and its bound on how long a dead endpoint
can hold a batch up) plus counters of requests, retries and prompts given up.

The bound (``OpenAIModel.down_after``): once that many prompts in a row have used up all their
retries, the endpoint is taken as down for the rest of the batch and its remaining prompts fail
at once (``error`` verdicts, masked out of rewards) instead of each waiting out its own retries.
A batch therefore ends within about one retry window (``backoff · 2^retries``, capped by
``max_backoff`` per wait) times ``ceil(down_after / concurrency)``, however many prompts it has.
"""

from __future__ import annotations

import threading

from reasonlab.models.base import Generation, SamplingParams
from reasonlab.models.openai_client import OpenAIModel, parse_spec


class JudgeClient(OpenAIModel):
    """``requests`` counts HTTP attempts, ``retries`` the waits before a retry (both since the
    client was made); ``gave_up`` counts prompts that exhausted their retries."""

    def __init__(self, base_url: str, model: str, **options):
        options.setdefault("progress", False)
        super().__init__(base_url, model, **options)
        self.requests = 0
        self.retries = 0
        self.gave_up = 0
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

    def _attempts(self, prompt: str, params: SamplingParams) -> Generation:
        gen = super()._attempts(prompt, params)
        if gen.finish_reason == "error" and (gen.error or "").startswith("gave up after"):
            with self._counter:
                self.gave_up += 1
        return gen
