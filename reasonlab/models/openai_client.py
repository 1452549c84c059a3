"""Client for any OpenAI-compatible endpoint (vLLM, ``transformers serve``, Ollama, hosted APIs).

Spec: ``openai:BASE_URL#MODEL``, e.g. ``openai:http://127.0.0.1:8000/v1#my-model``. Requests go
out on a thread pool bounded by ``concurrency``; each has a timeout, and only transient
failures — HTTP 429, 5xx, and connection errors (refused, reset, timed out) — are retried, with
jittered exponential backoff. Any other failure, or one that outlasts the retries, becomes that
prompt's ``Generation(finish_reason="error")``; one bad prompt never raises.

A dead endpoint costs one retry window per ``generate`` call, not one per prompt: once
``down_after`` prompts in a row have used up their retries, the call's remaining prompts fail at
once. ``check_health`` asks for one token before real work, so a command can fail up front.

Reasoning models that return ``reasoning_content`` (or ``reasoning``) separately get it in
``Generation.reasoning`` and counted as thinking tokens.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from http.client import HTTPException

from reasonlab.core.errors import ConfigError, InputError, ReasonlabError
from reasonlab.models.base import Generation, Model, SamplingParams


class TransientError(Exception):
    """A failure worth retrying (429, 5xx, connection)."""


class RequestFailed(Exception):
    """A failure retrying cannot fix (4xx other than 429, a malformed answer)."""


class EndpointError(ReasonlabError):
    """The endpoint is down or does not serve the model: the command cannot do its work."""


def _short(exc: Exception) -> str:
    """An exception's message on one line (HTTP bodies may hold newlines)."""
    return " ".join(str(exc.args[0] if exc.args else exc).split())[:300]


def parse_spec(spec: str) -> tuple[str, str]:
    """``openai:BASE_URL#MODEL`` -> (base_url, model)."""
    body = spec.removeprefix("openai:")
    base, sep, model = body.rpartition("#")
    if not sep or not base or not model:
        raise InputError(f"expected openai:BASE_URL#MODEL, got {spec!r}", field="model")
    if not base.startswith(("http://", "https://")):
        raise InputError(f"base URL must start with http:// or https://, got {base!r}",
                         field="model")
    return base.rstrip("/"), model


def restore_stop(text: str, stops: Sequence[str], stop_reason: object) -> str:
    """OpenAI-style servers cut the stop string off; reasonlab keeps it (verifiers look for
    ``</answer>``). Use the server's ``stop_reason`` when it says which string matched (vLLM);
    otherwise restore a closing tag ``</x>`` when the text leaves ``<x>`` open."""
    if isinstance(stop_reason, str) and stop_reason in stops:
        return text if text.endswith(stop_reason) else text + stop_reason
    for stop in stops:
        if stop.startswith("</") and stop.endswith(">") and not text.endswith(stop):
            opening = "<" + stop[2:]
            if text.rfind(opening) > text.rfind(stop):
                return text + stop
    return text


def split_counts(completion_tokens: int, reasoning: str, content: str,
                 reasoning_tokens: int | None) -> int:
    """Thinking tokens: the server's own count when it gives one; otherwise an estimate that
    splits ``completion_tokens`` by the share of characters in the reasoning (the server's
    tokenizer is not available here, and characters per token vary little within one text)."""
    if reasoning_tokens is not None:
        return min(int(reasoning_tokens), completion_tokens)
    if not reasoning:
        return 0
    share = len(reasoning) / max(1, len(reasoning) + len(content))
    return round(completion_tokens * share)


class OpenAIModel(Model):
    """Generation through an OpenAI-compatible HTTP API."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None,
                 mode: str = "chat", concurrency: int = 8, timeout: float = 120.0,
                 max_retries: int = 4, backoff: float = 0.5, max_backoff: float = 20.0,
                 token_field: str = "max_tokens", extra_body: dict | None = None,
                 progress: bool = True, down_after: int = 2):
        if mode not in ("chat", "completions"):
            raise ConfigError(f"mode must be 'chat' or 'completions', got {mode!r}", field="mode")
        if concurrency < 1:
            raise ConfigError("must be >= 1", field="concurrency")
        self.base_url, self.model = base_url.rstrip("/"), model
        self.name = f"{self.base_url}#{model}"
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.mode, self.concurrency, self.timeout = mode, concurrency, timeout
        self.max_retries, self.backoff, self.max_backoff = max_retries, backoff, max_backoff
        self.token_field, self.extra_body, self.progress = token_field, extra_body or {}, progress
        self.down_after = max(1, down_after)
        self._failed_in_a_row = 0
        self._down_lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: str, **options) -> OpenAIModel:
        base, model = parse_spec(spec)
        return cls(base, model, **options)

    def info(self) -> dict:
        return {**super().info(), "base_url": self.base_url, "model": self.model,
                "mode": self.mode}

    # -- one request ----------------------------------------------------------------------
    def _body(self, prompt: str, params: SamplingParams) -> dict:
        body: dict = {"model": self.model, self.token_field: params.max_tokens,
                      "temperature": params.temperature, "top_p": params.top_p}
        if self.mode == "chat":
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            body["seed"] = params.seed
        if params.top_k > 0:
            body["top_k"] = params.top_k        # vLLM and others accept it as an extension
        body.update(self.extra_body)
        return body

    def _post(self, path: str, body: dict) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode(),
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            message = f"HTTP {exc.code} from {self.base_url + path}: {detail}"
            if exc.code == 429 or exc.code >= 500:
                raise TransientError(message, exc.headers.get("Retry-After")) from exc
            raise RequestFailed(message) from exc
        except (urllib.error.URLError, ConnectionError, TimeoutError, HTTPException) as exc:
            raise TransientError(f"connection to {self.base_url} failed: {exc}", None) from exc
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise RequestFailed(f"answer is not JSON: {raw[:200]!r}") from exc

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(self.max_backoff, max(0.0, float(retry_after)))
            except ValueError:
                pass
        cap = min(self.max_backoff, self.backoff * 2 ** attempt)
        return cap * random.uniform(0.5, 1.0)     # jitter: retries from many threads spread out

    def _complete(self, prompt: str, params: SamplingParams) -> Generation:
        if self._failed_in_a_row >= self.down_after:
            return Generation(text="", finish_reason="error",
                              error=f"{self.base_url} is down ({self._failed_in_a_row} prompts "
                                    "in a row failed after all retries); not asked")
        gen = self._attempts(prompt, params)
        with self._down_lock:
            if gen.finish_reason != "error":
                self._failed_in_a_row = 0
            elif (gen.error or "").startswith("gave up after"):
                self._failed_in_a_row += 1
        return gen

    def _attempts(self, prompt: str, params: SamplingParams) -> Generation:
        """One prompt with retries on transient failures."""
        path = "/chat/completions" if self.mode == "chat" else "/completions"
        start = time.perf_counter()
        last_error = ""
        for attempt in range(self.max_retries + 1):
            try:
                answer = self._post(path, self._body(prompt, params))
                gen = self._parse(answer, params)
                gen.latency_s = time.perf_counter() - start
                return gen
            except TransientError as exc:
                last_error = str(exc.args[0])
                if attempt < self.max_retries:
                    time.sleep(self._delay(attempt, exc.args[1]))
            except RequestFailed as exc:
                return Generation(text="", finish_reason="error", error=str(exc),
                                  latency_s=time.perf_counter() - start)
        return Generation(text="", finish_reason="error",
                          error=f"gave up after {self.max_retries + 1} attempts: {last_error}",
                          latency_s=time.perf_counter() - start)

    # -- health ---------------------------------------------------------------------------
    def check_health(self, attempts: int = 3) -> None:
        """Ask the endpoint for one token of the configured model before any real work, so a
        server that is down or does not serve this model fails the command at once (one
        ``EndpointError`` line) instead of producing a run of ``error`` samples. Transient
        failures get ``attempts`` tries with the usual backoff; a refusal (no server on the
        port) or a 4xx answer (unknown model) is final."""
        path = "/chat/completions" if self.mode == "chat" else "/completions"
        probe = self._body("Hi", SamplingParams(max_tokens=1, temperature=0.0, stop=[]))
        for attempt in range(attempts):
            try:
                self._parse(self._post(path, probe), SamplingParams(stop=[]))
                return
            except RequestFailed as exc:
                raise EndpointError(f"endpoint {self.base_url} refused model {self.model!r}: "
                                    f"{_short(exc)}{self._served()}") from None
            except TransientError as exc:
                refused = isinstance(getattr(exc.__cause__, "reason", None),
                                     ConnectionRefusedError)
                if refused or attempt == attempts - 1:
                    raise EndpointError(f"endpoint {self.base_url} is not answering: "
                                        f"{_short(exc)}") from None
                time.sleep(self._delay(attempt, exc.args[1]))

    def _served(self) -> str:
        """`` (it serves: a, b)`` from ``GET /models`` when the endpoint lists its models."""
        try:
            with urllib.request.urlopen(self.base_url + "/models",
                                        timeout=min(self.timeout, 10.0)) as response:
                names = [m["id"] for m in json.loads(response.read())["data"]]
        except Exception:  # noqa: BLE001  (only a hint for the message; any failure: no hint)
            return ""
        return f" (it serves: {', '.join(map(str, names[:5]))})" if names else ""

    def _parse(self, answer: dict, params: SamplingParams) -> Generation:
        try:
            choice = answer["choices"][0]
            if self.mode == "chat":
                message = choice["message"]
                content = message.get("content") or ""
                reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
            else:
                content, reasoning = choice.get("text") or "", ""
        except (KeyError, IndexError, TypeError) as exc:
            raise RequestFailed(f"unexpected answer shape: {json.dumps(answer)[:200]}") from exc
        finish = choice.get("finish_reason") or "stop"
        if finish == "stop":
            content = restore_stop(content, params.stop, choice.get("stop_reason"))
        usage = answer.get("usage") or {}
        completion = int(usage.get("completion_tokens") or 0)
        details = usage.get("completion_tokens_details") or {}
        if reasoning:
            thinking = split_counts(completion, reasoning, content,
                                    details.get("reasoning_tokens"))
        else:
            # Thinking written inline as <think>...</think>: split by characters as well.
            head, sep, _ = content.partition("</think>")
            think_chars = head + sep if sep or "<think>" in content else ""
            thinking = split_counts(completion, think_chars, content[len(think_chars):], None)
        return Generation(
            text=content, reasoning=reasoning or None,
            prompt_tokens=int(usage.get("prompt_tokens") or 0), completion_tokens=completion,
            thinking_tokens=thinking, answer_tokens=max(0, completion - thinking),
            finish_reason="length" if finish == "length" else "stop")

    # -- many prompts ---------------------------------------------------------------------
    def generate(self, prompts: Sequence[str], params: SamplingParams,
                 on_done: Callable[[int, Generation], None] | None = None) -> list[Generation]:
        from tqdm import tqdm

        if params.thinking_budget is not None or params.min_thinking_tokens is not None:
            raise ConfigError("budget forcing needs a local model (it edits the token stream); "
                              "an HTTP endpoint cannot do it", field="thinking_budget")
        self._failed_in_a_row = 0     # each call gets a fresh chance: it may be back up
        results: list[Generation | None] = [None] * len(prompts)
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="openai")
        try:
            futures = {pool.submit(self._complete, p, params): i for i, p in enumerate(prompts)}
            with tqdm(total=len(prompts), desc="generate", unit="prompt",
                      disable=not self.progress or None) as bar:
                # on_done runs here, in the caller's thread, so callers need no locking.
                for future in as_completed(futures):
                    i = futures[future]
                    results[i] = future.result()
                    bar.update(1)
                    if on_done is not None:
                        on_done(i, results[i])
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return [r for r in results if r is not None]
