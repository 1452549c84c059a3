"""``reasonlab demo``: the whole pipeline on a laptop CPU, from nothing, in minutes.

1. build a tiny model (``init:tiny``) and warm-start it with SFT on teacher traces of several
   families (``sft-tiny``), stopping early on purpose so that RL has headroom;
2. evaluate it (``base``) on the RL task at the levels RL trains and one beyond, and on
   held-out families (seen in SFT only, and never seen at all);
3. RL-train it with verifier rewards and the curriculum (``rl-tiny``);
4. evaluate again (``rl``);
5. compute the transfer between the two runs, check the gain on each trained task, and write
   ``report.html`` with its ``plots/``.

Every stage resumes: rerunning the same command continues an interrupted demo. The eval suite
is written to ``OUT/suite.yaml`` and named in both recipes, so its items are held out of
training. The numbers printed at the end are measured, whatever they turn out to be.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TRAINED_TASKS = ["addition"]
RL_LEVELS = (2, 3)          # the RL recipe's curriculum range (rl-tiny)
HARDER_LEVELS = (4,)        # beyond anything trained
SFT_ONLY_TASKS = ["counting", "sorting"]    # in the warm start, never in RL
UNSEEN_TASKS = ["multiplication"]           # in neither: what appears from nowhere (nothing)
HELD_OUT_TASKS = SFT_ONLY_TASKS + UNSEEN_TASKS
# As in the sft-tiny and rl-tiny recipes: the trace ends "so the sum is N" (see AdditionConfig).
TASK_CONFIG = {"addition": {"restate": False}}


@dataclass(frozen=True)
class Size:
    sft_steps: int
    rl_steps: int
    items: int            # eval items per trained-task cell (held-out cells get half)


# Measured on 2 cores: see README "Results" for the wall times these give.
SIZES = {"default": Size(sft_steps=800, rl_steps=100, items=80),
         "fast": Size(sft_steps=300, rl_steps=24, items=24)}


def demo_suite(size: Size, seed: int) -> dict[str, Any]:
    """The RL task at its RL levels and beyond; held-out families at their easiest levels. The
    prompt template is ``raw`` because the tiny model is trained from scratch: an instruction
    it has never read would only cost tokens."""
    held = max(8, size.items // 2)
    return {
        "name": "demo",
        "description": "reasonlab demo: the RL task at and beyond its levels, held-out families",
        "seed": 1000 + seed, "items": size.items, "samples": 1, "max_tokens": 256,
        "template": "raw", "confidence": False,
        "tasks": [{"task": name, "difficulties": [*RL_LEVELS, *HARDER_LEVELS],
                   "config": TASK_CONFIG.get(name, {})} for name in TRAINED_TASKS]
        + [{"task": name, "difficulties": [1, 2], "items": held} for name in SFT_ONLY_TASKS]
        + [{"task": name, "difficulties": [1], "items": held} for name in UNSEEN_TASKS],
    }


def _stage(number: int, title: str) -> float:
    print(f"\n== [{number}/5] {title}", flush=True)
    return time.perf_counter()


def _done(start: float, timings: dict[str, float], name: str) -> None:
    timings[name] = round(time.perf_counter() - start, 1)
    print(f"   done in {timings[name]:.0f}s", flush=True)


def run_demo(out: str | Path = "runs/demo", fast: bool = False, seed: int = 0) -> int:
    from reasonlab.evaluate.runner import run_eval
    from reasonlab.evaluate.suite import load_suite
    from reasonlab.evaluate.transfer import transfer
    from reasonlab.report import write_report
    from reasonlab.train.config import load_recipe
    from reasonlab.train.rl import train_rl
    from reasonlab.train.sft import train_sft

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    size = SIZES["fast" if fast else "default"]
    suite_file = out / "suite.yaml"
    suite_file.write_text(yaml.safe_dump(demo_suite(size, seed), sort_keys=False))
    suite = load_suite(str(suite_file))
    held_out = [f"seed={seed}", f"eval.suite={suite_file.resolve()}", "eval.every=0"]
    begin, timings = time.perf_counter(), {}

    start = _stage(1, f"SFT warm start of a tiny model on teacher traces ({size.sft_steps} "
                      "steps)")
    sft_final = out / "sft" / "final"
    if not (sft_final / "config.json").is_file():
        recipe = load_recipe("sft-tiny", [*held_out, f"max_steps={size.sft_steps}"], kind="sft")
        # One pass over fresh items; don't build (and tokenize) more than the steps use.
        recipe.sft_items = min(recipe.sft_items, size.sft_steps
                               * int(recipe.trl.get("per_device_train_batch_size", 8)))
        train_sft(recipe, out / "sft", resume=True)
    _done(start, timings, "sft")

    start = _stage(2, "evaluate the warm-started model (base)")
    base = run_eval(str(sft_final), suite, out / "base", batch_size=64)
    _done(start, timings, "eval_base")

    start = _stage(3, f"RL (GRPO) with verifier rewards and a curriculum ({size.rl_steps} "
                      "steps)")
    rl_final = out / "rl-train" / "final"
    if not (rl_final / "config.json").is_file():
        recipe = load_recipe("rl-tiny", [*held_out, f"model={sft_final.resolve()}",
                                         f"max_steps={size.rl_steps}"], kind="rl")
        train_rl(recipe, out / "rl-train", resume=True)
    _done(start, timings, "rl")

    start = _stage(4, "evaluate the RL-trained model (rl)")
    rl = run_eval(str(rl_final), suite, out / "rl", batch_size=64)
    _done(start, timings, "eval_rl")

    start = _stage(5, "transfer, gain check and report")
    moved = transfer(base, rl, trained_tasks=TRAINED_TASKS)
    gains = {name: gain(base["tasks"][name], rl["tasks"][name]) for name in TRAINED_TASKS}
    demo = {"trained_tasks": TRAINED_TASKS, "held_out_tasks": HELD_OUT_TASKS,
            "sft_only_tasks": SFT_ONLY_TASKS, "unseen_tasks": UNSEEN_TASKS,
            "rl_levels": list(RL_LEVELS), "harder_levels": list(HARDER_LEVELS),
            "seed": seed, "fast": fast,
            "steps": {"sft": size.sft_steps, "rl": size.rl_steps},
            "runs": {"base": "base", "rl": "rl", "sft_train": "sft", "rl_train": "rl-train"},
            "gain": gains, "transfer": moved, "report": "report.html"}
    (out / "demo.json").write_text(json.dumps(demo, indent=2) + "\n")
    write_report(out / "rl", baseline=out / "base", train=out / "rl-train", out=out,
                 trained_tasks=TRAINED_TASKS)
    _done(start, timings, "report")
    demo["stage_s"] = timings
    demo["wall_s"] = round(time.perf_counter() - begin, 1)
    (out / "demo.json").write_text(json.dumps(demo, indent=2) + "\n")

    print_table(base, rl)
    for name, g in gains.items():
        print(gain_line(name, g))
    print(f"\nwrote {out}/report.html, {out}/demo.json, {out}/base/summary.json, "
          f"{out}/rl/summary.json ({demo['wall_s']:.0f}s in all)")
    return 0


def gain(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """RL's gain on one task: points, both 95% intervals, and whether they are disjoint."""
    (b_lo, b_hi), (a_lo, a_hi) = before["ci95"], after["ci95"]
    return {"base": before["accuracy"], "rl": after["accuracy"],
            "points": round(100 * (after["accuracy"] - before["accuracy"]), 1),
            "base_ci95": [b_lo, b_hi], "rl_ci95": [a_lo, a_hi],
            "n_base": before["n"], "n_rl": after["n"],
            "intervals_disjoint": a_lo > b_hi or b_lo > a_hi}


def gain_line(name: str, g: dict[str, Any]) -> str:
    verdict = ("the 95% intervals do not overlap" if g["intervals_disjoint"]
               else "the 95% intervals overlap: not a reliable change at this size")
    return (f"RL on {name}: {100 * g['base']:.1f}% -> {100 * g['rl']:.1f}% "
            f"({g['points']:+.1f} points on {g['n_rl']} items); {verdict}")


def print_table(base: dict[str, Any], rl: dict[str, Any]) -> None:
    """Accuracy per task x difficulty, base vs rl, with 95% intervals."""
    print(f"\n{'task':<16}{'diff':>5}{'base':>18}{'rl':>18}{'change':>9}")
    for name, task in rl["tasks"].items():
        role = ("trained" if name in TRAINED_TASKS else
                "SFT only" if name in SFT_ONLY_TASKS else "never trained")
        for level, cell in sorted(task["by_difficulty"].items(), key=lambda kv: int(kv[0])):
            before = base["tasks"].get(name, {}).get("by_difficulty", {}).get(level)
            if before is None:
                continue
            print(f"{name:<16}{level:>5}{_cell(before):>18}{_cell(cell):>18}"
                  f"{100 * (cell['accuracy'] - before['accuracy']):>+8.1f}  {role}")


def _cell(cell: dict[str, Any]) -> str:
    lo, hi = cell["ci95"]
    return f"{100 * cell['accuracy']:.0f}% [{100 * lo:.0f},{100 * hi:.0f}]"
