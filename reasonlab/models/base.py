"""The generation interface every backend implements (local transformers, OpenAI-compatible
HTTP endpoints, in-process vLLM). Evaluation and training talk only to this."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class SamplingParams:
    """How to sample. ``stop`` strings end a completion and are kept in its text (so
    ``</answer>`` stays visible to the verifier).

    Budget forcing (local backends): ``thinking_budget`` caps the tokens inside ``<think>`` and
    then forces ``</think>\\n<answer>``; ``min_thinking_tokens`` replaces an early ``</think>`` by
    ``wait_text`` until the thinking is that long (s1's "Wait")."""

    max_tokens: int = 256
    temperature: float = 0.0            # 0 = greedy
    top_p: float = 1.0
    top_k: int = 0                      # 0 = off
    seed: int | None = None
    stop: list[str] = field(default_factory=lambda: ["</answer>"])
    thinking_budget: int | None = None
    min_thinking_tokens: int | None = None
    wait_text: str = "Wait"


@dataclass
class Generation:
    """One completion. ``text`` is what the model wrote after the prompt (for endpoints that
    return ``reasoning_content`` separately, ``reasoning`` holds it and ``text`` is the content).
    Token counts are in the backend's own tokenizer; ``thinking_tokens`` counts the reasoning
    (inside ``<think>`` or ``reasoning_content``), ``answer_tokens`` the rest.
    ``token_confidence`` is the mean probability of the tokens inside ``<answer>`` (local
    backends only; None elsewhere)."""

    text: str
    reasoning: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    thinking_tokens: int = 0
    answer_tokens: int = 0
    token_confidence: float | None = None
    finish_reason: str = "stop"          # stop | length | error
    latency_s: float = 0.0
    error: str | None = None             # set when the backend failed for this prompt
    token_ids: list[int] | None = None   # the completion's tokens (local backend only)

    @property
    def full_text(self) -> str:
        """The completion as a verifier should see it: reasoning (if separate) then content."""
        if self.reasoning:
            return f"<think>{self.reasoning}</think>{self.text}"
        return self.text


class Model(ABC):
    """A text generator. ``name`` identifies it in run folders (a path or endpoint#model)."""

    name: str

    @abstractmethod
    def generate(self, prompts: Sequence[str], params: SamplingParams,
                 on_done: Callable[[int, Generation], None] | None = None) -> list[Generation]:
        """Complete each prompt once; ``on_done(i, gen)`` is called as each finishes (so callers
        can append results to disk as they arrive). Never raises for one bad prompt: that
        prompt's Generation has ``finish_reason == "error"`` and ``error`` set."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Free memory, threads or connections."""

    def info(self) -> dict:
        """Recorded in run summaries."""
        return {"name": self.name, "backend": type(self).__name__}
