"""Typed model options (issue 13): each backend declares its options (the keyword-only
parameters of its constructor, with types); ``load_model`` refuses an unknown option or a
mistyped value with a ConfigError naming it, before any model loads."""

from __future__ import annotations

import pytest

from reasonlab.core.errors import ConfigError
from reasonlab.models import load_model
from reasonlab.models.local import LocalModel
from reasonlab.models.openai_client import OpenAIModel
from reasonlab.models.options import check_options, declared_options
from reasonlab.models.vllm_backend import VLLMModel

ENDPOINT = "openai:http://127.0.0.1:1/v1#m"   # nothing listens: nothing may be asked of it


def test_unknown_local_option_is_refused_naming_it_and_the_known_ones(tiny_model_dir):
    with pytest.raises(ConfigError) as caught:
        load_model(str(tiny_model_dir), batchsize=2)
    error = caught.value
    assert error.field == "batchsize"
    assert "unknown option" in str(error) and "batch_size" in str(error)
    assert "progress" in str(error)


def test_unknown_option_is_refused_before_the_folder_is_even_looked_at(tmp_path):
    with pytest.raises(ConfigError, match="batchsize"):
        load_model(str(tmp_path / "no-such-model"), batchsize=2)


def test_endpoint_refuses_a_local_only_option():
    # `reasonlab model generate --chat-template` against an endpoint: a named refusal, not a
    # TypeError from the constructor.
    with pytest.raises(ConfigError) as caught:
        load_model(ENDPOINT, chat_template=True)
    assert caught.value.field == "chat_template"
    assert "max_retries" in str(caught.value)


def test_mistyped_option_is_refused_naming_it():
    with pytest.raises(ConfigError) as caught:
        load_model(ENDPOINT, concurrency="2")
    assert caught.value.field == "concurrency" and "must be int" in str(caught.value)
    with pytest.raises(ConfigError, match="mode"):
        load_model(ENDPOINT, mode=3)


def test_valid_options_reach_the_backend():
    model = load_model(ENDPOINT, concurrency=3, timeout=5, max_retries=1, progress=False,
                       extra_body={"top_k": 2})
    assert isinstance(model, OpenAIModel)
    assert (model.concurrency, model.timeout, model.max_retries) == (3, 5.0, 1)
    assert model.extra_body == {"top_k": 2} and model.progress is False


def test_vllm_declared_options_are_checked_without_vllm():
    with pytest.raises(ConfigError, match="chat_template"):
        check_options(VLLMModel, {"chat_template": "yes"}, "the vllm: backend")
    assert check_options(VLLMModel, {"progress": False}, "the vllm: backend") == {
        "progress": False}


def test_every_backend_declares_typed_options():
    for backend in (LocalModel, OpenAIModel, VLLMModel):
        declared = declared_options(backend)
        assert "progress" in declared
        for name, param in declared.items():
            assert param.annotation is not param.empty, (backend.__name__, name)
