"""The demo's last measurements (issue 19): the reasoning boundary and the cost frontier.

- **Boundary**: ``skill``, ``base`` and ``rl`` sampled ``SAMPLES`` times per item at
  ``TEMPERATURE`` on the RL-trained task and one family RL never saw, each into its own run
  folder (``boundary-<run>/``, whose summary keeps its pass@k curve with intervals). The items are
  the first ones of the demo's own eval cells (the same seed, fewer items), so they are held out
  of training like the rest. Per task, pass@k against k with a bootstrap over items, and the
  crossover: the k where ``base`` reaches ``rl`` (or none).
- **Frontier**: ``rl`` again on the RL-trained task with its thinking capped at each of
  ``BUDGETS`` tokens (budget forcing, ``rl-budgets/budget-<B>/``), beside the three models: one
  point per model and budget on the report's cost frontier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasonlab.evaluate.boundary import crossover, item_counts, pass_at_k_curve

SAMPLES = 16
TEMPERATURE = 0.8          # the RL stage's own sampling temperature (rl-tiny)
BUDGETS = [8, 16, 32, 64]
BOUNDARY_RUNS = ("skill", "base", "rl")


def boundary_suite(suite_spec: dict[str, Any], trained: list[str], held_out: str,
                   items: int) -> dict[str, Any]:
    """The demo suite's first ``items`` items of each RL-trained cell and of ``held_out``'s
    cells, sampled ``SAMPLES`` times."""
    tasks = []
    for entry in suite_spec["tasks"]:
        if entry["task"] in trained or entry["task"] == held_out:
            tasks.append({**entry, "items": min(items, entry.get("items", suite_spec["items"]))})
    return {**suite_spec, "name": "demo-boundary", "samples": SAMPLES,
            "temperature": TEMPERATURE, "tasks": tasks}


def budget_suite(suite_spec: dict[str, Any], trained: list[str]) -> dict[str, Any]:
    """The demo suite's RL-trained cells, greedy, swept over ``BUDGETS``."""
    return {**suite_spec, "name": "demo-budgets", "thinking_budgets": list(BUDGETS),
            "tasks": [e for e in suite_spec["tasks"] if e["task"] in trained]}


def run_boundary(models: dict[str, Path], spec: dict[str, Any], out: Path,
                 evaluate) -> dict[str, Any]:
    """Sample each model on the boundary suite; the curves per run and task, the crossover
    per task, and the settings, as demo.json records them."""
    import yaml

    from reasonlab.evaluate.runfolder import SAMPLES as SAMPLE_FILE
    from reasonlab.evaluate.runfolder import read_samples
    from reasonlab.evaluate.suite import load_suite

    path = out / "boundary-suite.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    suite = load_suite(str(path))
    curves: dict[str, dict[str, Any]] = {}
    for run in BOUNDARY_RUNS:
        folder = out / f"boundary-{run}"
        evaluate(models[run], suite, folder)
        rows = read_samples(folder / SAMPLE_FILE)
        curves[run] = {task: pass_at_k_curve(item_counts([r for r in rows
                                                          if r["task"] == task]))
                       for task in dict.fromkeys(e.task for e in suite.tasks)}
    tasks = list(curves["rl"])
    return {"boundary": curves,
            "boundary_crossover": {t: crossover(curves["base"][t], curves["rl"][t])
                                   for t in tasks},
            "boundary_settings": {"samples": SAMPLES, "temperature": TEMPERATURE,
                                  "items": {e.task: e.items for e in suite.tasks},
                                  "runs": {run: f"boundary-{run}" for run in BOUNDARY_RUNS}}}


def run_budgets(rl_final: Path, spec: dict[str, Any], out: Path, evaluate) -> dict[str, str]:
    """``rl`` under each thinking budget; the frontier's runs (label -> folder)."""
    import yaml

    from reasonlab.evaluate.suite import load_suite

    path = out / "budgets-suite.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    evaluate(rl_final, load_suite(str(path)), out / "rl-budgets")
    return {f"rl@{b}": f"rl-budgets/budget-{b}" for b in BUDGETS}


def crossover_line(task: str, k: int | None, curves: dict[str, Any]) -> str:
    base, rl = curves["base"][task], curves["rl"][task]
    if not base["k"] or not rl["k"]:
        return f"{task}: no samples"
    head = (f"{task}: pass@1 base {100 * base['pass_at_k'][0]:.0f}% rl "
            f"{100 * rl['pass_at_k'][0]:.0f}%; pass@{rl['k'][-1]} base "
            f"{100 * base['pass_at_k'][-1]:.0f}% rl {100 * rl['pass_at_k'][-1]:.0f}%")
    if k is not None:
        return f"{head}; base overtakes rl at k = {k}"
    if rl["pass_at_k"][0] > base["pass_at_k"][0]:
        return f"{head}; no crossover: rl stays above base at every k"
    return f"{head}; no crossover (base is not below rl at k = 1)"
