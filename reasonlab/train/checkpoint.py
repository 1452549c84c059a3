"""Atomic checkpoints around the HF Trainer's own save.

The Trainer already writes everything a resume needs (model, optimizer, scheduler, RNG states,
``trainer_state.json`` with the step, which positions the data sampler); reasonlab adds its own
state (curriculum, data position) as ``reasonlab_state.json`` and makes the whole folder atomic:

1. the Trainer saves into ``DIR/checkpoints/.staging/checkpoint-N`` (``_get_output_dir`` is
   redirected while saving);
2. reasonlab writes its state there, fsyncs every file, writes ``manifest.json`` (size and
   sha256 of every file) and fsyncs it;
3. the folder is renamed to ``DIR/checkpoints/checkpoint-N`` and the parent directory fsynced.

A crash before step 3 leaves only staging debris (cleared at the next save); the previous
checkpoints stay valid. A checkpoint is valid when its manifest matches its files; ``--resume``
takes the newest valid one and skips corrupt ones with a warning. The last ``keep`` are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
STATE = "reasonlab_state.json"
PREFIX = "checkpoint-"
STAGING = ".staging"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def commit(staging: Path, final: Path, *, step: int, state: dict[str, Any] | None = None) -> Path:
    """Finish a checkpoint written into ``staging`` and move it to ``final`` atomically."""
    staging, final = Path(staging), Path(final)
    if state is not None:
        (staging / STATE).write_text(json.dumps(state, indent=2) + "\n")
    files = {}
    for path in _files(staging):
        _fsync_path(path)
        files[path.relative_to(staging).as_posix()] = {
            "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    manifest = {"format": 1, "step": step, "created": time.time(), "files": files}
    with open(staging / MANIFEST, "w") as handle:
        json.dump(manifest, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    for sub in sorted({p.parent for p in _files(staging)} | {staging}, reverse=True):
        _fsync_path(sub)
    if final.exists():   # the same step saved again (e.g. a resume that saved before dying)
        shutil.rmtree(final)
    os.rename(staging, final)
    _fsync_path(final.parent)
    return final


def problem(folder: Path, *, deep: bool = True) -> str | None:
    """Why ``folder`` is not a valid checkpoint, or None when it is. ``deep`` re-hashes files."""
    manifest_path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
        files = manifest["files"]
    except FileNotFoundError:
        return "no manifest.json (an interrupted save?)"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"unreadable manifest.json ({exc})"
    for name, meta in files.items():
        path = Path(folder) / name
        if not path.is_file():
            return f"missing file {name}"
        if path.stat().st_size != meta.get("bytes"):
            return f"{name} has {path.stat().st_size} bytes, manifest says {meta.get('bytes')}"
        if deep and sha256_file(path) != meta.get("sha256"):
            return f"{name} does not match its sha256 in the manifest"
    return None


def step_of(folder: Path) -> int:
    try:
        return int(Path(folder).name.removeprefix(PREFIX))
    except ValueError:
        return -1


def checkpoints(root: str | Path) -> list[Path]:
    """Checkpoint folders under ``root``, oldest first (valid or not)."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(PREFIX)
             and step_of(p) >= 0]
    return sorted(found, key=step_of)


def latest_valid(root: str | Path) -> Path | None:
    """The newest checkpoint whose files match their manifest; corrupt ones are skipped with a
    warning naming the problem."""
    for folder in reversed(checkpoints(root)):
        issue = problem(folder)
        if issue is None:
            return folder
        warnings.warn(f"skipping corrupt checkpoint {folder}: {issue}", stacklevel=2)
    return None


def prune(root: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints; returns what was removed."""
    folders = checkpoints(root)
    doomed = folders[:-keep] if keep > 0 else folders
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return doomed


def read_state(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / STATE
    return json.loads(path.read_text()) if path.is_file() else {}


class AtomicCheckpointMixin:
    """Mix into an HF ``Trainer`` subclass (before it in the bases). The subclass provides
    ``checkpoint_root`` (a Path), ``checkpoint_keep`` and ``reasonlab_state() -> dict``."""

    checkpoint_root: Path
    checkpoint_keep: int = 2
    _staging_dir: Path | None = None

    def reasonlab_state(self) -> dict[str, Any]:
        return {}

    def create_model_card(self, *args: Any, **kwargs: Any) -> None:
        """TRL writes a generic card at every checkpoint, naming a Hub base model that a model
        reasonlab built or imported does not have; final/ gets reasonlab's (model_card.py)."""

    def _get_output_dir(self, trial: Any) -> str:
        if self._staging_dir is not None:
            return str(self._staging_dir)
        return super()._get_output_dir(trial)  # type: ignore[misc]

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        root = Path(self.checkpoint_root)
        staging_root = root / STAGING
        step = self.state.global_step  # type: ignore[attr-defined]
        accelerator = self.accelerator  # type: ignore[attr-defined]
        if accelerator.is_main_process:
            shutil.rmtree(staging_root, ignore_errors=True)   # debris of an interrupted save
            staging_root.mkdir(parents=True, exist_ok=True)
        accelerator.wait_for_everyone()
        self._staging_dir = staging_root
        try:
            super()._save_checkpoint(model, trial)  # type: ignore[misc]
        finally:
            self._staging_dir = None
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            state = {"step": step, **self.reasonlab_state()}
            commit(staging_root / f"{PREFIX}{step}", root / f"{PREFIX}{step}", step=step,
                   state=state)
            shutil.rmtree(staging_root, ignore_errors=True)
            prune(root, self.checkpoint_keep)
        accelerator.wait_for_everyone()
