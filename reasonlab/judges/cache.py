"""A SQLite cache of parsed judge verdicts, safe with several processes writing at once.

Keyed by the judge model, the template version, the exact messages and the sampling parameters
(sample index and seed included), so a changed prompt, template or temperature misses. Only the
parsed verdict is stored (value or unparsable reason), never the judge's text, and never a
failure: an ``error`` is retried on the next run instead of being remembered.

Concurrency: WAL mode (readers never block writers), a long busy timeout, autocommit so every
write is one short transaction, and writes that start as write transactions (an upgrade from a
read transaction under WAL fails at once with "database is locked" instead of waiting).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonlab.core.errors import InputError

_SCHEMA = """CREATE TABLE IF NOT EXISTS verdicts (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    template TEXT NOT NULL,
    value TEXT,
    reason TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
)"""


def cache_key(model: str, template: str, messages: list[dict[str, str]],
              sampling: dict[str, Any]) -> str:
    """A stable digest of everything that decides the judge's answer."""
    blob = json.dumps({"model": model, "template": template, "messages": messages,
                       "sampling": sampling}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class CachedVote:
    """A parsed verdict: ``value`` (e.g. ``yes``), or None with ``reason`` when unparsable."""

    value: str | None
    reason: str = ""


class VerdictCache:
    """One connection shared by the threads of a process (guarded by a lock); other processes
    open their own. ``timeout`` is how long a write waits for another writer."""

    def __init__(self, path: str | Path, timeout: float = 60.0):
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError("is a folder; give a file for the judge cache", file=str(path),
                             field="cache")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._retry(lambda: self._conn.execute("PRAGMA journal_mode = WAL"))
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._retry(lambda: self._conn.execute(_SCHEMA))
        except sqlite3.DatabaseError as exc:
            raise InputError(f"cannot use as a judge cache: {exc}", file=str(path),
                             field="cache") from None

    def _retry(self, action, attempts: int = 50):
        # Switching to WAL takes an exclusive lock for which SQLite does not always call its busy
        # handler; several processes opening a fresh cache at once can meet that.
        for attempt in range(attempts):
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if attempt == attempts - 1:
                    raise
                time.sleep(0.05 * (1 + attempt % 5))
        return None

    def get(self, key: str) -> CachedVote | None:
        with self._lock:
            row = self._conn.execute("SELECT value, reason FROM verdicts WHERE key = ?",
                                     (key,)).fetchone()
        return None if row is None else CachedVote(row[0], row[1])

    def get_many(self, keys: list[str]) -> dict[str, CachedVote]:
        found: dict[str, CachedVote] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, value, reason in self._conn.execute(
                        f"SELECT key, value, reason FROM verdicts WHERE key IN ({marks})", chunk):
                    found[key] = CachedVote(value, reason)
        return found

    def put(self, key: str, model: str, template: str, vote: CachedVote) -> None:
        with self._lock:
            self._retry(lambda: self._conn.execute(
                "INSERT OR REPLACE INTO verdicts (key, model, template, value, reason, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key, model, template, vote.value, vote.reason, time.time())))

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
