"""The README's "Results" table from demo folders: per seed, the RL-trained task's accuracy
and think rate base -> rl (95% intervals), the other groups' think rate and accuracy, and the
wall time; then the spread of the gain across seeds.

    python experiments/demo_table.py runs/demo runs/demo-seed1 runs/demo-seed2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from reasonlab.core.summary import Summary, TaskSummary, read_summary
from reasonlab.report.load import demo_run


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def interval(block: TaskSummary) -> str:
    lo, hi = block.ci95
    return f"{pct(block.accuracy)} [{100 * lo:.0f}, {100 * hi:.0f}]"


def group_cell(base: Summary, rl: Summary, names: list[str]) -> str:
    parts = []
    for name in names:
        b, r = base.tasks[name], rl.tasks[name]
        parts.append(f"{name}: think {b.think_rate:.2f} → {r.think_rate:.2f}, "
                     f"acc {100 * b.accuracy:.0f} → {100 * r.accuracy:.0f} %")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("demos", nargs="+", type=Path, help="demo folders (with demo.json)")
    args = parser.parse_args()
    print("| seed | wall | RL-trained: addition accuracy base → rl | think rate base → rl "
          "| SFT only | never trained |")
    print("|---|---|---|---|---|---|")
    points = []
    for folder in args.demos:
        demo = json.loads((folder / "demo.json").read_text())
        base = read_summary(demo_run(folder, demo, "base"))
        rl = read_summary(demo_run(folder, demo, "rl"))
        for name in demo["trained_tasks"]:
            g = demo["gain"][name]
            points.append(g["points"])
            minutes, seconds = divmod(round(demo["wall_s"]), 60)
            print(f"| {demo['seed']} | {minutes} min {seconds:02d} s | "
                  f"{interval(base.tasks[name])} → {interval(rl.tasks[name])} "
                  f"(**{g['points']:+.1f}** points, n = {g['n_rl']}) | "
                  f"{g['think_rate_base']:.2f} → {g['think_rate_rl']:.2f} | "
                  f"{group_cell(base, rl, demo['sft_only_tasks'])} | "
                  f"{group_cell(base, rl, demo['unseen_tasks'])} |")
    print(f"\nGain on the RL-trained task across {len(points)} runs: {min(points):+.1f} to "
          f"{max(points):+.1f} points (mean {sum(points) / len(points):+.1f}).")


if __name__ == "__main__":
    main()
