"""The run folder on disk: ``config.yaml`` (written once, then checked so a resumed run cannot
mix settings), ``samples.jsonl`` (appended line by line; read back tolerating the torn last line
a kill leaves) and the lock that keeps one writer per folder. ``summary.json`` is read and
written by ``reasonlab.core.summary``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.core.jsonl import atomic_writer, dumps
from reasonlab.core.summary import SUMMARY_FILE, read_summary

SAMPLES, CONFIG = "samples.jsonl", "config.yaml"
FSYNC_EVERY_S = 2.0
# Settings that may change between a run and its resumption without changing any sample.
_IMMATERIAL = {"batch_size", "prices", "reasonlab_version", "suite_source", "description"}


def model_identity(spec: str) -> str:
    """What identifies a model across runs: an endpoint spec as written, a local folder by its
    resolved path (``runs/x`` and ``/home/me/runs/x`` are the same model)."""
    if not isinstance(spec, str) or ":" in spec.split("/", 1)[0]:
        return spec
    return str(Path(spec).expanduser().resolve())


def _material(config: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in config.items() if k not in _IMMATERIAL}
    out["suite"] = {k: v for k, v in (out.get("suite") or {}).items() if k not in _IMMATERIAL}
    # Folders written before paths were resolved hold the literal spec: resolve it here too.
    if "model" in out:
        out["model"] = model_identity(out["model"])
        # Folders made before the prompt form was recorded: endpoints were always prompted
        # through /chat/completions, local models bare.
        endpoint = isinstance(out["model"], str) and out["model"].startswith("openai:")
        out.setdefault("prompt_form", "chat" if endpoint else "bare")
    return out


def _diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            out += _diff(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else str(key))
        return out
    return [] if old == new else [f"{prefix}: {old!r} -> {new!r}"]


def check_or_write_config(out: Path, config: dict[str, Any]) -> None:
    """Write config.yaml for a new folder; for an existing one, refuse a material change."""
    check_config(out, config)
    with atomic_writer(out / CONFIG) as handle:
        yaml.safe_dump(config, handle, sort_keys=False, allow_unicode=True)


def check_config(out: Path, config: dict[str, Any]) -> None:
    """Refuse to resume a folder whose config.yaml differs materially; writes nothing, so it can
    run before the folder is created."""
    path = out / CONFIG
    samples = out / SAMPLES
    # With no samples yet there is nothing to mix up (e.g. the first try named a wrong model).
    if path.exists() and samples.exists() and samples.stat().st_size > 0:
        from reasonlab.core.jsonl import read_text

        try:
            old = yaml.safe_load(read_text(path)) or {}
        except yaml.YAMLError as exc:
            raise InputError(f"unreadable run config ({exc})", file=str(path)) from None
        changes = _diff(_material(old), _material(config))
        if changes:
            raise ConfigError(
                f"this run folder was made with other settings ({'; '.join(changes[:4])}); "
                "rerun with the same settings to resume, or pick a new --out",
                file=str(path), field=changes[0].split(":")[0])


def generation_failed(row: dict[str, Any]) -> bool:
    """A sample whose generation failed (HTTP error, OOM): not an answer, so a rerun retries
    it and the run is not complete while it stands."""
    return row.get("finish_reason") == "error"


def read_samples(path: Path, *, repair: bool = False) -> list[dict[str, Any]]:
    """The samples in a run's samples.jsonl, first occurrence of each (id, sample) kept — except
    that a retried sample replaces its failed generation. A torn last line (a write cut short by
    a kill) is dropped — and cut off the file when ``repair``, so the next append starts on a
    clean line. A bad line elsewhere is an ``InputError``."""
    if not path.exists():
        return []
    data = path.read_bytes()
    # Each line goes out in one write ending in its newline, so a kill can only leave a last
    # line without one; anything after the last newline is torn.
    body_end = data.rfind(b"\n") + 1
    lines = data[:body_end].split(b"\n")[:-1]
    good_end, offset = 0, 0
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, int], int] = {}
    for number, raw in enumerate(lines, start=1):
        offset += len(raw) + 1
        if not raw.strip():
            good_end = offset
            continue
        try:
            obj = json.loads(raw)
            if not isinstance(obj, dict) or "id" not in obj or "sample" not in obj:
                raise ValueError("not a sample object with id and sample")
        except ValueError as exc:
            if number == len(lines):
                break   # a garbled final line is a torn write too: regenerate it
            raise InputError(f"corrupt sample line ({exc}); delete this line to resume",
                             file=str(path), line=number) from None
        good_end = offset
        key = (str(obj["id"]), int(obj["sample"]))
        if key not in seen:
            seen[key] = len(rows)
            rows.append(obj)
        elif generation_failed(rows[seen[key]]):
            rows[seen[key]] = obj
    if repair and good_end < len(data):
        with path.open("r+b") as handle:
            handle.truncate(good_end)
    return rows


@contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """One writer per run folder; the OS drops the lock when the process dies (even SIGKILL)."""
    import fcntl

    handle = (out / ".lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ConfigError("another `reasonlab eval` is writing to this run folder",
                          file=str(out)) from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


class SampleWriter:
    """Appends sample lines: flushed per line, fsync'd every ``FSYNC_EVERY_S`` and at close."""

    def __init__(self, path: Path):
        self.handle = path.open("a", encoding="utf-8")
        self.last_sync = time.monotonic()

    def write(self, row: dict[str, Any]) -> None:
        self.handle.write(dumps(row) + "\n")
        self.handle.flush()
        if time.monotonic() - self.last_sync >= FSYNC_EVERY_S:
            os.fsync(self.handle.fileno())
            self.last_sync = time.monotonic()

    def close(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()


def previous_model_info(out: Path, spec: str) -> dict[str, Any]:
    """The model description an earlier pass wrote, so re-summarizing a finished folder does not
    need to load the model again."""
    try:
        info = read_summary(out / SUMMARY_FILE).model
    except InputError:     # none yet, or unreadable: it is rewritten at the end of the run
        info = None
    # config.yaml already guarantees the same model spec, so the description still applies.
    return info if isinstance(info, dict) and info.get("name") else {"name": spec}
