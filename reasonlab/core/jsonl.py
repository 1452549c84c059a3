"""JSONL reading with located errors, and writing that never leaves half a file behind."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from reasonlab.core.errors import InputError


def read_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; bad lines raise ``InputError``.
    Lines are decoded one by one, so bytes that are not UTF-8 (a binary file, a Latin-1 export)
    are reported with their line instead of escaping as a ``UnicodeDecodeError``."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=str(path)) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            line = decode_line(raw, path, number)
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON ({exc.msg} at column {exc.colno})",
                                 file=str(path), line=number) from None
            if not isinstance(obj, dict):
                raise InputError(f"expected a JSON object, got {type(obj).__name__}",
                                 file=str(path), line=number)
            yield number, obj


def decode_line(raw: bytes, path: str | os.PathLike, number: int) -> str:
    """One line of a text file as UTF-8, or an ``InputError`` naming the file and line."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                         f"{exc.start + 1}); is this a binary file?", file=str(path),
                         line=number) from None


def read_text(path: str | os.PathLike, field: str | None = None) -> str:
    """A whole text file as UTF-8; unreadable or undecodable input is an ``InputError`` naming
    the file and, for bad bytes, their line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path), field=field) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); "
                         "is this a binary file?", file=str(path), line=line,
                         field=field) from None


def dumps(obj: Any) -> str:
    """One JSONL line (no trailing newline); keeps non-ASCII text readable."""
    return json.dumps(obj, ensure_ascii=False)


@contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[IO[str]]:
    """Write to a temporary file beside ``path`` and rename it into place only on success, so
    an error or interrupt midway leaves any previous file untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600; the result is an ordinary output file, readable as the
        # umask allows (0644 by default) — or keeping the mode of the file it replaces.
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    """The process umask, read without changing it where Linux reports it: setting it, even for
    an instant, races other threads creating files (a trainer's checkpoint save)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0)     # elsewhere, the only way to read it; set straight back
    os.umask(umask)
    return umask


def _mode_for(path: Path) -> int:
    """A replaced file keeps the mode its owner gave it; a new one gets what a plain
    ``open(path, "w")`` would (0644 under the usual umask 022), not mkstemp's 0600."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict[str, Any]]) -> int:
    """Atomically write ``rows`` as JSONL; returns how many were written."""
    count = 0
    with atomic_writer(path) as handle:
        for row in rows:
            handle.write(dumps(row) + "\n")
            count += 1
    return count


def write_lines(out: str | os.PathLike | None, lines: list[str]) -> None:
    """Finished JSONL lines to ``out`` atomically (nothing half-written), or to stdout."""
    if out:
        with atomic_writer(out) as handle:
            handle.writelines(lines)
    else:
        sys.stdout.writelines(lines)
        sys.stdout.flush()
