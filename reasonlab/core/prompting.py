"""Turning an item into the prompt a model sees, and reading a verbalized confidence back.

The default template asks for reasoning in ``<think>`` and the answer in ``<answer>``, the
format every reasonlab verifier reads (``core/answer.py``). A suite may give its own template:
a ``str.format`` string with a ``{prompt}`` field. Confidence elicitation appends Humanity's
Last Exam's instruction, adapted to our answer tags, and the completion's last
``Confidence: NN%`` line is read back as a fraction.
"""

from __future__ import annotations

import re
import string

from reasonlab.core.errors import ConfigError

DEFAULT_TEMPLATE = (
    "{prompt}\n\n"
    "Think step by step inside <think></think>, then give only the final answer inside "
    "<answer></answer>."
)
# Templates a suite can name instead of spelling one out.
NAMED_TEMPLATES = {
    "default": DEFAULT_TEMPLATE,
    "raw": "{prompt}",   # the item's prompt as is (models trained on bare prompts)
}
# HLE's system prompt ends with "Confidence: {your confidence score between 0% and 100% for your
# answer}"; we keep that sentence and place it after our answer block.
CONFIDENCE_INSTRUCTION = (
    "\nAfter the answer, write one line in the form\n"
    "Confidence: {your confidence score between 0% and 100% for your answer}"
)

_CONFIDENCE_RE = re.compile(r"confidence\s*[:=]\s*(\d{1,3}(?:\.\d+)?)\s*%", re.IGNORECASE)


def resolve_template(template: str) -> str:
    """A named template's text, or ``template`` itself after checking its fields."""
    text = NAMED_TEMPLATES.get(template, template)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"prompt template is not a valid format string ({exc}); write literal "
                          "braces as {{ and }}", field="template") from None
    if names != {"prompt"}:
        raise ConfigError("prompt template must use exactly the field {prompt}"
                          f" (found: {', '.join(sorted(names)) or 'none'}); known names: "
                          f"{', '.join(NAMED_TEMPLATES)}", field="template")
    return text


def build_prompt(item_prompt: str, template: str, elicit_confidence: bool) -> str:
    """The text sent to the model for one item."""
    text = resolve_template(template).format(prompt=item_prompt)
    return text + CONFIDENCE_INSTRUCTION if elicit_confidence else text


def parse_confidence(completion: str) -> float | None:
    """The last ``Confidence: NN%`` after the reasoning as a fraction in [0, 1], or None when
    there is none (or it is over 100%). A confidence inside ``<think>`` is musing, not a
    statement, and an unfinished think block has none."""
    from reasonlab.core.answer import after_thinking

    matches = _CONFIDENCE_RE.findall(after_thinking(completion or "") or "")
    if not matches:
        return None
    value = float(matches[-1])
    return value / 100.0 if 0.0 <= value <= 100.0 else None


def choose_confidence(completion: str, token_confidence: float | None,
                      ) -> tuple[float | None, str | None]:
    """The confidence recorded for a sample and where it came from: the verbalized line when the
    model wrote one, else the mean probability of its answer tokens (local backends), else none."""
    verbal = parse_confidence(completion)
    if verbal is not None:
        return verbal, "verbalized"
    if token_confidence is not None:
        return min(1.0, max(0.0, float(token_confidence))), "tokens"
    return None, None
