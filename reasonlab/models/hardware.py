"""What the machine computes fast: whether a CPU does bfloat16 natively, and how big a model is
before loading it. Large models on such a CPU run in bf16 (generation in bf16 weights,
training under bf16 autocast); small ones stay in float32, where a second format only costs
casts (docs/training.md, "Speed", has the measurements)."""

from __future__ import annotations

import functools
import json
import struct
from pathlib import Path

# Models from this size up run in bf16 on a CPU with native bf16 (the demo's tiny model does not).
BF16_MIN_PARAMETERS = 20_000_000
_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
          "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True on an x86 CPU whose flags include AVX512-BF16 or AMX-BF16 (Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return any(flag in flags for flag in _BF16_FLAGS)
    return False


def checkpoint_parameters(folder: str | Path) -> int | None:
    """Parameters stored in a folder's safetensors files, read from their headers (no weights
    are loaded); None when the folder has none."""
    files = sorted(Path(folder).glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for path in files:
        with open(path, "rb") as handle:
            size = struct.unpack("<Q", handle.read(8))[0]
            header = json.loads(handle.read(size))
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            count = 1
            for dim in entry["shape"]:
                count *= dim
            total += count
    return total


def prefers_bf16(folder: str | Path) -> bool:
    """Whether a model in ``folder`` should run in bf16 on this CPU."""
    if not cpu_has_native_bf16():
        return False
    parameters = checkpoint_parameters(folder)
    return parameters is not None and parameters >= BF16_MIN_PARAMETERS
