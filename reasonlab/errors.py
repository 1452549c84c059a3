"""Kept so that ``from reasonlab.errors import …`` goes on working; the errors live in
``reasonlab.core.errors``."""

from reasonlab.core.errors import ConfigError, InputError, ReasonlabError

__all__ = ["ConfigError", "InputError", "ReasonlabError"]
