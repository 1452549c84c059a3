"""The OpenAI-compatible client against a real server (``reasonlab serve`` running
``transformers serve`` on 127.0.0.1) and against small scripted HTTP servers of the test's own
for the failure paths: retries on 503/429/connection errors, none on 400, reasoning_content."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import FORMAT_COMPLETION, FORMAT_THINK, format_prompt

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.models import SamplingParams, load_model
from reasonlab.models.serve import free_port

pytestmark = pytest.mark.slow


def chat_answer(content: str, *, reasoning: str | None = None, finish: str = "stop",
                usage: dict | None = None) -> dict:
    message = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage or {"prompt_tokens": 3, "completion_tokens": 10}}


class Scripted:
    """A tiny HTTP server on 127.0.0.1 that answers POSTs from a script of (status, body)
    pairs (the last one repeats) and records the request bodies."""

    def __init__(self, script: list[tuple[int, dict]], headers: dict | None = None):
        self.script, self.headers, self.requests = list(script), headers or {}, []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                owner.requests.append(json.loads(self.rfile.read(length)))
                status, body = owner.script.pop(0) if len(owner.script) > 1 else owner.script[0]
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in owner.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def spec(self) -> str:
        return f"openai:http://127.0.0.1:{self.server.server_port}/v1#scripted"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


FAST = {"backoff": 0.01, "max_backoff": 0.05, "timeout": 5.0, "progress": False}


def test_real_server_generates_like_the_local_backend(openai_server, format_model_dir):
    assert f"use: --model {openai_server.spec}" in openai_server.log.read_text()
    model = load_model(openai_server.spec, concurrency=2, progress=False)
    prompts = [format_prompt(a, 9 - a) for a in range(3)]
    done = []
    gens = model.generate(prompts, SamplingParams(max_tokens=60),
                          on_done=lambda i, g: done.append(i))
    assert sorted(done) == [0, 1, 2]
    local = load_model(str(format_model_dir), progress=False).generate(
        prompts, SamplingParams(max_tokens=60))
    for gen, mine in zip(gens, local, strict=True):
        assert gen.error is None, gen.error
        assert gen.text == mine.text == FORMAT_COMPLETION
        assert gen.finish_reason == "stop"
        assert gen.prompt_tokens > 0 and gen.completion_tokens >= len(FORMAT_COMPLETION)
        # Inline <think>: estimated from the share of characters inside the block.
        assert abs(gen.thinking_tokens - len(FORMAT_THINK)) <= 2
        assert gen.answer_tokens == gen.completion_tokens - gen.thinking_tokens


def test_real_server_completions_mode_and_length(openai_server):
    model = load_model(openai_server.spec, mode="completions", progress=False)
    gen = model.generate([format_prompt(1, 1)], SamplingParams(max_tokens=5))[0]
    assert (gen.text, gen.completion_tokens, gen.finish_reason) == ("Let m", 5, "length")


def test_retries_503_then_succeeds():
    script = [(503, {"error": "busy"}), (503, {"error": "busy"}), (200, chat_answer("<answer>4"))]
    with Scripted(script) as server:
        model = load_model(server.spec, max_retries=3, **FAST)
        gen = model.generate(["2+2?"], SamplingParams(seed=5, top_k=3))[0]
    assert gen.error is None and len(server.requests) == 3
    assert gen.text == "<answer>4</answer>"             # the stop string the server cut is back
    body = server.requests[0]
    assert body["model"] == "scripted" and body["messages"][0]["content"] == "2+2?"
    assert (body["seed"], body["top_k"], body["stop"]) == (5, 3, ["</answer>"])


def test_429_is_retried_and_400_is_not():
    with Scripted([(429, {}), (200, chat_answer("ok"))], {"Retry-After": "0"}) as server:
        gen = load_model(server.spec, max_retries=2, **FAST).generate(["x"], SamplingParams())[0]
    assert gen.error is None and len(server.requests) == 2
    with Scripted([(400, {"error": "bad max_tokens"})]) as server:
        gen = load_model(server.spec, max_retries=5, **FAST).generate(["x"], SamplingParams())[0]
    assert len(server.requests) == 1
    assert gen.finish_reason == "error"
    assert "HTTP 400" in gen.error and "bad max_tokens" in gen.error


def test_persistent_5xx_becomes_an_error_generation_not_an_exception():
    with Scripted([(500, {"error": "down"})]) as server:
        gens = load_model(server.spec, max_retries=2, **FAST).generate(["a", "b"],
                                                                       SamplingParams())
    assert len(server.requests) == 6
    assert all(g.finish_reason == "error" and "3 attempts" in g.error for g in gens)


def test_reasoning_content_counts_as_thinking():
    usage = {"prompt_tokens": 5, "completion_tokens": 40,
             "completion_tokens_details": {"reasoning_tokens": 30}}
    with Scripted([(200, chat_answer("<answer>7</answer>", reasoning="3+4 is 7.",
                                     usage=usage))]) as server:
        gen = load_model(server.spec, **FAST).generate(["3+4?"], SamplingParams())[0]
    assert gen.reasoning == "3+4 is 7." and gen.text == "<answer>7</answer>"
    assert (gen.thinking_tokens, gen.answer_tokens, gen.completion_tokens) == (30, 10, 40)
    assert gen.full_text == "<think>3+4 is 7.</think><answer>7</answer>"
    # Without the server's own count: split by characters (9 of 27 characters are reasoning).
    with Scripted([(200, chat_answer("<answer>7</answer>", reasoning="3+4 is 7.",
                                     usage={"completion_tokens": 27}))]) as server:
        gen = load_model(server.spec, **FAST).generate(["3+4?"], SamplingParams())[0]
    assert (gen.thinking_tokens, gen.answer_tokens) == (9, 18)


def test_closed_port_is_retried_then_reported_in_bounded_time():
    spec = f"openai:http://127.0.0.1:{free_port()}/v1#nobody"
    start = time.monotonic()
    gen = load_model(spec, max_retries=2, **FAST).generate(["x"], SamplingParams())[0]
    assert time.monotonic() - start < 5
    assert gen.finish_reason == "error" and "connection" in gen.error


def test_bad_specs_and_settings():
    with pytest.raises(InputError, match="BASE_URL#MODEL"):
        load_model("openai:http://127.0.0.1:1/v1")
    with pytest.raises(InputError, match="http"):
        load_model("openai:127.0.0.1:1/v1#m")
    model = load_model("openai:http://127.0.0.1:1/v1#m", progress=False)
    with pytest.raises(ConfigError, match="local model"):
        model.generate(["x"], SamplingParams(thinking_budget=10))
