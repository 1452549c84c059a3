"""Generation backends behind one interface (:class:`Model`), chosen by a spec string:

- ``PATH`` — a local Hugging Face checkpoint folder (:mod:`reasonlab.models.local`);
- ``openai:BASE_URL#MODEL`` — any OpenAI-compatible endpoint
  (:mod:`reasonlab.models.openai_client`);
- ``vllm:PATH`` — vLLM in process, when the optional ``vllm`` extra is installed.
"""

from __future__ import annotations

from pathlib import Path

from reasonlab.core.errors import InputError
from reasonlab.models.base import Generation, Model, SamplingParams

__all__ = ["Generation", "Model", "SamplingParams", "load_model"]


def load_model(spec: str, **options) -> Model:
    """Open the backend ``spec`` names; ``options`` go to that backend's constructor, whose
    keyword-only parameters declare them: an unknown option or a value of the wrong type is a
    ``ConfigError`` naming it, before any model loads."""
    from reasonlab.models.options import check_options

    if spec.startswith("openai:"):
        from reasonlab.models.openai_client import OpenAIModel

        options = check_options(OpenAIModel, options, "the openai: backend")
        return OpenAIModel.from_spec(spec, **options)
    if spec.startswith("vllm:"):
        from reasonlab.models.vllm_backend import VLLMModel

        options = check_options(VLLMModel, options, "the vllm: backend")
        return VLLMModel(spec.removeprefix("vllm:"), **options)
    from reasonlab.models.local import LocalModel

    options = check_options(LocalModel, options, "a local model folder")
    path = Path(spec)
    if not path.exists():
        raise InputError("no such model folder (expected a local checkpoint folder, "
                         "openai:BASE_URL#MODEL or vllm:PATH)", file=spec, field="model")
    return LocalModel(path, **options)
