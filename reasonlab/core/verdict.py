"""The ``Verdict``: what checking one completion against one item concluded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["correct", "wrong", "unparsable", "timeout", "error"]
STATUSES: tuple[str, ...] = ("correct", "wrong", "unparsable", "timeout", "error")


@dataclass
class Verdict:
    """``score`` is in [0, 1]. ``error`` and ``timeout`` mean the verifier could not decide: they
    are counted apart everywhere and masked out of rewards, never read as a wrong answer."""

    id: str
    score: float
    status: Status
    parsed: str | None = None
    detail: str = ""
    components: dict[str, float | None] | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown verdict status {self.status!r}; one of {STATUSES}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"verdict score must be in [0, 1], got {self.score}")

    @property
    def decided(self) -> bool:
        """False when the verifier failed (error/timeout): the score says nothing of the answer."""
        return self.status not in ("error", "timeout")

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "score": self.score, "status": self.status,
                               "parsed": self.parsed, "detail": self.detail}
        if self.components is not None:
            out["components"] = self.components
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Verdict:
        return cls(id=obj["id"], score=float(obj["score"]), status=obj["status"],
                   parsed=obj.get("parsed"), detail=obj.get("detail", ""),
                   components=obj.get("components"))


def correct(item_id: str, parsed: str | None, detail: str = "") -> Verdict:
    return Verdict(item_id, 1.0, "correct", parsed, detail)


def wrong(item_id: str, parsed: str | None, detail: str = "") -> Verdict:
    return Verdict(item_id, 0.0, "wrong", parsed, detail)


def unparsable(item_id: str, detail: str, parsed: str | None = None) -> Verdict:
    return Verdict(item_id, 0.0, "unparsable", parsed, detail)


def error(item_id: str, detail: str, parsed: str | None = None) -> Verdict:
    return Verdict(item_id, 0.0, "error", parsed, detail)


def timeout(item_id: str, detail: str, parsed: str | None = None) -> Verdict:
    return Verdict(item_id, 0.0, "timeout", parsed, detail)
