"""Cross-field checks of a recipe's reasoning styles and phases (SFT) and its rewards (RL),
called by ``config.validate``; each error names the field and says how to fix it."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from reasonlab.train.reward_spec import check_components

if TYPE_CHECKING:
    from reasonlab.train.recipe import Recipe

_PHASE_NAME = re.compile(r"[A-Za-z0-9_-]+")
# Settings reasonlab owns: TRL must not get a second, conflicting value for them (the field to
# use instead).
OWNED_TRL_KEYS = {
    "output_dir": "--out", "max_steps": "max_steps", "seed": "seed", "data_seed": "seed",
    "save_steps": "checkpoint.every", "save_strategy": "checkpoint.every",
    "save_total_limit": "checkpoint.keep", "resume_from_checkpoint": "--resume",
    "reward_weights": "rewards", "shuffle_dataset": "(fixed: reasonlab orders the data)",
}


def check_confidence_from(recipe: Recipe) -> None:
    """``confidence_from`` maps styles of an SFT recipe that asks for a confidence to eval run
    folders with a summary; read now, so a bad path fails before any run folder exists."""
    from reasonlab.core.errors import InputError
    from reasonlab.core.summary import read_summary

    if not recipe.confidence_from:
        return
    fail = recipe.fail
    if recipe.kind != "sft" or not recipe.prompt.confidence:
        raise fail("confidence_from", "sets the confidence an SFT teacher states: it needs "
                                      "kind: sft and prompt.confidence: true")
    used = {s for mix in [recipe.styles, *(p.styles for p in recipe.phases if p.styles)]
            for s, weight in (mix or {}).items() if weight > 0}
    for style, folder in recipe.confidence_from.items():
        if style not in used:
            # A style no phase trains would leave the teachers that are trained stating 100 %.
            raise fail(f"confidence_from.{style}", f"no phase trains style {style!r}; the "
                       f"recipe trains {', '.join(sorted(used))}")
        if not isinstance(folder, str):
            raise fail(f"confidence_from.{style}", "must be an eval run folder (a path)")
        try:
            read_summary(folder)
        except InputError as exc:
            raise fail(f"confidence_from.{style}", str(exc)) from None


def check_styles(recipe: Recipe) -> None:
    """Style mixes and phases are SFT's; every task must know every style with weight > 0."""
    from reasonlab.tasks import get_task

    fail = recipe.fail
    if recipe.kind != "sft":
        if recipe.phases or recipe.styles != {"full": 1.0}:
            raise fail("phases" if recipe.phases else "styles",
                       f"reasoning styles and phases shape an SFT warm start; a "
                       f"{recipe.kind!r} recipe does not take them (remove the field)")
        return
    tasks = {s.name: get_task(s.name, **s.config) for s in recipe.tasks}
    mixes = [("styles", recipe.styles)]
    names: set[str] = set()
    for i, phase in enumerate(recipe.phases):
        where = f"phases[{i}]"
        if phase.name in names or not _PHASE_NAME.fullmatch(phase.name):
            raise fail(f"{where}.name", f"needs a unique name of letters, digits, '_' and '-' "
                                        f"(it names a folder), got {phase.name!r}")
        names.add(phase.name)
        if phase.max_steps < 1:
            raise fail(f"{where}.max_steps", f"must be at least 1, got {phase.max_steps}")
        if phase.sft_items is not None and phase.sft_items < 1:
            raise fail(f"{where}.sft_items", f"must be at least 1, got {phase.sft_items}")
        for key in phase.trl:
            if key in OWNED_TRL_KEYS:
                raise fail(f"{where}.trl.{key}", f"is set by reasonlab; use "
                           f"{OWNED_TRL_KEYS[key]} (or the phase's own field) instead")
        if phase.styles is not None:
            mixes.append((f"{where}.styles", phase.styles))
    for where, mix in mixes:
        if not mix or not all(isinstance(w, (int, float)) and not isinstance(w, bool)
                              and w >= 0 for w in mix.values()) or not sum(mix.values()) > 0:
            raise fail(where, f"must map style names to weights >= 0 with a positive sum, "
                              f"e.g. {{full: 0.2, direct: 0.8}}; got {mix!r}")
        for style, weight in mix.items():
            for name, task in tasks.items():
                if weight and style not in task.styles:
                    raise fail(f"{where}.{style}", f"task {name!r} has no style {style!r}; its "
                               f"styles: {', '.join(task.styles)}")
    check_own_direct(recipe, mixes)


def check_own_direct(recipe: Recipe, mixes: list[tuple[str, dict]]) -> None:
    """``own_direct`` replaces unreadable answers by items of later slots, which a following
    phase would draw again: it belongs in the last phase (or a recipe without phases). Under a
    confidence prompt its examples would state the teacher's 100 % on the model's own, mostly
    wrong, answers unless ``confidence_from`` says how often they are right."""
    from reasonlab.tasks.base import OWN_DIRECT

    fail = recipe.fail
    for i, phase in enumerate(recipe.phases[:-1]):
        if (phase.styles or recipe.styles).get(OWN_DIRECT):
            raise fail(f"phases[{i}].styles" if phase.styles else "styles",
                       f"own_direct draws further slots in place of answers it cannot read, "
                       f"which phase {recipe.phases[i + 1].name!r} would draw again; use it in "
                       "the last phase only")
    if recipe.prompt.confidence and OWN_DIRECT not in recipe.confidence_from and any(
            mix.get(OWN_DIRECT) for _, mix in mixes):
        where = next(w for w, mix in mixes if mix.get(OWN_DIRECT))
        raise fail(f"{where}.{OWN_DIRECT}", "under prompt.confidence the own_direct examples "
                   "would state 100 % on the model's own answers; give confidence_from."
                   "own_direct (an eval run of a model answering that way)")


def check_rewards(recipe: Recipe) -> None:
    """The reward weights and each component's own checks (``reward_spec.py``), then the
    checkpoint interval against generation batches."""
    check_components(recipe)
    # TRL generates once per steps_per_generation micro-steps (default: the accumulation steps);
    # a checkpoint inside such a buffer would make a resume generate it again, differently.
    accumulation = int(recipe.trl.get("gradient_accumulation_steps") or 1)
    spg = int(recipe.trl.get("steps_per_generation") or accumulation)
    if (recipe.checkpoint.every * accumulation) % spg:
        raise recipe.fail("checkpoint.every", f"every {recipe.checkpoint.every} steps would cut "
                          f"a generation batch (trl.steps_per_generation={spg} micro-steps, "
                          f"{accumulation} per step); pick a multiple of "
                          f"{spg // math.gcd(spg, accumulation)}")
