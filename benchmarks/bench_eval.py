"""`reasonlab eval` on the built-in ``generalization`` suite with the tiny random model: wall time
against the issue's budget (under 3 minutes on 2 cores, model loading included), and the
harness's overhead — run_eval's time over the time spent inside ``Model.generate`` during that
same run (verification, sample lines, resume bookkeeping and the summary are the difference).

The random model never writes an end token, so every sample runs to ``max_tokens``: the worst
case for a model of this size. ``quick`` caps the suite at one item per cell.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import Result


def run(quick: bool = False) -> list[Result]:
    from reasonlab.evaluate.model_loading import fit_threads
    from reasonlab.evaluate.runner import run_eval
    from reasonlab.evaluate.suite import load_suite
    from reasonlab.models import load_model
    from reasonlab.models.base import Model
    from reasonlab.models.tiny import init_tiny_model

    class Timed(Model):
        """Delegates to the real backend; adds up the seconds spent generating, less the time
        spent in the harness's ``on_done`` callbacks (verifying and writing samples)."""

        def __init__(self, inner: Model):
            self.inner, self.name, self.seconds = inner, inner.name, 0.0

        def generate(self, prompts, params, on_done=None):
            def timed_done(index, gen):
                begin = time.perf_counter()
                on_done(index, gen)
                self.seconds -= time.perf_counter() - begin

            start = time.perf_counter()
            try:
                return self.inner.generate(prompts, params, timed_done if on_done else None)
            finally:
                self.seconds += time.perf_counter() - start

        def info(self) -> dict:
            return self.inner.info()

    suite = load_suite("generalization", limit=1 if quick else None)
    batch = 64
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = init_tiny_model(Path(tmp) / "tiny")
        start = time.perf_counter()
        model = Timed(load_model(str(model_dir), batch_size=batch, progress=False))
        restore = fit_threads(model.info(), None)   # as `reasonlab eval` does for a small model
        loaded = time.perf_counter()
        try:
            summary = run_eval(model, suite, Path(tmp) / "run", batch_size=batch,
                               progress=False)
        finally:
            end = time.perf_counter()
            if restore is not None:
                import torch

                torch.set_num_threads(restore)
    note = f"{summary.samples} samples x {suite.max_tokens} tokens, tiny model, batch {batch}"
    return [
        Result("eval_generalization_wall", end - start, "s", model.seconds, "<= 180",
               target_on="value", note=note + "; includes loading the model"),
        Result("eval_harness_overhead", end - loaded, "s", model.seconds, "<= 1.10",
               note="run_eval seconds / seconds inside Model.generate in the same run"),
    ]
