"""Typed model options: ``load_model(spec, **options)`` checks ``options`` against the backend's
own constructor before anything loads.

Each backend declares its options once, as the keyword-only parameters of its ``__init__``
with type hints and defaults (``LocalModel(path, *, batch_size: int = 64, ...)``); this module
reads that signature, so an option name that backend lacks (``batchsize``, or ``chat_template``
for an endpoint) is a ``ConfigError`` naming it and listing the known ones, and a value of the
wrong type is refused the way the settings loader refuses it (``core.spec``), instead of a
``TypeError`` from deep inside a constructor or a value silently ignored. A backend that passes
further options to an engine (``**engine_options``, vLLM) names those it accepts with a
``passthrough_options()`` classmethod.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

from reasonlab.core.errors import ConfigError
from reasonlab.core.spec import coerce


def declared_options(backend: type) -> dict[str, inspect.Parameter]:
    """The options ``backend`` declares: its constructor's keyword-only parameters."""
    params = inspect.signature(backend.__init__).parameters
    return {name: p for name, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}


def check_options(backend: type, options: dict[str, Any], what: str) -> dict[str, Any]:
    """``options`` with every name declared by ``backend`` and every value of its type;
    ``what`` names the backend in errors (``the openai: backend``)."""
    declared = declared_options(backend)
    if not options:
        return {}
    takes_more = any(p.kind is inspect.Parameter.VAR_KEYWORD
                     for p in inspect.signature(backend.__init__).parameters.values())
    undeclared = [name for name in options if name not in declared]
    if undeclared and takes_more:
        engine = frozenset(backend.passthrough_options())
        undeclared = [name for name in undeclared if name not in engine]
    if undeclared:
        known = ", ".join(sorted(declared)) or "none"
        more = f", or {backend.passthrough_what}" if takes_more else ""
        raise ConfigError(f"unknown option for {what}; known: {known}{more}",
                          field=undeclared[0])
    hints = typing.get_type_hints(backend.__init__)

    def fail(where: str, message: str) -> ConfigError:
        return ConfigError(f"{message} (an option of {what})", field=where)

    return {name: coerce(hints[name], value, name, fail) if name in declared and name in hints
            else value for name, value in options.items()}
