"""Shared fixtures: a tiny random model, one taught a fixed reasoning format, and a real
OpenAI-compatible server (``reasonlab serve``) on 127.0.0.1. All session-scoped: built once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# Tiny models gain nothing from a second torch thread, and on a busy machine two threads that
# wait on each other are many times slower than one (measured: a greedy test 31 s vs 0.5 s).
# Set before anything imports torch; subprocesses (servers, training runs) inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# What the format model writes after any "Q: a+b=\n<think>" prompt (then <eos>).
FORMAT_COMPLETION = "Let me add.</think>\n<answer>7</answer>"
FORMAT_THINK = "Let me add.</think>"


def format_prompt(a: int, b: int) -> str:
    return f"Q: {a}+{b}=\n<think>"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    from reasonlab.models.tiny import init_tiny_model

    return init_tiny_model(tmp_path_factory.mktemp("models") / "tiny", size="tiny", seed=0)


def teach_format(model_dir: Path, out: Path, steps: int = 60) -> Path:
    """Overfit the tiny model on one completion so tests can predict what it writes."""
    import random

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    rng = random.Random(0)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    model.train()
    # Matrices this small gain little from a second thread, and on a shared machine two
    # threads that wait on each other are many times slower than one.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(steps):
            texts = [format_prompt(rng.randrange(10), rng.randrange(10)) + FORMAT_COMPLETION
                     + tokenizer.eos_token for _ in range(8)]
            batch = tokenizer(texts, return_tensors="pt")   # all the same length
            loss = model(**batch, labels=batch["input_ids"]).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def format_model_dir(tiny_model_dir, tmp_path_factory) -> Path:
    return teach_format(tiny_model_dir, tmp_path_factory.mktemp("models") / "format")


@pytest.fixture(scope="session")
def openai_server(format_model_dir, tmp_path_factory):
    """``reasonlab serve`` on a free 127.0.0.1 port; yields its ServerPlan (``.spec``,
    ``.base_url``, ``.model``; ``.log`` is the server's output file) and stops the whole
    process group afterwards."""
    from reasonlab.models.serve import free_port, plan_server

    plan = plan_server(format_model_dir, port=free_port(), backend="transformers")
    plan.log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(plan.log, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reasonlab", "serve", "--model", str(format_model_dir),
             "--port", str(plan.port), "--backend", "transformers", "--ready-timeout", "60"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    deadline = time.monotonic() + 60
    try:
        # `reasonlab serve` prints the spec line once /v1/models answers.
        while "use: --model" not in plan.log.read_text():
            if process.poll() is not None:
                pytest.fail(f"reasonlab serve exited early:\n{plan.log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail("reasonlab serve was not ready within 60 s")
            time.sleep(0.2)
        with urllib.request.urlopen(plan.base_url + "/models", timeout=5):
            pass
        yield plan
    finally:
        # SIGTERM reaches reasonlab serve and its server (one process group); then make sure
        # nothing of the group outlives the session.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def open_sandbox_pool(workers: int = 2):
    """A started sandbox pool, or a skip where bubblewrap cannot work (a failure under CI, which
    must run the sandbox tests: the project's setup installs bubblewrap)."""
    from reasonlab.sandbox import SandboxPool, SandboxUnavailable

    pool = SandboxPool(workers=workers)
    try:
        pool.check()
    except SandboxUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the sandbox tests: {exc}")
        pytest.skip(f"sandbox unavailable here: {exc}")
    return pool


@pytest.fixture(scope="module")
def sandbox_pool():
    """A real two-slot sandbox pool for one test module, closed after it."""
    pool = open_sandbox_pool()
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def code_verifier(sandbox_pool):
    """The ``code`` verifier over ``sandbox_pool``."""
    from reasonlab.verifiers.code import CodeVerifier

    return CodeVerifier(sandbox_pool)
