"""Where a model's prompt form is decided: through its chat template, or bare.

The rule, for evaluation, training and serving alike: a model whose tokenizer has a chat
template that adds anything to a message (role markers, a system prompt: an instruct model) is
prompted through it, since such a model prompted bare often ends its turn at once; any other
model gets the bare prompt. reasonlab's own tiny models have a template that renders a message
as its text after ``<bos>``, the same tokens a bare prompt gives, so they keep bare prompts.
One flag overrides the rule: ``--chat-template on|off`` (``auto`` is the rule). An endpoint
(``openai:``) is prompted through the server's template (``/chat/completions``) unless it is
``off`` (``/completions``, the bare text).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ConfigError

CHOICES = ("auto", "on", "off")
_PROBE = "reasonlab probe: is this message wrapped?"


@dataclass(frozen=True)
class PromptForm:
    """``chat``: prompts go through the chat template; ``requested`` is the flag's value and
    ``reason`` says why this form (printed, and recorded with the run)."""

    chat: bool
    requested: str
    reason: str

    @property
    def name(self) -> str:
        return "chat" if self.chat else "bare"

    def describe(self) -> str:
        return f"prompt form: {self.name} ({self.reason})"


def check_choice(value: Any, field: str = "--chat-template") -> str:
    """``auto``/``on``/``off``; a YAML or Python bool reads as on/off."""
    if value is True or value is False:
        return "on" if value else "off"
    if value not in CHOICES:
        raise ConfigError(f"must be one of {', '.join(CHOICES)}, got {value!r}", field=field)
    return value


def template_adds_markup(tokenizer: Any) -> bool:
    """Whether the tokenizer's chat template changes a user message beyond a leading BOS."""
    if not getattr(tokenizer, "chat_template", None):
        return False
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": _PROBE}],
                                             tokenize=False, add_generation_prompt=True)
    bos = getattr(tokenizer, "bos_token", None) or ""
    if bos and rendered.startswith(bos):
        rendered = rendered[len(bos):]
    return rendered != _PROBE


def decide(requested: str, tokenizer: Any, where: str = "--chat-template") -> PromptForm:
    """The prompt form of a local model with this tokenizer."""
    requested = check_choice(requested, where)
    has_template = bool(getattr(tokenizer, "chat_template", None))
    if requested == "off":
        return PromptForm(False, requested, "--chat-template off")
    if requested == "on":
        if not has_template:
            raise ConfigError("the model's tokenizer has no chat template; use "
                              "--chat-template auto or off", field=where)
        return PromptForm(True, requested, "--chat-template on")
    if not has_template:
        return PromptForm(False, requested, "the tokenizer has no chat template")
    if template_adds_markup(tokenizer):
        return PromptForm(True, requested, "the tokenizer's chat template; --chat-template off "
                                           "for bare prompts")
    return PromptForm(False, requested, "the chat template adds nothing to a message")


def decide_for(spec: str, requested: str, where: str = "--chat-template") -> PromptForm:
    """The prompt form for a model spec, without loading weights: an endpoint by the flag alone,
    a local folder by its tokenizer."""
    requested = check_choice(requested, where)
    if spec.startswith("openai:"):
        if requested == "off":
            return PromptForm(False, requested, "--chat-template off: /completions")
        return PromptForm(True, requested, "the server's chat template: /chat/completions")
    folder = Path(spec.removeprefix("vllm:"))
    if spec.startswith("init:") or not (folder / "config.json").is_file():
        # A fresh tiny model (init:tiny) has the bare template; a missing folder is refused by
        # whoever loads it, with its own message.
        return PromptForm(requested == "on", requested,
                          "--chat-template on" if requested == "on" else "a fresh tiny model")
    if not any((folder / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json")):
        # Nothing to prompt with; whoever loads the model says so in its own words.
        return PromptForm(requested == "on", requested, "no tokenizer in the folder")
    return decide(requested, load_tokenizer(folder, where), where)


def load_tokenizer(folder: Path, where: str = "model"):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the tokenizer in {folder}: {exc}".splitlines()[0],
                          field=where) from None
