"""Errors a user can act on: each names where the bad input is (file, line, field)."""

from __future__ import annotations


class ReasonlabError(Exception):
    """Base class for errors reasonlab reports as one clear line (CLI exit code 2)."""


class InputError(ReasonlabError):
    """Bad user input, located as precisely as we can: ``file:line: field: message``."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None):
        self.message, self.file, self.line, self.field = message, file, line, field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file) + (f":{self.line}" if self.line is not None else "") + ": "
        what = f"field '{self.field}': " if self.field else ""
        return f"{where}{what}{self.message}"


class ConfigError(InputError):
    """A task, verifier or suite configuration that cannot work; says which field and why."""
