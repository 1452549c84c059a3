"""Run the benchmarks, print a table, write ``bench/results.json``.

Each module ``benchmarks/bench_<name>.py`` defines ``run(quick: bool) -> list[Result]``; the
baseline is measured in the same run, on the same machine, right beside reasonlab's figure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path

import benchmarks
from benchmarks.common import Result


def discover() -> list[str]:
    return sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules(benchmarks.__path__)
                  if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help=f"which to run (default all: {discover()})")
    parser.add_argument("--out", default="bench/results.json")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    args = parser.parse_args(argv)
    names = args.names or discover()
    unknown = sorted(set(names) - set(discover()))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; known: {discover()}")
    rows: list[Result] = []
    for name in names:
        print(f"# {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        module = importlib.import_module(f"benchmarks.bench_{name}")
        rows.extend(module.run(quick=args.quick))
        print(f"# {name} done in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    print_table(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([r.to_dict() for r in rows], indent=2) + "\n")
    print(f"\nwrote {out} ({platform.node()}, {platform.processor() or platform.machine()})")
    return 0 if all(r.meets for r in rows) else 1


def print_table(rows: list[Result]) -> None:
    header = ("name", "value", "unit", "baseline", "ratio", "target", "meets")
    table = [header] + [(r.name, f"{r.value:.4g}", r.unit, f"{r.baseline:.4g}",
                         f"{r.ratio:.3f}", r.target, "yes" if r.meets else "NO") for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
