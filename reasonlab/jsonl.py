"""Kept so that ``from reasonlab.jsonl import …`` goes on working; the module is
``reasonlab.core.jsonl``."""

from reasonlab.core.jsonl import (
    atomic_writer,
    decode_line,
    dumps,
    read_jsonl,
    read_text,
    write_jsonl,
    write_lines,
)

__all__ = ["atomic_writer", "decode_line", "dumps", "read_jsonl", "read_text", "write_jsonl",
           "write_lines"]
