"""The ``Completion``: one model output to score, as a completions file carries it — a JSONL
line ``{"id", "completion"}`` whose ``id`` names an item; more fields are allowed and kept."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from reasonlab.core.errors import InputError


@dataclass
class Completion:
    id: str
    completion: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "completion": self.completion, **self.extra}

    @classmethod
    def from_dict(cls, obj: dict[str, Any], *, file: str, line: int,
                  known_ids: Container[str] | None = None) -> Completion:
        """A completion line, checked: ``id`` is a string naming a known item and
        ``completion`` a string; errors name the file, line and field."""
        cid = obj.get("id")
        if not isinstance(cid, str) or not cid:
            raise InputError("is required and must be a string", file=file, line=line, field="id")
        if known_ids is not None and cid not in known_ids:
            raise InputError(f"no item with id {cid!r} in the items file", file=file, line=line,
                             field="id")
        text = obj.get("completion")
        if not isinstance(text, str):
            raise InputError("is required and must be a string", file=file, line=line,
                             field="completion")
        return cls(cid, text, {k: v for k, v in obj.items() if k not in ("id", "completion")})


def read_completions(path: str, known_ids: Container[str] | None = None) -> list[Completion]:
    """Every line of a completions JSONL file, checked before any is scored."""
    from reasonlab.core.jsonl import read_jsonl

    return [Completion.from_dict(obj, file=str(path), line=number, known_ids=known_ids)
            for number, obj in read_jsonl(path)]
