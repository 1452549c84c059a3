"""The SQLite verdict cache: keys, round trips, and several processes writing at once."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from reasonlab.core.errors import InputError
from reasonlab.judges.cache import CachedVote, VerdictCache, cache_key

MESSAGES = [{"role": "user", "content": "Judge this."}]
SAMPLING = {"max_tokens": 512, "temperature": 0.0, "top_p": 1.0, "seed": None, "sample": 0}


def test_key_covers_model_template_messages_and_sampling():
    base = cache_key("m", "reference-v1", MESSAGES, SAMPLING)
    assert base == cache_key("m", "reference-v1", [dict(m) for m in MESSAGES], dict(SAMPLING))
    changed = [
        cache_key("other", "reference-v1", MESSAGES, SAMPLING),
        cache_key("m", "reference-v2", MESSAGES, SAMPLING),
        cache_key("m", "reference-v1", [{"role": "user", "content": "Judge this!"}], SAMPLING),
        cache_key("m", "reference-v1", MESSAGES, {**SAMPLING, "temperature": 0.7}),
        cache_key("m", "reference-v1", MESSAGES, {**SAMPLING, "sample": 1}),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_round_trip_and_wal(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = VerdictCache(path)
    cache.put("k1", "m", "reference-v1", CachedVote("yes"))
    cache.put("k2", "m", "reference-v1", CachedVote(None, "last line 'x' is not ..."))
    cache.close()
    again = VerdictCache(path)
    assert again.get("k1") == CachedVote("yes", "")
    assert again.get("k2") == CachedVote(None, "last line 'x' is not ...")
    assert again.get("nope") is None
    assert set(again.get_many(["k1", "k2", "k3"])) == {"k1", "k2"}
    assert len(again) == 2
    again.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {row[1] for row in conn.execute("PRAGMA table_info(verdicts)")}
    # Parsed verdicts only: no column for the judge's text.
    assert columns == {"key", "model", "template", "value", "reason", "created"}


def test_bad_cache_paths(tmp_path):
    with pytest.raises(InputError, match="folder"):
        VerdictCache(tmp_path)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="judge cache"):
        VerdictCache(junk)


def _writer(path: str, worker: int, count: int, errors) -> None:
    try:
        cache = VerdictCache(path)
        for i in range(count):
            cache.put(f"w{worker}-{i}", "m", "reference-v1", CachedVote("yes" if i % 2 else "no"))
            if i % 10 == 0:
                cache.get(f"w{(worker + 1) % 4}-{i}")     # readers interleave with writers
        cache.close()
    except Exception as exc:  # noqa: BLE001  (reported to the parent)
        errors.put(f"{type(exc).__name__}: {exc}")


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "shared.sqlite")       # created by the racing writers themselves
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    workers, count = 4, 150
    processes = [ctx.Process(target=_writer, args=(path, w, count, errors))
                 for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []                          # no "database is locked", nothing else
    cache = VerdictCache(path)
    assert len(cache) == workers * count
    assert cache.get("w3-149") == CachedVote("yes")
    assert cache.get("w0-0") == CachedVote("no")
    cache.close()
