"""A sandbox for untrusted (model-written) Python: bubblewrap namespaces, rlimits, one
unprivileged uid per worker slot, and a judge inside that reports values, not verdicts, so a
program cannot fake a pass. Usable on its own; ``reasonlab.verifiers.code`` builds on it.

    pool = SandboxPool()
    result = pool.run(Job(public={...}, secret={...}, timeout=10))

``set_unsafe_no_sandbox(True)`` (or ``REASONLAB_UNSAFE_NO_SANDBOX=1``, or ``reasonlab verify
--unsafe-no-sandbox``) runs the same judge without bubblewrap; nothing falls back to that silently.
"""

from __future__ import annotations

import os

from reasonlab.sandbox.bwrap import (
    UNSAFE_ENV,
    Limits,
    SandboxConfig,
    SandboxUnavailable,
    unsafe_requested,
)
from reasonlab.sandbox.pool import SandboxPool, default_workers
from reasonlab.sandbox.runner import Job, RunFailed, SandboxProcess


def set_unsafe_no_sandbox(enabled: bool = True) -> None:
    """Opt in (for this process and its children) to running code without bubblewrap."""
    if enabled:
        os.environ[UNSAFE_ENV] = "1"
    else:
        os.environ.pop(UNSAFE_ENV, None)


__all__ = ["Job", "Limits", "RunFailed", "SandboxConfig", "SandboxPool", "SandboxProcess",
           "SandboxUnavailable", "default_workers", "set_unsafe_no_sandbox", "unsafe_requested"]
