"""Print what the training notes (docs/training.md) tabulate for an eval run folder: accuracy
and think rate per task x difficulty; with ``--split``, accuracy among the samples that thought
and among those that answered directly (for sampled runs, e.g. experiments/dev-sample.yaml).

    python experiments/probe.py RUN [RUN ...] [--split]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from reasonlab.core.summary import read_summary
from reasonlab.evaluate.summary import is_correct, is_decided, thinks


def cells(folder: Path) -> str:
    summary = read_summary(folder)
    out = []
    for task, block in summary.tasks.items():
        for level, cell in block.by_difficulty.items():
            acc = "n/a" if cell.accuracy is None else f"{100 * cell.accuracy:.0f}%"
            rate = "n/a" if cell.think_rate is None else f"{cell.think_rate:.2f}"
            out.append(f"{task} d{level} {acc} think {rate}")
        rho = block.spearman_tokens_difficulty
        if rho is not None:
            out.append(f"{task} rho(tokens, difficulty) {rho:.2f}")
    return "; ".join(out)


def split(folder: Path) -> str:
    rows = [json.loads(line) for line in (folder / "samples.jsonl").open()]
    out = []
    for level in sorted({r["difficulty"] for r in rows}):
        decided = [r for r in rows if r["difficulty"] == level and is_decided(r)]
        thought = [r for r in decided if thinks(r)]
        direct = [r for r in decided if not thinks(r)]
        out.append(f"d{level}: think {len(thought) / max(1, len(decided)):.2f}, correct when "
                   f"thinking {sum(map(is_correct, thought))}/{len(thought)}, when direct "
                   f"{sum(map(is_correct, direct))}/{len(direct)}")
    return "; ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="eval run folders")
    parser.add_argument("--split", action="store_true",
                        help="accuracy among thinking vs direct samples, per difficulty")
    args = parser.parse_args()
    for run in args.runs:
        print(f"{run}: {split(run) if args.split else cells(run)}")


if __name__ == "__main__":
    main()
