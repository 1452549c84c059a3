"""Generative verifiers: LLM judges that reason before they score, against a reference answer,
a written spec, a rubric or a second response — and the tools to see whether a judge can be
trusted (master-key canary audit, calibration against rule-based ground truth).

Importing this package registers the ``judge`` verifier. ``reasonlab.verifiers`` sits below
and does not import it: the package declares itself in the ``reasonlab.verifiers`` entry-point
group (pyproject.toml), which the verifier registry loads when a name is unknown to it.
"""

from __future__ import annotations

from reasonlab.judges.options import JudgeOptions
from reasonlab.verifiers.base import register_verifier


def make_judge_verifier():
    """Factory behind the registered ``judge`` verifier (configured by ``REASONLAB_JUDGE`` or the
    item's ``meta.verify.judge``)."""
    from reasonlab.judges.verifier import JudgeVerifier

    return JudgeVerifier()


register_verifier("judge", make_judge_verifier, options=JudgeOptions, any_item=True)
