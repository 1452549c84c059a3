"""``reasonlab demo``: the whole pipeline on a laptop CPU, from nothing.

1. build a tiny model (``init:tiny``) and warm-start it with SFT on teacher traces (``sft-tiny``);
2. evaluate it (``base``) on the trained family at its trained and harder difficulties and on
   held-out families;
3. RL-train it with verifier rewards and the curriculum (``rl-tiny``);
4. evaluate again (``rl``), then compute the transfer between the two runs.

Every stage resumes: rerunning the same command continues an interrupted demo. The demo's eval
suite is written to ``OUT/suite.yaml`` and named in both recipes, so its items are held out of
training. Step counts are what fits a few minutes on 2 cores; the numbers printed at the end
are measured, whatever they turn out to be.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

TRAINED_TASKS = ["addition"]
HELD_OUT_TASKS = ["multiplication", "counting", "sorting"]

# (sft steps, rl steps, eval items per task x difficulty)
SIZES = {"default": (300, 40, 24), "fast": (80, 8, 8)}


def demo_suite(items: int, seed: int) -> dict[str, Any]:
    """Trained family at its SFT levels and beyond; held-out families at their easiest levels."""
    return {
        "name": "demo",
        "description": "reasonlab demo: trained family in and beyond its levels, held-out ones",
        "seed": 1000 + seed, "items": items, "samples": 1, "max_tokens": 256,
        "template": "default", "confidence": False,
        "tasks": [{"task": "addition", "difficulties": [1, 2, 3, 4, 5]}]
        + [{"task": name, "difficulties": [1, 2]} for name in HELD_OUT_TASKS],
    }


def _stage(number: int, title: str) -> float:
    print(f"\n== [{number}/5] {title}", flush=True)
    return time.perf_counter()


def _done(start: float) -> None:
    print(f"   done in {time.perf_counter() - start:.0f}s", flush=True)


def run_demo(out: str | Path = "runs/demo", fast: bool = False, seed: int = 0) -> int:
    from reasonlab.evaluate.runner import run_eval
    from reasonlab.evaluate.suite import load_suite
    from reasonlab.evaluate.transfer import transfer
    from reasonlab.train.config import load_recipe
    from reasonlab.train.rl import train_rl
    from reasonlab.train.sft import train_sft

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sft_steps, rl_steps, items = SIZES["fast" if fast else "default"]
    suite_file = out / "suite.yaml"
    suite_file.write_text(yaml.safe_dump(demo_suite(items, seed), sort_keys=False))
    suite = load_suite(str(suite_file))
    held_out = [f"seed={seed}", f"eval.suite={suite_file.resolve()}", "eval.every=0"]
    begin = time.perf_counter()

    start = _stage(1, f"SFT warm start of a tiny model on teacher traces ({sft_steps} steps)")
    sft_final = out / "sft" / "final"
    if not (sft_final / "config.json").is_file():
        recipe = load_recipe("sft-tiny", [*held_out, f"max_steps={sft_steps}"], kind="sft")
        # One pass over fresh items is enough; don't build (and tokenize) the recipe's full set.
        recipe.sft_items = min(recipe.sft_items,
                               sft_steps * int(recipe.trl.get("per_device_train_batch_size", 8)))
        train_sft(recipe, out / "sft", resume=True)
    _done(start)

    start = _stage(2, "evaluate the warm-started model (base)")
    base = run_eval(str(sft_final), suite, out / "base", batch_size=64)
    _done(start)

    start = _stage(3, f"RL (GRPO) with verifier rewards and a curriculum ({rl_steps} steps)")
    rl_final = out / "rl-train" / "final"
    if not (rl_final / "config.json").is_file():
        recipe = load_recipe("rl-tiny", [*held_out, f"model={sft_final.resolve()}",
                                         f"max_steps={rl_steps}"], kind="rl")
        train_rl(recipe, out / "rl-train", resume=True)
    _done(start)

    start = _stage(4, "evaluate the RL-trained model (rl)")
    rl = run_eval(str(rl_final), suite, out / "rl", batch_size=64)
    _done(start)

    start = _stage(5, "transfer between base and rl")
    moved = transfer(base, rl, trained_tasks=TRAINED_TASKS)
    demo = {"trained_tasks": TRAINED_TASKS, "held_out_tasks": HELD_OUT_TASKS, "seed": seed,
            "fast": fast, "steps": {"sft": sft_steps, "rl": rl_steps},
            "runs": {"base": str(out / "base"), "rl": str(out / "rl")},
            "transfer": moved, "wall_s": round(time.perf_counter() - begin, 1)}
    (out / "demo.json").write_text(json.dumps(demo, indent=2) + "\n")
    _done(start)
    print_table(base, rl)
    print(f"\nwrote {out}/demo.json, {out}/base/summary.json, {out}/rl/summary.json")
    return 0


def print_table(base: dict[str, Any], rl: dict[str, Any]) -> None:
    """Accuracy per task x difficulty, base vs rl, with 95% intervals."""
    print(f"\n{'task':<16}{'diff':>5}{'base':>18}{'rl':>18}{'change':>9}")
    for name, task in rl["tasks"].items():
        role = "trained" if name in TRAINED_TASKS else "held out"
        for level, cell in sorted(task["by_difficulty"].items(), key=lambda kv: int(kv[0])):
            before = base["tasks"].get(name, {}).get("by_difficulty", {}).get(level)
            if before is None:
                continue
            print(f"{name:<16}{level:>5}{_cell(before):>18}{_cell(cell):>18}"
                  f"{100 * (cell['accuracy'] - before['accuracy']):>+8.1f}  {role}")


def _cell(cell: dict[str, Any]) -> str:
    lo, hi = cell["ci95"]
    return f"{100 * cell['accuracy']:.0f}% [{100 * lo:.0f},{100 * hi:.0f}]"
