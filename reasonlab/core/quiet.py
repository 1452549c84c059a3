"""Output nobody running reasonlab can act on: FutureWarnings raised inside its dependencies
(deprecations in transformers, TRL, torch), which the command line and training silence, and
the dependencies' own progress bars, which ``--no-progress`` silences."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

DEPENDENCIES = r"(transformers|trl|accelerate|torch|datasets|peft|huggingface_hub)(\.|$)"


def silence_dependency_warnings() -> None:
    warnings.filterwarnings("ignore", category=FutureWarning, module=DEPENDENCIES)


@contextlib.contextmanager
def dependency_bars(enabled: bool) -> Iterator[None]:
    """With ``enabled`` False, silence the progress bars dependencies draw on stderr
    (transformers' "Loading weights" and "Writing model shards", datasets' "Tokenizing train
    dataset", the GGUF reader's "Converting and de-quantizing"), restoring them afterwards."""
    if enabled:
        yield
        return
    import functools
    import importlib

    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    datasets_was_on = None
    try:
        import datasets

        datasets_was_on = datasets.utils.is_progress_bar_enabled()
        datasets.utils.disable_progress_bars()
    except ImportError:
        pass
    # The GGUF reader uses tqdm itself, not transformers' switchable one.
    gguf_module = importlib.import_module("transformers.modeling_gguf_pytorch_utils")
    plain = gguf_module.tqdm
    gguf_module.tqdm = functools.partial(plain, disable=True)
    try:
        yield
    finally:
        gguf_module.tqdm = plain
        if was_on:
            hf_logging.enable_progress_bar()
        if datasets_was_on:
            import datasets

            datasets.utils.enable_progress_bars()
