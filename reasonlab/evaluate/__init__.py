"""Evaluation: run a suite (tasks × difficulties × items × samples) against a model into a
resumable run folder, and compute the metrics of ``metrics.py`` into ``summary.json``.

Modules: ``suite`` (YAML suites), ``runner`` (the run folder and resume), ``metrics``
(definitions), ``summary`` (builds the typed ``reasonlab.core.summary.Summary``, which reads and
writes the file), ``scaling`` (test-time scaling) and ``transfer`` (base vs trained runs). The
prompt templates and confidence reading are ``reasonlab.core.prompting``, shared with training."""

from reasonlab.evaluate.suite import BUILTIN_SUITES, Suite, TaskEntry, load_suite

__all__ = ["BUILTIN_SUITES", "Suite", "TaskEntry", "load_suite", "run_eval"]


def run_eval(*args, **kwargs):
    """See ``reasonlab.evaluate.runner.run_eval`` (imported lazily: it pulls in the models)."""
    from reasonlab.evaluate.runner import run_eval as _run_eval

    return _run_eval(*args, **kwargs)
