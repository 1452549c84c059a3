"""Helpers for the judge tests: a real judge model whose answer is known in advance, and a
``reasonlab serve`` process a test can stop and start again on the same port.

The judge model is the tiny Llama with its weights set rather than trained: every block's output
projections are zero, so the residual stream is the current token's embedding (one-hot) and the
model is a bigram table — each character predicts the next one. Its table spells ``ANSWER`` after
the newline that ends every judge prompt, then ``<eos>``, whatever the prompt says: a judge that
says "yes" to everything, reliably and with no training time. (Overfitting by gradient steps, as
``teach_format`` does, needs long contexts here — judge prompts run to hundreds of characters —
and took longer than this suite's budget.) The chain needs each character to have one
successor, hence the mixed case; the verdict grammar is case-insensitive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

YES_ANSWER = "CorRect: yEs"          # parses as the reference verdict "yes"
COMPLIANT_ANSWER = "VERDICT: compliant"  # parses as the spec verdict "compliant"


def build_verdict_model(base_dir: Path, out: Path, answer: str = YES_ANSWER) -> Path:
    """A copy of the tiny model at ``base_dir`` that writes ``answer`` after any prompt ending
    in a newline (see the module doc)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    ids = [tokenizer.convert_tokens_to_ids(ch) for ch in "\n" + answer]
    ids.append(tokenizer.eos_token_id)
    chain = list(zip(ids[:-1], ids[1:], strict=True))
    sources = [a for a, _ in chain]
    if len(set(sources)) != len(sources):
        raise ValueError(f"{answer!r}: a character repeats, so a bigram model cannot spell it")
    vocab, hidden = model.config.vocab_size, model.config.hidden_size
    assert vocab <= hidden, "one-hot embeddings need vocab_size <= hidden_size"
    with torch.no_grad():
        model.model.embed_tokens.weight.copy_(torch.eye(vocab, hidden))
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.model.norm.weight.fill_(1.0)
        model.lm_head.weight.zero_()
        for source, target in chain:
            model.lm_head.weight[target, source] = 10.0
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


class Server:
    """``reasonlab serve --model DIR --port P`` as a process group we can stop and restart."""

    def __init__(self, model_dir: Path, port: int, log: Path):
        from reasonlab.models.serve import plan_server

        self.model_dir, self.port, self.log = model_dir, port, log
        self.plan = plan_server(model_dir, port=port, backend="transformers")
        self.process: subprocess.Popen | None = None

    @property
    def spec(self) -> str:
        return self.plan.spec

    def start(self, timeout: float = 60.0) -> float:
        """Start and wait until ``/v1/models`` answers; returns the seconds it took."""
        began = time.monotonic()
        self.launch(timeout)
        return self.wait(timeout, began)

    def launch(self, timeout: float = 60.0) -> None:
        with open(self.log, "a") as log:
            # One thread per server: on a shared 2-core machine extra threads only contend.
            env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
            self.process = subprocess.Popen(
                [sys.executable, "-m", "reasonlab", "serve", "--model", str(self.model_dir),
                 "--port", str(self.port), "--backend", "transformers", "--ready-timeout",
                 str(int(timeout))],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)

    def wait(self, timeout: float = 60.0, began: float | None = None) -> float:
        began = time.monotonic() if began is None else began
        assert self.process is not None
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"reasonlab serve exited early:\n{self.log.read_text()}")
            if time.monotonic() - began > timeout:
                self.stop()
                raise RuntimeError(f"reasonlab serve not ready in {timeout:.0f}s")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.plan.base_url + "/models", timeout=2):
                    return time.monotonic() - began
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the whole group at once (a crash, not a shutdown)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        # Nothing of the group may linger (transformers serve can leave a worker behind).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
