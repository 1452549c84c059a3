"""reasonlab overrides a few private methods of TRL and transformers; pyproject.toml pins both to
the minor versions these tests pass on. An upgrade that renames or reshapes one of them fails
here, in CI, instead of silently at run time (an override that no longer overrides anything)."""

from __future__ import annotations

import inspect

import pytest
from transformers import Trainer
from transformers.cache_utils import DynamicLayer
from trl import GRPOTrainer

from reasonlab.models.kvcache import PreallocatedLayer
from reasonlab.train.checkpoint import AtomicCheckpointMixin
from reasonlab.train.rl import ReasonlabGRPOTrainer

# (class, method, the parameter names reasonlab's override is written against)
OVERRIDDEN = [
    (GRPOTrainer, "_generate_and_score_completions", ["self", "inputs"]),
    (GRPOTrainer, "_generate_single_turn", ["self", "prompt_ids", "images", "multimodal_fields",
                                            "num_generations", "has_tool_images"]),
    (Trainer, "_get_output_dir", ["self", "trial"]),
    (Trainer, "_save_checkpoint", ["self", "model", "trial"]),
    (DynamicLayer, "lazy_initialization", ["self", "key_states", "value_states"]),
    (DynamicLayer, "update", ["self", "key_states", "value_states", "args", "kwargs"]),
    (DynamicLayer, "get_seq_length", ["self"]),
    (DynamicLayer, "get_mask_sizes", ["self", "query_length"]),
    (DynamicLayer, "crop", ["self", "tokens_to_remove"]),
    (DynamicLayer, "batch_select_indices", ["self", "indices"]),
    (DynamicLayer, "batch_repeat_interleave", ["self", "repeats"]),
    (DynamicLayer, "reset", ["self"]),
]


@pytest.mark.parametrize(("owner", "name", "params"), OVERRIDDEN,
                         ids=[f"{o.__name__}.{n}" for o, n, _ in OVERRIDDEN])
def test_overridden_private_method_still_exists_with_its_signature(owner, name, params):
    method = getattr(owner, name, None)
    assert method is not None, f"{owner.__name__}.{name} is gone: reasonlab's override is dead"
    assert list(inspect.signature(method).parameters) == params


def test_reasonlab_classes_really_override_them():
    assert {"_generate_and_score_completions", "_generate_single_turn"} <= set(
        vars(ReasonlabGRPOTrainer))
    assert {"_get_output_dir", "_save_checkpoint"} <= set(vars(AtomicCheckpointMixin))
    overridden = {name for owner, name, _ in OVERRIDDEN if owner is DynamicLayer}
    assert overridden <= set(vars(PreallocatedLayer))
    assert issubclass(PreallocatedLayer, DynamicLayer)
