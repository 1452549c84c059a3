"""The README's "Results" tables from demo folders: per seed, the RL-trained task's accuracy
and think rate base -> rl (95% intervals, distinct items), the other groups' think rate and
accuracy, and the wall time; then the spread of the gain across seeds.

    python experiments/demo_table.py runs/demo runs/demo-seed1 runs/demo-seed2
    python experiments/demo_table.py runs/demo-real runs/demo-real-seed1 runs/demo-real-seed2

A real-model demo (`reasonlab demo --model ...`) gets its own table: strict and flexible
accuracy of the trained task at each stage (pretrained, skill, base, rl) with think rates, and
the never-trained families before and after RL.
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


def wall(demo: dict) -> str:
    minutes, seconds = divmod(round(demo["wall_s"]), 60)
    return f"{minutes} min {seconds:02d} s"


def stage_cell(block: dict) -> str:
    """strict (flexible) accuracy and think rate of one task at one stage of a real-model demo."""
    lo, hi = block["strict_ci95"]
    flexible = "" if block["flexible"] == block["strict"] else f" (flex {pct(block['flexible'])})"
    return (f"{pct(block['strict'])} [{100 * lo:.0f}, {100 * hi:.0f}]{flexible}, "
            f"think {block['think_rate']:.2f}")


def near_cell(demo: dict) -> str:
    """The near families base → rl: a harder level of the trained task (its own suite) and the
    sibling tasks of the main suite."""
    parts = []
    near = demo.get("near", {})
    for name, g in near.get("gain", {}).items():
        s = g["strict"]
        parts.append(f"{name} level {near['levels'][name]}: {pct(s['base'])} → {pct(s['rl'])}"
                     f" ({'n/a' if s['points'] is None else format(s['points'], '+.1f')})")
    scores = demo["scores"]
    for name in demo.get("groups", {}).get("near", []):
        parts.append(f"{name}: {pct(scores['base'][name]['strict'])} → "
                     f"{pct(scores['rl'][name]['strict'])}")
    return "; ".join(parts) or "n/a"


def narrowing_cell(demo: dict) -> str:
    parts = []
    for name, n in demo.get("narrowing", {}).items():
        if n["points"] is None:
            parts.append(f"{name}: n/a")
        else:
            parts.append(f"level {n['level']}: skill {pct(n['skill'])} → rl {pct(n['rl'])} "
                         f"({n['points']:+.1f}, {'holds' if n['holds'] else 'narrowed'})")
    return "; ".join(parts) or "n/a"


def real_model_table(folders: list[Path]) -> None:
    print("| seed | wall | trained task | pretrained | skill (SFT, full traces) "
          "| base (after habit) | rl | rl − base | level 3: skill → rl "
          "| near: strict base → rl | far, never trained: strict base → rl |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    points = []
    for folder in folders:
        demo = json.loads((folder / "demo.json").read_text())
        scores = demo["scores"]
        for name in demo["trained_tasks"]:
            g = demo["gain"][name]["strict"]
            points.append(g["points"])
            mark = "**" if g["meets_target"] else ""
            others = "; ".join(
                f"{t}: {pct(scores['base'][t]['strict'])} → {pct(scores['rl'][t]['strict'])}"
                for t in demo["unseen_tasks"] if t not in demo.get("near_tasks", []))
            print(f"| {demo['seed']} | {wall(demo)} | {name} (n = {g['n_rl']}, "
                  f"{demo['gain'][name]['n_distinct']} distinct) | "
                  f"{stage_cell(scores['pretrained'][name])} | "
                  f"{stage_cell(scores['skill'][name])} | "
                  f"{stage_cell(scores['base'][name])} | {stage_cell(scores['rl'][name])} | "
                  f"{mark}{g['points']:+.1f}{mark} points, intervals "
                  f"{'disjoint' if g['intervals_disjoint'] else 'overlap'} | "
                  f"{narrowing_cell(demo)} | {near_cell(demo)} | {others} |")
    print(f"\nStrict gain on the trained task across {len(points)} runs: {min(points):+.1f} to "
          f"{max(points):+.1f} points.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("demos", nargs="+", type=Path, help="demo folders (with demo.json)")
    args = parser.parse_args()
    kinds = {json.loads((f / "demo.json").read_text()).get("kind", "tiny") for f in args.demos}
    if len(kinds) > 1:
        parser.error("give demo folders of one kind: tiny demos or real-model demos, not both")
    if kinds == {"real-model"}:
        real_model_table(args.demos)
        return
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
            distinct = rl.tasks[name].n_distinct
            print(f"| {demo['seed']} | {wall(demo)} | "
                  f"{interval(base.tasks[name])} → {interval(rl.tasks[name])} "
                  f"(**{g['points']:+.1f}** points, n = {g['n_rl']}, {distinct} distinct) | "
                  f"{g['think_rate_base']:.2f} → {g['think_rate_rl']:.2f} | "
                  f"{group_cell(base, rl, demo['sft_only_tasks'])} | "
                  f"{group_cell(base, rl, demo['unseen_tasks'])} |")
    print(f"\nGain on the RL-trained task across {len(points)} runs: {min(points):+.1f} to "
          f"{max(points):+.1f} points (mean {sum(points) / len(points):+.1f}).")


if __name__ == "__main__":
    main()
