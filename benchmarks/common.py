"""The result row every benchmark returns (``bench/results.json`` holds a list of these)."""

from __future__ import annotations

import operator
from dataclasses import dataclass


@dataclass
class Result:
    """``ratio`` = value / baseline, both measured in the same run. ``target`` reads like
    ``">= 1.5"`` or ``"<= 1.10"`` and applies to the ratio unless ``target_on == "value"``."""

    name: str
    value: float
    unit: str
    baseline: float
    target: str
    target_on: str = "ratio"
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def meets(self) -> bool:
        op_text, _, bound = self.target.partition(" ")
        op = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}[op_text]
        subject = self.ratio if self.target_on == "ratio" else self.value
        return bool(op(subject, float(bound)))

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "unit": self.unit,
                "baseline": self.baseline, "ratio": self.ratio, "target": self.target,
                "meets": self.meets, "note": self.note}
