"""Serve a local checkpoint as an OpenAI-compatible endpoint, with an existing server rather
than one of our own: ``vllm serve`` when vllm is installed and a GPU is present, otherwise
``transformers serve`` (its ``serving`` extra). Offline; 127.0.0.1 unless told otherwise.

The server is pinned to the folder, and requests name the model by the folder's absolute path,
so the spec to use is ``openai:http://HOST:PORT/v1#/abs/path/to/model``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reasonlab.core.errors import InputError, ReasonlabError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def use_vllm() -> bool:
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()


@dataclass
class ServerPlan:
    """What to run and where it will answer."""

    command: list[str]
    model: str              # the name requests must use
    host: str
    port: int
    backend: str

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def spec(self) -> str:
        return f"openai:{self.base_url}#{self.model}"


def plan_server(model_dir: str | Path, host: str = "127.0.0.1", port: int = 8000,
                backend: str = "auto") -> ServerPlan:
    folder = Path(model_dir).resolve()
    if not (folder / "config.json").is_file():
        raise InputError("not a model folder (no config.json)", file=str(model_dir),
                         field="model")
    if port == 0:
        port = free_port(host)
    if backend == "auto":
        backend = "vllm" if use_vllm() else "transformers"
    model = str(folder)
    if backend == "vllm":
        if importlib.util.find_spec("vllm") is None:
            raise ReasonlabError("vllm is not installed: pip install 'reasonlab[vllm]' "
                                 "(needs a GPU)")
        command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model,
                   "--served-model-name", model, "--host", host, "--port", str(port)]
    elif backend == "transformers":
        missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
        if missing:
            raise ReasonlabError(f"`transformers serve` needs {', '.join(missing)}: "
                                 "pip install 'transformers[serving]'")
        command = [sys.executable, "-c",
                   "import sys; from transformers.cli.transformers import main; sys.exit(main())",
                   "serve", model, "--host", host, "--port", str(port), "--log-level", "warning"]
    else:
        raise InputError(f"backend must be auto, transformers or vllm, got {backend!r}",
                         field="backend")
    return ServerPlan(command=command, model=model, host=host, port=port, backend=backend)


def wait_ready(plan: ServerPlan, process: subprocess.Popen, timeout: float = 120.0,
               cancelled: Callable[[], bool] = lambda: False) -> float:
    """Poll ``/v1/models`` until it answers; returns seconds waited. Raises if the server dies,
    does not come up in ``timeout`` seconds, or ``cancelled()`` turns true."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if cancelled():
            raise ReasonlabError("stopped before the server was ready")
        if process.poll() is not None:
            raise ReasonlabError(f"{plan.backend} server exited with code {process.returncode} "
                                 "before it was ready")
        try:
            with urllib.request.urlopen(plan.base_url + "/models", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise ReasonlabError(f"{plan.backend} server did not answer {plan.base_url}/models "
                         f"within {timeout:.0f}s")


def start_server(plan: ServerPlan, new_session: bool = False, **popen_options
                 ) -> subprocess.Popen:
    """Start the server. By default it shares our process group, so whoever stops us (Ctrl-C,
    a test fixture's killpg) reaches it too; ``new_session`` detaches it from the terminal."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen(plan.command, env=env, start_new_session=new_session,
                            **popen_options)


def stop_server(process: subprocess.Popen, grace: float = 3.0) -> int:
    """SIGTERM the server, then SIGKILL it if it lingers (``transformers serve`` stops serving
    on SIGTERM, but a worker thread can keep its process alive)."""
    if process.poll() is None:
        try:
            process.terminate()
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)
    return process.returncode if process.returncode is not None else 0


def serve_forever(plan: ServerPlan, ready_timeout: float = 120.0, grace: float = 3.0) -> int:
    """Run the server until it exits or we get SIGINT/SIGTERM (forwarded to it)."""
    process = start_server(plan)
    stopping: dict[str, float | None] = {"at": None}

    def forward(signum, _frame):
        # Only signal here; the code below does the waiting (and the SIGKILL if needed).
        if stopping["at"] is None:
            stopping["at"] = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            process.terminate()

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            waited = wait_ready(plan, process, ready_timeout,
                                cancelled=lambda: stopping["at"] is not None)
        except ReasonlabError:
            if stopping["at"] is not None:
                return 0
            raise
        print(f"serving {plan.model} with {plan.backend} at {plan.base_url} "
              f"(ready in {waited:.1f}s)", flush=True)
        print(f"use: --model {plan.spec}", flush=True)
        while True:
            try:
                code = process.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if stopping["at"] is not None and time.monotonic() - stopping["at"] > grace:
                    process.kill()
        return 0 if stopping["at"] is not None else code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop_server(process, grace)
