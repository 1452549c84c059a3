"""The ``meta.verify`` keys a judge reads (``judge`` verifier, ``reasonlab judge``): the
extraction options every verifier shares, plus per-item overrides of the judge's settings."""

from __future__ import annotations

from dataclasses import dataclass

from reasonlab.judges.templates import MODES
from reasonlab.verifiers.options import ExtractOptions


@dataclass(frozen=True)
class JudgeOptions(ExtractOptions):
    # Each None means "the judge's own setting" (JudgeSettings, or the endpoint it was built
    # with / REASONLAB_JUDGE for ``judge``).
    judge: str | None = None            # endpoint: openai:URL#MODEL
    judge_mode: str | None = None       # auto or one of MODES
    scale: int | None = None            # rubric scale
    see_reasoning: bool | None = None   # show the judge the reasoning, not just the answer
    pass_score: float | None = None     # rubric: correct at this score or above

    def validate(self, fail) -> None:
        if self.judge_mode is not None and self.judge_mode not in ("auto", *MODES):
            raise fail("judge_mode", f"must be one of auto, {', '.join(MODES)}, got "
                                     f"{self.judge_mode!r}")
