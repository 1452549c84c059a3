"""File adapter: the rows of a JSONL, Parquet or CSV file, or of a local HF-datasets folder, as
items of a task ``file:<path>``.

Question and answer columns are configurable. Answers are read in one of three formats:
``plain`` (the cell is the answer), ``gsm8k`` (reasoning, then ``#### 1,234``: the answer is the
number without separators and the reasoning becomes the teacher trace) and ``math`` (a solution
whose last ``\\boxed{…}`` holds the answer; checked by the ``math`` verifier). ``auto`` picks by
looking at the answers. Item *i* for seed 0 is row *i* (of the rows at that difficulty); any other
seed is a fixed shuffle of them, so a seed names an order and never changes what a row says.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.core.item import Item
from reasonlab.core.spec import build, locator
from reasonlab.tasks.base import Task, teacher_completion
from reasonlab.tasks.registry import Prefix, register_prefix

FORMATS = ("auto", "plain", "gsm8k", "math")
VERSION = 1

_GSM8K_FINAL = re.compile(r"(?:^|\n)\s*####\s*(.+?)\s*$", re.DOTALL)
_CALCULATOR = re.compile(r"<<[^<>]*>>")  # GSM8K's calculator annotations: "<<48/2=24>>"
_FIRST_INT = re.compile(r"-?\d+")


@dataclass
class Row:
    """One record, and where it is (for error messages): a line for text files, else a row."""

    values: dict[str, Any]
    line: int | None
    row: int


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # NaN from pandas


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") and callable(value.item) else value


def read_rows(path: Path, split: str | None = None) -> list[Row]:
    """Rows of a file or folder; formats by suffix (``.jsonl``/``.json``, ``.parquet``,
    ``.csv``), folders by ``datasets.load_from_disk`` or as all their parquet/jsonl files."""
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    if path.is_dir():
        return _read_folder(path, split)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        from reasonlab.core.jsonl import read_jsonl

        return [Row(obj, number, i) for i, (number, obj) in enumerate(read_jsonl(path))]
    if suffix == ".csv":
        import pandas as pd

        from reasonlab.core.jsonl import read_text

        read_text(path)   # bad bytes are reported with their line, not as pandas' error
        try:
            # Text as text: "007" and "1,234" stay as written; empty cells are missing.
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        except (ValueError, OSError) as exc:
            raise InputError(f"cannot read CSV: {exc}", file=str(path)) from None
        return [Row(rec, i + 2, i) for i, rec in enumerate(frame.to_dict("records"))]
    if suffix == ".parquet":
        return _records(_read_parquet(path))
    raise InputError(f"unknown file type {suffix or '(none)'!r}; use .jsonl, .parquet, .csv or a "
                     "datasets folder", file=str(path))


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except Exception as exc:  # noqa: BLE001  (pyarrow raises many kinds for a bad file)
        raise InputError(f"cannot read Parquet: {exc}", file=str(path)) from None


def _records(records: list[dict[str, Any]]) -> list[Row]:
    return [Row({k: _plain(v) for k, v in rec.items()}, None, i) for i, rec in enumerate(records)]


def _read_folder(path: Path, split: str | None) -> list[Row]:
    if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists():
        import datasets

        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            splits = list(loaded)
            chosen = split or ("test" if "test" in splits else splits[0] if len(splits) == 1
                               else None)
            if chosen not in loaded:
                raise ConfigError(f"choose a split with split=…; this folder has "
                                  f"{', '.join(splits)}", field="split")
            loaded = loaded[chosen]
        return _records(loaded.to_list())
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".parquet", ".jsonl"))
    if not files:
        raise InputError("folder has no datasets files (dataset_info.json), .parquet or .jsonl",
                         file=str(path))
    rows: list[Row] = []
    for file in files:
        for row in read_rows(file):
            rows.append(Row(row.values, row.line, len(rows)))
    return rows


def gsm8k_answer(text: str) -> tuple[str, str] | None:
    """(reasoning, final answer) of a GSM8K answer cell, or None without a ``####`` line."""
    match = _GSM8K_FINAL.search(text)
    if not match:
        return None
    final = match.group(1).strip().replace(",", "").removeprefix("$").strip()
    reasoning = _CALCULATOR.sub("", text[:match.start()]).strip()
    return reasoning, final


def parse_difficulty(value: Any) -> int | None:
    """MATH's ``"Level 3"`` → 3; an int stays; anything without a number (``"Level ?"``) → None."""
    if isinstance(value, bool) or _missing(value):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    match = _FIRST_INT.search(str(value))
    return int(match.group()) if match else None


@dataclass
class FileSettings:
    """The settings a ``file:`` task takes (a suite entry's ``config``, ``--set``): read by
    ``core.spec``, so a misspelt column setting is refused rather than ignored."""

    question: str = "question"    # column of the prompt
    answer: str = "answer"        # column of the reference answer
    id: str | None = None         # column of a stable id (default: the row number)
    format: str = "auto"          # auto | plain | gsm8k | math
    verifier: str | None = None   # default: by format (exact, or math)
    domain: str | None = None
    name: str | None = None       # the task's name in summaries (default: file:PATH)
    difficulty: str | None = None   # column of an integer difficulty
    split: str | None = None      # a HF-datasets folder's split
    lenient: bool = False         # lenient answer extraction for every item


class FileTask(Task):
    """Rows of a local file as items; see the module docstring for formats and seeds."""

    def __init__(self, path: str | Path, **settings: Any):
        s = build(FileSettings, settings, locator(None),
                  unknown="file: tasks have no setting {key!r}; known: {known}")
        if s.format not in FORMATS:
            raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {s.format!r}",
                              field="format")
        self.path = Path(path).expanduser()
        self.columns = {"question": s.question, "answer": s.answer, "id": s.id,
                        "difficulty": s.difficulty}
        self.name = s.name or f"file:{path}"
        self.lenient = s.lenient
        rows = read_rows(self.path, s.split)
        if not rows:
            raise InputError("has no rows", file=str(self.path))
        self.format = s.format if s.format != "auto" else self._detect(rows)
        self.domain = s.domain or ("math" if self.format in ("gsm8k", "math") else "general")
        self.verifier = s.verifier
        self.items_by_row = [self._item(row) for row in rows]
        self._check_ids()
        self.by_difficulty: dict[int, list[int]] = {}
        for i, item in enumerate(self.items_by_row):
            self.by_difficulty.setdefault(item.difficulty, []).append(i)
        self.min_difficulty, self.max_difficulty = min(self.by_difficulty), max(self.by_difficulty)
        self.description = f"{len(rows)} rows of {self.path.name} ({self.format})"

    def _detect(self, rows: list[Row]) -> str:
        sample = [str(r.values.get(self.columns["answer"], "")) for r in rows[:50]]
        if any(gsm8k_answer(s) for s in sample):
            return "gsm8k"
        if any("\\boxed" in s or "\\fbox" in s for s in sample):
            return "math"
        return "plain"

    def _cell(self, row: Row, role: str, required: bool = True) -> Any:
        column = self.columns[role]
        value = row.values.get(column) if column else None
        if _missing(value) and required:
            where = "" if row.line is not None else f"row {row.row}: "
            known = ", ".join(map(str, row.values)) or "none"
            raise InputError(f"{where}no {role} in column {column!r} (columns: {known}); set "
                             f"{role}=<column>", file=str(self.path), line=row.line, field=column)
        return value

    def _item(self, row: Row) -> Item:
        from reasonlab.core.answer import last_boxed, parse_number

        prompt = str(self._cell(row, "question"))
        raw = str(self._cell(row, "answer")).strip()
        meta: dict[str, Any] = {"file": str(self.path), "row": row.row, "format": self.format,
                                "version": VERSION}
        teacher = None
        verifier = self.verifier
        if self.format == "gsm8k":
            parsed = gsm8k_answer(raw)
            if parsed is None:
                raise self._bad(row, "has no '#### <answer>' line (GSM8K format)")
            reasoning, answer = parsed
            teacher = teacher_completion([reasoning] if reasoning else [], answer)
            verifier = verifier or ("numeric" if parse_number(answer) is not None else "exact")
        elif self.format == "math":
            boxed = last_boxed(raw)
            if boxed is None or not boxed.strip():
                raise self._bad(row, "has no \\boxed{…} answer (MATH format)")
            answer = boxed.strip()
            meta["source"] = "math"
            teacher = f"<think>\n{raw}\n</think>\n<answer>{answer}</answer>"
            verifier = verifier or "math"
        else:
            answer = raw
            verifier = verifier or ("numeric" if parse_number(answer) is not None else "exact")
        level = None
        if self.columns["difficulty"]:
            cell = self._cell(row, "difficulty")
            level = parse_difficulty(cell)
            meta["difficulty_raw"] = cell
        if self.lenient:
            meta["verify"] = {"lenient": True}
        ident = self._cell(row, "id") if self.columns["id"] else None
        item_id = str(ident) if ident is not None else f"{self.path.stem}-{row.row:06d}"
        return Item(id=item_id, task=self.name, domain=self.domain,
                    difficulty=level if level is not None and level >= 1 else 1,
                    prompt=prompt, answer=answer, verifier=verifier, meta=meta, teacher=teacher)

    def _bad(self, row: Row, message: str) -> InputError:
        where = "" if row.line is not None else f"row {row.row}: "
        column = self.columns["answer"]
        return InputError(f"{where}answer {message}", file=str(self.path), line=row.line,
                          field=column)

    def _check_ids(self) -> None:
        seen: dict[str, int] = {}
        for i, item in enumerate(self.items_by_row):
            if item.id in seen:
                raise InputError(f"duplicate id {item.id!r} in rows {seen[item.id]} and {i}",
                                 file=str(self.path), field=self.columns["id"] or "id")
            seen[item.id] = i

    def __len__(self) -> int:
        return len(self.items_by_row)

    def rows_at(self, difficulty: int, seed: int = 0) -> list[int]:
        """Row numbers at ``difficulty`` in the order seed ``seed`` gives them."""
        self.check_difficulty(difficulty)
        rows = list(self.by_difficulty.get(difficulty, []))
        if seed:
            random.Random(f"{self.path}|{difficulty}|{seed}").shuffle(rows)
        return rows

    def item(self, index: int, difficulty: int = 1, seed: int = 0) -> Item:
        rows = self.rows_at(difficulty, seed)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(rows):
            raise ConfigError(f"{self.name} has {len(rows)} rows at difficulty {difficulty}; "
                              f"index {index!r} is out of range", field="index")
        base = self.items_by_row[rows[index]]
        # A copy: callers may edit items (drop the teacher, …) without touching the table.
        return Item.from_dict({**base.to_dict(), "meta": {**base.meta, "seed": seed,
                                                          "index": index}})

    def versions(self) -> dict[str, Any]:
        return {"task": self.name, "version": VERSION, "format": self.format,
                "rows": len(self.items_by_row), "columns": self.columns}


register_prefix("file", Prefix(make=lambda path, **config: FileTask(path, **config),
                               names=lambda: []))
