"""Warnings nobody running reasonlab can act on: FutureWarnings raised inside its dependencies
(deprecations in transformers, TRL, torch). The command line and training both silence them."""

from __future__ import annotations

import warnings

DEPENDENCIES = r"(transformers|trl|accelerate|torch|datasets|peft|huggingface_hub)(\.|$)"


def silence_dependency_warnings() -> None:
    warnings.filterwarnings("ignore", category=FutureWarning, module=DEPENDENCIES)
