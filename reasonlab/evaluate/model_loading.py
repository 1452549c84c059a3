"""The model an evaluation runs on: a model spec checked before anything is created, a local
model's CPU threads fitted to its size, and the model loaded (an endpoint's health checked
before the first sample)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasonlab.core.errors import InputError
from reasonlab.models.base import Model


def check_model_spec(spec: str) -> None:
    """A model spec that cannot work is refused before anything is created: an endpoint spec
    must parse (``openai:BASE_URL#MODEL``), a local model must be a checkpoint folder."""
    if spec.startswith("openai:"):
        from reasonlab.models.openai_client import parse_spec

        parse_spec(spec)
    elif not _is_endpoint(spec):
        path = Path(spec)
        if not path.exists():
            raise InputError("no such model folder (expected a local checkpoint folder or "
                             "openai:BASE_URL#MODEL)", file=spec, field="--model")
        if not (path / "config.json").is_file():
            raise InputError("not a model folder (no config.json); expected a local "
                             "checkpoint folder or openai:BASE_URL#MODEL", file=spec,
                             field="--model")


# Below this size a second CPU thread buys nothing (the matrices are too small to split) and,
# on shared cores, its OpenMP spin-waiting slows generation down (docs/evaluation.md,
# "Threads", has the measurement).
SMALL_MODEL_PARAMETERS = 20_000_000


def fit_threads(info: dict[str, Any], threads: int | None) -> int | None:
    """Set torch's CPU threads for a local model; returns the count to restore, or None."""
    if info.get("device", "cpu") != "cpu" or "parameters" not in info:
        return None
    if threads is None and info["parameters"] >= SMALL_MODEL_PARAMETERS:
        return None
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads or 1)
    return before


def _is_endpoint(spec: str) -> bool:
    """``openai:…`` / ``vllm:…`` specs, as opposed to a local folder path."""
    return ":" in spec.split("/", 1)[0]


def load_for_eval(model: Model | str, batch_size: int, chat_template: str = "auto") -> Model:
    if isinstance(model, Model):
        loaded = model
    else:
        from reasonlab.models import load_model

        # Our own bar counts samples across batches; the backend's per-call bar would only
        # flicker.
        if model.startswith("openai:"):
            loaded = load_model(model, **({"mode": "completions"} if chat_template == "off"
                                          else {}))
        elif _is_endpoint(model):
            loaded = load_model(model, chat_template=chat_template)
        else:
            loaded = load_model(model, batch_size=batch_size, progress=False,
                                chat_template=chat_template)
    check = getattr(loaded, "check_health", None)
    if check is not None:
        check()    # down, or not serving this model: one line, before the first sample
    return loaded
