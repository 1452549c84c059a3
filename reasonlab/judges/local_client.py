"""A judge model run in process: a local checkpoint folder behind the same ``generate`` and
counters the HTTP client has, so ``Judge`` treats a folder like an endpoint. The model name is
the folder's absolute path, which is also the name ``reasonlab serve`` gives it, so verdicts
cached from the served judge are served to the in-process one and back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from reasonlab.models.base import Generation, SamplingParams


def is_local_judge(spec: str) -> bool:
    return not spec.startswith("openai:") and (Path(spec) / "config.json").is_file()


def judge_spec_problem(spec: str) -> str | None:
    """What is wrong with a judge given as a path or endpoint, in words a user can act on;
    None when it can be used."""
    if spec.startswith("openai:"):
        from reasonlab.core.errors import InputError
        from reasonlab.models.openai_client import parse_spec

        try:
            parse_spec(spec)
        except InputError as exc:
            return exc.message
        return None
    folder = Path(spec)
    if (folder / "config.json").is_file():
        return None
    if "://" in spec:
        return f"an endpoint is written openai:BASE_URL#MODEL, got {spec!r}"
    if not folder.exists():
        return (f"no such folder {spec!r} (a judge is a model folder or an "
                "openai:BASE_URL#MODEL endpoint)")
    if (folder / "final" / "config.json").is_file():
        return f"{spec!r} is a training run folder; use {folder / 'final'}"
    return f"{spec!r} is not a model folder (no config.json)"


class LocalJudgeClient:
    """``requests`` counts prompts generated; a local model neither retries nor gives up, but
    a failure of the whole batch (out of memory, a broken checkpoint) becomes an ``error``
    generation for each prompt, so the verdicts are ``error`` and never a silent score."""

    def __init__(self, folder: str | Path, batch_size: int = 64):
        from reasonlab.models.local import LocalModel

        self.model = str(Path(folder).resolve())
        self.local = LocalModel(self.model, batch_size=batch_size, progress=False)
        self.requests = self.retries = self.gave_up = 0

    def generate(self, prompts: Sequence[str], params: SamplingParams,
                 on_done: Callable[[int, Generation], None] | None = None) -> list[Generation]:
        self.requests += len(prompts)
        try:
            return self.local.generate(prompts, params, on_done=on_done)
        except Exception as exc:  # noqa: BLE001  (a judge failure is an error verdict)
            failed = [Generation("", finish_reason="error",
                                 error=f"local judge failed: {type(exc).__name__}: {exc}")
                      for _ in prompts]
            if on_done is not None:
                for i, gen in enumerate(failed):
                    on_done(i, gen)
            return failed

    def close(self) -> None:
        self.local.close()
