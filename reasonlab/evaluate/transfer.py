"""Transfer between two evaluations of the same suite: did training on some tasks help the others?

``transfer(base, trained, trained_tasks=[...])`` takes two run folders (or their summaries) and
returns, per task, the accuracy change trained − base with a 95% interval (Newcombe's hybrid
score interval for a difference of independent proportions, built from each run's ``ci95`` —
clustered over items when items have several samples), then the same for the in-domain
group (the tasks trained on; a domain name selects all its tasks) and the out-of-domain group
(every other task in both runs), and the transferability index

    TI = relative out-of-domain gain ÷ relative in-domain gain,
    relative gain = (trained − base) / base of the group's mean task accuracy,

which is undefined (null, with a note) when the in-domain relative gain is ~0 or a base accuracy
is 0. TI ≈ 1 means the trained skill carried over in full; 0, not at all; < 0, it hurt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasonlab.core.errors import InputError
from reasonlab.core.summary import Group, Summary, read_summary
from reasonlab.evaluate import metrics as M

MIN_IN_DOMAIN_GAIN = 1e-3   # |relative in-domain gain| below this leaves TI undefined


def _summary(source: str | Path | Summary) -> Summary:
    return source if isinstance(source, Summary) else read_summary(source)


def _group(names: list[str], base: dict[str, Group], trained: dict[str, Group]
           ) -> dict[str, Any]:
    usable = [n for n in names if base[n].accuracy is not None
              and trained[n].accuracy is not None]
    if not usable:
        return {"tasks": names, "base_accuracy": None, "trained_accuracy": None,
                "delta": None, "relative_gain": None}
    b = sum(base[n].accuracy for n in usable) / len(usable)
    t = sum(trained[n].accuracy for n in usable) / len(usable)
    return {"tasks": usable, "base_accuracy": b, "trained_accuracy": t, "delta": t - b,
            "relative_gain": M.relative_gain(b, t)}


def _difference_ci(base: Group, trained: Group) -> tuple[float, float] | None:
    """Newcombe's hybrid interval of trained − base from each run's own accuracy interval: the
    summary's ``ci95`` is clustered over items when an item has several samples, so the
    difference inherits that; a summary without ``ci95`` gets the plain Wilson interval."""
    sides = []
    for block in (base, trained):
        if not block.n or block.accuracy is None:
            return None
        correct = block.correct_count()
        ci = block.ci95 or M.wilson_interval(correct, block.n)
        sides.append((correct / block.n, ci))
    (p1, ci1), (p2, ci2) = sides
    return M.newcombe_difference(p1, ci1, p2, ci2)


def transfer(base: str | Path | Summary, trained: str | Path | Summary, *,
             trained_tasks: list[str]) -> dict[str, Any]:
    """See the module docstring; tasks present in only one run are listed under ``missing``.
    ``base`` and ``trained`` are summaries or run folders. The result is the JSON object of
    ``transfer.json`` (``core.summary.Transfer`` is its typed form inside a summary)."""
    base_s, trained_s = _summary(base), _summary(trained)
    bt, tt = base_s.tasks, trained_s.tasks
    common = [n for n in tt if n in bt]
    domains = {n: tt[n].domain for n in common}
    in_domain = [n for n in common if n in trained_tasks or domains[n] in trained_tasks]
    unknown = [n for n in trained_tasks if n not in common and n not in domains.values()]
    if unknown:
        raise InputError(f"trained task {unknown[0]!r} is in neither run's summary "
                         f"(tasks in both: {', '.join(common) or 'none'})",
                         field="--trained-tasks")
    per_task = {}
    for name in common:
        b, t = bt[name], tt[name]
        delta = (t.accuracy - b.accuracy
                 if t.accuracy is not None and b.accuracy is not None else None)
        ci = _difference_ci(b, t)
        per_task[name] = {"in_domain": name in in_domain, "domain": domains[name],
                          "base_accuracy": b.accuracy, "trained_accuracy": t.accuracy,
                          "delta": delta, "ci95": list(ci) if ci else None,
                          "n_base": b.n, "n_trained": t.n}
    inside = _group(in_domain, bt, tt)
    outside = _group([n for n in common if n not in in_domain], bt, tt)
    index, note = None, ""
    if not in_domain:
        note = "no trained task among the evaluated ones (give --trained-tasks)"
    elif not outside["tasks"]:
        note = "no out-of-domain task evaluated"
    elif inside["relative_gain"] is None or outside["relative_gain"] is None:
        note = "a base accuracy is 0, so a relative gain is undefined"
    elif abs(inside["relative_gain"]) < MIN_IN_DOMAIN_GAIN:
        note = "the in-domain relative gain is ~0: nothing learned to transfer"
    else:
        index = M.transferability_index(inside["base_accuracy"], inside["trained_accuracy"],
                                        outside["base_accuracy"], outside["trained_accuracy"],
                                        MIN_IN_DOMAIN_GAIN)
    return {
        "base": base_s.model.get("name"),
        "trained": trained_s.model.get("name"),
        "trained_tasks": list(trained_tasks),
        "tasks": per_task,
        "in_domain": inside, "out_of_domain": outside,
        "transferability_index": index, "transferability_note": note,
        "missing": sorted(set(bt) ^ set(tt)),
    }
