"""Where the column-addition traces of an eval run go wrong (docs/training.md, "RL on a
pretrained model"): per addition level, how many traces there are, how many columns they write,
how many hold a column whose sum is wrong (`col 2: 3+3+1=8`), how many state a final sum that
is not the digits they wrote (`write 1 … write 8 … write 8`, then `so the sum is 811`; the last
column's carry counts whether or not a `final carry` line restates it), and how many leave that
line out.

    python experiments/trace_errors.py runs/demo-real-v3-seed0/skill runs/demo-real-v3-seed0/rl
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

COLUMN = re.compile(r"col \d+: ([\d+]+)=(\d+), write (\d), carry (\d)")
FINAL_CARRY = re.compile(r"final carry (\d)")
SUM = re.compile(r"so the sum is (\d+)")


def check(completion: str) -> dict[str, bool | int]:
    """What one trace does: its columns, a wrong column sum, a final sum off its own digits."""
    columns = COLUMN.findall(completion)
    wrong_sum = any(sum(int(x) for x in terms.split("+")) != int(total)
                    for terms, total, _, _ in columns)
    digits = "".join(write for _, _, write, _ in reversed(columns))
    carry = FINAL_CARRY.search(completion)
    # The last column's carry counts whether or not a `final carry` line restates it.
    last = carry.group(1) if carry else (columns[-1][3] if columns else "0")
    if last != "0":
        digits = last + digits
    stated = SUM.search(completion)
    off_digits = bool(columns) and (stated is None or stated.group(1) != (digits.lstrip("0")
                                                                          or "0"))
    return {"columns": len(columns), "wrong_column_sum": wrong_sum, "sum_off_digits": off_digits,
            "no_final_carry_line": bool(columns) and carry is None}


def report(run: Path) -> None:
    rows = [json.loads(line) for line in (run / "samples.jsonl").open()]
    levels = sorted({r["difficulty"] for r in rows if r["task"] == "addition"})
    for level in levels:
        mine = [r for r in rows if r["task"] == "addition" and r["difficulty"] == level]
        checks = [check(r["completion"]) for r in mine]
        right = sum(r["verdict"]["status"] == "correct" for r in mine)
        columns = Counter(c["columns"] for c in checks)
        print(f"{run}  level {level}: {len(mine)} traces, {right} right; columns written "
              f"{dict(sorted(columns.items()))}; a wrong column sum in "
              f"{sum(c['wrong_column_sum'] for c in checks)}; a final sum off the digits "
              f"written in {sum(c['sum_off_digits'] for c in checks)}; no `final carry` line in "
              f"{sum(c['no_final_carry_line'] for c in checks)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="eval run folders (samples.jsonl)")
    for run in parser.parse_args().runs:
        report(run)


if __name__ == "__main__":
    main()
