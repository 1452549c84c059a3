"""The judge of an RL run, from the recipe's ``judge`` block: a model folder judged in process,
the same folder served by ``reasonlab serve`` for the length of the run (``serve: true``), an
``openai:URL#MODEL`` endpoint, or, with no ``model``, the judge verifier's own endpoint
(``REASONLAB_JUDGE`` or the items'), with the block's template, max_tokens and see_reasoning.
Used as a context manager so a served judge never outlives the run."""

from __future__ import annotations

import sys
from typing import Any

from reasonlab.judges.judge import JudgeSettings
from reasonlab.judges.verifier import JudgeVerifier


def recipe_judge(spec: Any, endpoint: str | None = None) -> JudgeVerifier:
    """The judge verifier a recipe's ``judge`` block describes, on ``endpoint`` (None: the
    judge verifier's own, ``REASONLAB_JUDGE`` or the items')."""
    settings = JudgeSettings(mode="reference", template=spec.template,
                             max_tokens=spec.max_tokens, see_reasoning=spec.see_reasoning)
    return JudgeVerifier(endpoint, settings)


class JudgeRuntime:
    """``verifier`` (a ``JudgeVerifier`` on the recipe's judge) while inside ``with``."""

    def __init__(self, spec: Any):
        self.spec = spec
        self.verifier: JudgeVerifier | None = None
        self.process = None
        self.endpoint: str | None = None

    def __enter__(self) -> JudgeRuntime:
        spec = self.spec
        endpoint = spec.model
        if spec.serve and endpoint is not None:
            from reasonlab.models.serve import plan_server, start_server, wait_ready

            plan = plan_server(spec.model, port=0, backend="transformers")
            self.process = start_server(plan)
            try:
                wait_ready(plan, self.process)
            except BaseException:
                self.__exit__()     # a server that never came up must not linger
                raise
            endpoint = plan.spec
            print(f"reasonlab: judge served at {plan.base_url}", file=sys.stderr, flush=True)
        self.endpoint = endpoint
        self.verifier = recipe_judge(spec, endpoint)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.verifier is not None:
            self.verifier.close()
        if self.process is not None:
            from reasonlab.models.serve import stop_server

            stop_server(self.process)
