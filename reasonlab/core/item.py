"""The ``Item``: one problem a task yields, and its JSONL form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from reasonlab.core.errors import InputError

# Top-level keys with a typed home on Item; anything else round-trips through ``extra``.
_OPTIONAL_TEXT = ("teacher", "spec", "rubric")


@dataclass
class Item:
    """A problem with everything needed to check an answer to it.

    ``teacher`` is a reference completion (reasoning in ``<think>``, then ``<answer>``) used to
    warm-start models; ``tests``/``spec``/``rubric`` serve code and judged items; ``extra`` keeps
    any other top-level field a file carried so that nothing is dropped on a round trip.
    """

    id: str
    task: str
    domain: str
    difficulty: int
    prompt: str
    answer: str | None
    verifier: str = "exact"
    meta: dict[str, Any] = field(default_factory=dict)
    teacher: str | None = None
    tests: list[str] | None = None
    spec: str | None = None
    rubric: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "task": self.task, "domain": self.domain,
            "difficulty": self.difficulty, "prompt": self.prompt, "answer": self.answer,
            "verifier": self.verifier, "meta": self.meta,
        }
        for name in (*_OPTIONAL_TEXT, "tests"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any], *, file: str | None = None,
                  line: int | None = None) -> Item:
        """Build an Item from its JSON object; a missing or mistyped field raises ``InputError``
        naming the file, line and field."""

        def fail(name: str, message: str) -> InputError:
            return InputError(message, file=file, line=line, field=name)

        def text(name: str, *, required: bool = True) -> str | None:
            value = obj.get(name)
            if value is None:
                if required:
                    raise fail(name, "is required")
                return None
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise fail(name, f"must be a string, got {type(value).__name__}")
            return str(value)

        difficulty = obj.get("difficulty", 1)
        if isinstance(difficulty, bool) or not isinstance(difficulty, int):
            raise fail("difficulty", f"must be an integer, got {difficulty!r}")
        meta = obj.get("meta") or {}
        if not isinstance(meta, dict):
            raise fail("meta", f"must be an object, got {type(meta).__name__}")
        tests = obj.get("tests")
        if tests is not None:
            if isinstance(tests, str):
                tests = [tests]
            if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
                raise fail("tests", "must be a list of strings (one test each)")
        known = {f.name for f in fields(cls)} - {"extra"}
        return cls(
            id=text("id"), task=text("task"), domain=text("domain", required=False) or "unknown",
            difficulty=difficulty, prompt=text("prompt"), answer=text("answer", required=False),
            verifier=text("verifier", required=False) or "exact", meta=dict(meta),
            teacher=text("teacher", required=False), tests=tests,
            spec=text("spec", required=False), rubric=text("rubric", required=False),
            extra={k: v for k, v in obj.items() if k not in known},
        )


def load_items(path: str, *, check_verifier: Callable[[str], None] | None = None,
               check_item: Callable[[Item], None] | None = None) -> list[Item]:
    """Read an items JSONL file; duplicate ids are an error since verdicts match by id.

    ``check_verifier`` raises ``InputError`` for a verifier spec nobody can run, and
    ``check_item`` for an item its verifiers cannot read (``meta.verify`` options); the
    verifiers layer passes both (``reasonlab.verifiers.load_items``), since what is registered
    there is not known down here. Their errors are located at the item's line."""
    from reasonlab.core.jsonl import read_jsonl

    items: list[Item] = []
    seen: dict[str, int] = {}
    checked: set[str] = set()
    for number, obj in read_jsonl(path):
        item = Item.from_dict(obj, file=str(path), line=number)
        if check_verifier is not None and item.verifier not in checked:
            # An unknown verifier is bad input, refused here rather than turned into an
            # `error` verdict for every completion of the item.
            try:
                check_verifier(item.verifier)
            except InputError as exc:
                raise InputError(exc.message, file=str(path), line=number,
                                 field="verifier") from None
            checked.add(item.verifier)
        if check_item is not None:
            try:
                check_item(item)
            except InputError as exc:
                raise type(exc)(exc.message, file=str(path), line=number,
                                field=exc.field) from None
        if item.id in seen:
            raise InputError(f"duplicate id {item.id!r} (first on line {seen[item.id]})",
                             file=str(path), line=number, field="id")
        seen[item.id] = number
        items.append(item)
    return items
