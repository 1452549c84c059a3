"""``reasonlab demo``: the whole pipeline on a laptop CPU, from nothing, in minutes — and the
essay's claim at toy scale: a model that *can* reason but by habit does not is taught to think
by outcome RL on one task, and the habit spreads.

1. build a tiny model (``init:tiny``) and warm-start it with SFT (``sft-tiny-habit``) in two
   phases: a *skill* phase on full teacher traces of three families, then a *habit* phase on
   mostly ``direct`` answers (empty thinking), so greedy decoding answers without reasoning;
2. evaluate the model after each phase (``skill``, and ``base``: the model RL starts from);
3. RL-train it with verifier rewards and the curriculum on the trained task only (``rl-tiny``);
4. evaluate again (``rl``) on three groups: the RL-trained task; the families warm-started the
   same way but never RL-trained (does the habit transfer?); a family never trained at all;
5. the reasoning boundary — ``skill``, ``base`` and ``rl`` sampled 16 times per item, pass@k
   against k — and ``rl`` under thinking budgets, for the cost frontier
   (``demo_tradeoffs.py``; ``--no-boundary`` skips the sampling);
6. compute the transfer between base and rl, check the gain on each trained task, and write
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

from reasonlab import demo_tradeoffs as T
from reasonlab.core.summary import Cell, Summary, TaskSummary, summary_path

WARM_START, RL_RECIPE = "sft-tiny-habit", "rl-tiny"
TRAINED_TASKS = ["addition"]                # RL-trained
RL_LEVELS = (1, 2, 3)                       # the RL recipe's curriculum range (rl-tiny)
SFT_ONLY_TASKS = ["counting", "sorting"]    # warm-started the same way, never RL-trained
UNSEEN_TASKS = ["multiplication"]           # in neither: does the habit reach it?
HELD_OUT_TASKS = SFT_ONLY_TASKS + UNSEEN_TASKS
GROUPS = {"rl_trained": TRAINED_TASKS, "sft_only": SFT_ONLY_TASKS, "never_trained": UNSEEN_TASKS}
GROUP_LABELS = {"rl_trained": "RL-trained", "sft_only": "SFT only", "never_trained":
                "never trained"}
# As in the recipes: the trace ends "so the sum is N" (see AdditionConfig).
TASK_CONFIG = {"addition": {"restate": False}}
TARGET_POINTS = 15.0    # the gain the demo promises on each RL-trained task


@dataclass(frozen=True)
class Size:
    skill_steps: int      # SFT on full traces
    habit_steps: int      # SFT on mostly direct answers
    rl_steps: int
    items: int            # eval items per trained-task cell (held-out cells get half)
    boundary_items: int   # items per cell of the boundary's sampled evaluation


# The wall times these give on 2 cores are in README "Results".
SIZES = {"default": Size(skill_steps=800, habit_steps=120, rl_steps=40, items=80,
                         boundary_items=24),
         "fast": Size(skill_steps=300, habit_steps=60, rl_steps=16, items=24,
                      boundary_items=8)}
BOUNDARY_FAMILY = "counting"    # the family RL never saw that the boundary also samples
STAGES = 6


def demo_suite(size: Size, seed: int) -> dict[str, Any]:
    """The RL task at its RL levels; the other families at their easiest levels. The prompt
    template is ``raw`` because the tiny model is trained from scratch: an instruction it has
    never read would only cost tokens."""
    held = max(8, size.items // 2)
    return {
        "name": "demo",
        "description": "reasonlab demo: the RL-trained task, SFT-only families, a never-trained "
                       "family",
        "seed": 1000 + seed, "items": size.items, "samples": 1, "max_tokens": 256,
        "template": "raw", "confidence": False,
        "tasks": [{"task": name, "difficulties": list(RL_LEVELS),
                   "config": TASK_CONFIG.get(name, {})} for name in TRAINED_TASKS]
        + [{"task": name, "difficulties": [1, 2], "items": held} for name in SFT_ONLY_TASKS]
        + [{"task": name, "difficulties": [1], "items": held} for name in UNSEEN_TASKS],
    }


def warm_start_recipe(size: Size, seed: int, suite_file: Path):
    """``sft-tiny-habit`` with the demo's seed, phase lengths and held-out suite."""
    from reasonlab.train.config import load_recipe

    recipe = load_recipe(WARM_START, [f"seed={seed}", f"eval.suite={suite_file.resolve()}",
                                      "eval.every=0"], kind="sft")
    steps = {"skill": size.skill_steps, "habit": size.habit_steps}
    for phase in recipe.phases:
        phase.max_steps = steps.get(phase.name, phase.max_steps)
    return recipe


def _evaluate(model: Path, suite: Any, out: Path) -> Summary:
    """``run_eval`` that stops the demo, rather than report gains, when samples failed to
    generate: a rerun of the demo retries them (eval runs resume)."""
    from reasonlab.evaluate.runner import EvalIncomplete, run_eval

    summary = run_eval(str(model), suite, out, batch_size=64)
    if summary.generation_errors or not summary.complete:
        raise EvalIncomplete(f"{summary.generation_errors or 0} samples failed to generate "
                             f"in {out} (see 'error' in its samples.jsonl); rerun the demo to "
                             "retry them")
    return summary


def _stage(number: int, title: str, of: int = 5) -> float:
    print(f"\n== [{number}/{of}] {title}", flush=True)
    return time.perf_counter()


def _done(start: float, timings: dict[str, float], name: str) -> None:
    timings[name] = round(time.perf_counter() - start, 1)
    print(f"   done in {timings[name]:.0f}s", flush=True)


SETTINGS_FILE = "demo-settings.json"


def claim_folder(out: Path, settings: dict[str, Any]) -> None:
    """Start ``out`` for a demo with these settings, or continue it when it was started with
    the same ones. A folder started otherwise (another seed, --fast or not, another model) is
    refused, naming what differs: its finished stages would be skipped and the numbers mixed.
    Demo folders made before the settings were recorded are checked against their
    demo.json."""
    from reasonlab.core.errors import ConfigError, InputError

    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a demo folder; choose another --out", file=str(out),
                         field="--out")
    path = out / SETTINGS_FILE
    before: dict[str, Any] | None = None
    if path.is_file():
        before = json.loads(path.read_text())
    elif (out / "demo.json").is_file():
        recorded = json.loads((out / "demo.json").read_text())
        before = {key: recorded[key] for key in settings if key in recorded}
    if before is not None:
        differ = [f"{key} {before[key]!r} (now {settings[key]!r})" for key in settings
                  if key in before and before[key] != settings[key]]
        if differ:
            raise ConfigError(f"{out} holds a demo started with other settings: "
                              f"{'; '.join(differ)}; rerun with the same flags to continue "
                              "it, or choose a new --out", field="--out")
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n")


def run_demo(out: str | Path = "runs/demo", fast: bool = False, seed: int = 0,
             boundary: bool = True) -> int:
    from reasonlab.evaluate.suite import load_suite
    from reasonlab.evaluate.transfer import transfer
    from reasonlab.report import write_report
    from reasonlab.train.config import load_recipe
    from reasonlab.train.rl import train_rl
    from reasonlab.train.sft import phase_folder, phase_recipes, train_sft

    out = Path(out)
    size = SIZES["fast" if fast else "default"]
    suite_spec = demo_suite(size, seed)
    claim_folder(out, {"seed": seed, "fast": fast})
    suite_file = out / "suite.yaml"
    suite_file.write_text(yaml.safe_dump(suite_spec, sort_keys=False))
    suite = load_suite(str(suite_file))
    sft_recipe = warm_start_recipe(size, seed, suite_file)
    begin, timings = time.perf_counter(), {}

    phases = " then ".join(f"{p.name} {p.max_steps} steps {p.styles or sft_recipe.styles}"
                           for p in sft_recipe.phases)
    start = _stage(1, f"SFT warm start of a tiny model: {phases}", STAGES)
    sft_final = out / "sft" / "final"
    if not (sft_final / "config.json").is_file():
        train_sft(sft_recipe, out / "sft", resume=True, announce=False)
    _done(start, timings, "sft")

    start = _stage(2, "evaluate the warm start after each phase (skill, base)", STAGES)
    skill_final = phase_folder(out / "sft", sft_recipe.phases[0].name) / "final"
    skill = _evaluate(skill_final, suite, out / "skill")
    base = _evaluate(sft_final, suite, out / "base")
    _done(start, timings, "eval_warm_start")

    start = _stage(3, f"RL (GRPO) on {', '.join(TRAINED_TASKS)} with verifier rewards and a "
                      f"curriculum ({size.rl_steps} steps)", STAGES)
    rl_final = out / "rl-train" / "final"
    if not (rl_final / "config.json").is_file():
        recipe = load_recipe(RL_RECIPE, [f"seed={seed}", f"eval.suite={suite_file.resolve()}",
                                         "eval.every=0", f"model={sft_final.resolve()}",
                                         f"max_steps={size.rl_steps}"], kind="rl")
        train_rl(recipe, out / "rl-train", resume=True, announce=False)
    _done(start, timings, "rl")

    start = _stage(4, "evaluate the RL-trained model (rl)", STAGES)
    rl = _evaluate(rl_final, suite, out / "rl")
    _done(start, timings, "eval_rl")

    start = _stage(5, f"the reasoning boundary (pass@k, {T.SAMPLES} samples per item) and rl's "
                      f"thinking budgets {T.BUDGETS}" + ("" if boundary else
                                                        " (boundary skipped: --no-boundary)"),
                   STAGES)
    tradeoffs: dict[str, Any] = {}
    if boundary:
        models = {"skill": skill_final, "base": sft_final, "rl": rl_final}
        tradeoffs = T.run_boundary(models, T.boundary_suite(
            suite_spec, TRAINED_TASKS, BOUNDARY_FAMILY, size.boundary_items), out, _evaluate)
    budgets = T.run_budgets(rl_final, T.budget_suite(suite_spec, TRAINED_TASKS), out, _evaluate)
    tradeoffs["frontier"] = {"skill": "skill", "base": "base", "rl": "rl", **budgets}
    _done(start, timings, "boundary_budgets")

    start = _stage(6, "transfer, gain check and report", STAGES)
    runs = {"skill": skill, "base": base, "rl": rl}
    demo = {"groups": GROUPS, "group_labels": GROUP_LABELS,
            "trained_tasks": TRAINED_TASKS, "sft_only_tasks": SFT_ONLY_TASKS,
            "unseen_tasks": UNSEEN_TASKS, "held_out_tasks": HELD_OUT_TASKS,
            "rl_levels": list(RL_LEVELS), "seed": seed, "fast": fast,
            "steps": {"skill": size.skill_steps, "habit": size.habit_steps, "rl": size.rl_steps},
            "warm_start": {"recipe": WARM_START, "phases": [
                {"name": p.name, "steps": sub.max_steps, "styles": sub.styles,
                 "learning_rate": sub.trl.get("learning_rate"), "items": sub.sft_items}
                for p, (sub, _) in zip(sft_recipe.phases, phase_recipes(sft_recipe),
                                       strict=True)]},
            "rl_recipe": RL_RECIPE,
            "runs": {"skill": "skill", "base": "base", "rl": "rl", "sft_train": "sft",
                     "rl_train": "rl-train"},
            "gain": {name: gain(base.tasks[name], rl.tasks[name]) for name in TRAINED_TASKS},
            "think_rate": {name: {role: s.tasks[name].think_rate for role, s in runs.items()}
                           for name in rl.tasks},
            "transfer": transfer(base, rl, trained_tasks=TRAINED_TASKS),
            **tradeoffs, "report": "report.html"}
    (out / "demo.json").write_text(json.dumps(demo, indent=2) + "\n")
    write_report(out, out=out)
    _done(start, timings, "report")
    demo["stage_s"] = timings
    demo["wall_s"] = round(time.perf_counter() - begin, 1)
    (out / "demo.json").write_text(json.dumps(demo, indent=2) + "\n")

    print_table(runs)
    for name, g in demo["gain"].items():
        print(gain_line(name, g))
    for task, k in (demo.get("boundary_crossover") or {}).items():
        print("boundary, " + T.crossover_line(task, k, demo["boundary"]))
    print(f"\nwrote {out}/report.html, {out}/demo.json, {summary_path(out / 'base')}, "
          f"{summary_path(out / 'rl')} ({demo['wall_s']:.0f}s in all)")
    return 0


def gain(before: TaskSummary, after: TaskSummary) -> dict[str, Any]:
    """RL's gain on one task: points, both 95% intervals, whether they are disjoint, and
    whether it meets the demo's promise (``TARGET_POINTS`` with disjoint intervals). Points are
    null when either accuracy is undefined (no decided sample)."""
    defined = before.ci95 and after.ci95
    (b_lo, b_hi), (a_lo, a_hi) = (before.ci95, after.ci95) if defined else \
        ((None, None), (None, None))
    points = round(100 * (after.accuracy - before.accuracy), 1) if defined else None
    disjoint = bool(defined) and (a_lo > b_hi or b_lo > a_hi)
    return {"base": before.accuracy, "rl": after.accuracy, "points": points,
            "base_ci95": before.ci95, "rl_ci95": after.ci95,
            "n_base": before.n, "n_rl": after.n,
            "think_rate_base": before.think_rate, "think_rate_rl": after.think_rate,
            "intervals_disjoint": disjoint,
            "meets_target": disjoint and points >= TARGET_POINTS}


def gain_line(name: str, g: dict[str, Any]) -> str:
    if g["points"] is None:
        return f"RL on {name}: n/a (no decided sample in base or rl)"
    verdict = ("the 95% intervals do not overlap" if g["intervals_disjoint"]
               else "the 95% intervals overlap: not a reliable change at this size")
    target = (f"meets the demo's +{TARGET_POINTS:.0f}-point target" if g["meets_target"]
              else f"short of the demo's +{TARGET_POINTS:.0f}-point target")
    return (f"RL on {name}: {100 * g['base']:.1f}% -> {100 * g['rl']:.1f}% "
            f"({g['points']:+.1f} points on {g['n_rl']} items); {verdict}; {target}")


def print_table(runs: dict[str, Summary], groups: dict[str, list[str]] | None = None,
                labels: dict[str, str] | None = None) -> None:
    """Accuracy (95% intervals) and think rate per task x difficulty, for every evaluated
    model (skill -> base -> rl), grouped by what training each task saw."""
    groups, labels = groups or GROUPS, labels or GROUP_LABELS
    names = list(runs)
    rl = runs[names[-1]]
    print(f"\n{'group':<15}{'task':<16}{'diff':>4}" + "".join(f"{n:>17}" for n in names)
          + f"{'change':>8}   think rate " + " -> ".join(names))
    for group, tasks in groups.items():
        for name in tasks:
            for level in sorted(_cells(rl, name), key=int):
                cells = [_cells(r, name).get(level) for r in runs.values()]
                if any(c is None for c in cells):
                    continue
                last, prior = cells[-1].accuracy, cells[-2].accuracy
                change = "n/a" if last is None or prior is None else f"{100 * (last - prior):+.1f}"
                think = " -> ".join(_rate(c.think_rate) for c in cells)
                print(f"{labels[group]:<15}{name:<16}{level:>4}"
                      + "".join(f"{_cell(c):>17}" for c in cells) + f"{change:>8}   {think}")


def _cells(summary: Summary, task: str) -> dict[str, Cell]:
    block = summary.tasks.get(task)
    return block.by_difficulty if block is not None else {}


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _cell(cell: Cell) -> str:
    if cell.accuracy is None:
        return "n/a"
    lo, hi = cell.ci95
    return f"{100 * cell.accuracy:.0f}% [{100 * lo:.0f},{100 * hi:.0f}]"
