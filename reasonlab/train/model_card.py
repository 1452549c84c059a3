"""The README.md of a trained model folder: what it was trained from, by which recipe, on what
data. TRL writes a generic card naming the Hub id of the base model, which a model reasonlab
built or imported does not have ("fine-tuned version of [None](https://huggingface.co/None)");
this card replaces it in every final/ folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CARD = "README.md"


def base_description(model: str, seed: int | None = None) -> str:
    """The base model in words: a tiny model reasonlab built, an imported one with its source,
    a model reasonlab trained (and from what), or a folder."""
    if model.startswith("init:"):
        size = model.removeprefix("init:") or "tiny"
        return (f"a randomly initialised {size} Llama with a character tokenizer that "
                f"reasonlab built (`{model}`" + (f", seed {seed})" if seed is not None else ")"))
    folder = Path(model)
    imported = folder / "reasonlab_model.json"
    if imported.is_file():
        record = json.loads(imported.read_text())
        source = record.get("source") or {}
        if source.get("file"):
            shipped = (f", shipped in the PyPI package {source['package']} "
                       f"{source.get('package_version')}" if source.get("package") else "")
            return (f"`{source.get('gguf_name') or source['file']}`, imported by `reasonlab "
                    f"model import` from {source['file']} ({source.get('quantization')} "
                    f"weights dequantized to float32; sha256 {source.get('sha256')}{shipped})")
        return f"a model reasonlab built ({folder})"
    trained = folder / "reasonlab_train.json"
    if trained.is_file():
        info = json.loads(trained.read_text())
        return (f"a model reasonlab trained ({info.get('kind', 'training')} run, recipe "
                f"{info.get('recipe')}) at {folder}")
    return f"the model at {folder}"


def write_card(final: Path, recipe: Any, info: dict[str, Any]) -> Path:
    """Write ``final/README.md`` for a model trained by ``recipe``; ``info`` is what
    ``reasonlab_train.json`` records (kind, steps, phases, …)."""
    kind = info.get("kind", recipe.kind)
    tasks = ", ".join(f"{t.name} (levels {t.min_level}-{t.max_level}"
                      + (f", {t.config}" if t.config else "") + ")" for t in recipe.tasks)
    lines = [f"# {final.parent.name}: a reasonlab {kind} model", "",
             f"Trained with reasonlab (`reasonlab train {kind}`) from "
             f"{base_description(recipe.model, recipe.seed)}.", "",
             f"- recipe: `{recipe.source or 'inline'}` (resolved in `../config.yaml`), seed "
             f"{recipe.seed}",
             f"- prompt: template `{recipe.prompt.template}`, "
             + ("through the model's chat template" if recipe.prompt.chat is True
                else "bare (no chat template)"),
             f"- tasks: {tasks}"]
    if kind == "rl":
        weights = {k: v for k, v in recipe.rewards.weights().items() if v}
        lines.append(f"- rewards: {weights} (verifier-backed; see docs/training.md)")
        lines.append(f"- steps: {info.get('steps')}")
    elif kind == "judge":
        j = recipe.judge
        lines.append(f"- judge: style {j.style}, template {j.template}, data "
                     + (f"`{j.data}`" if j.data else
                        f"{recipe.sft_items} perturbed teacher traces of the tasks above"))
        lines.append(f"- steps: {info.get('steps')}")
    else:
        if info.get("phases"):
            for phase in info["phases"]:
                lines.append(f"- phase {phase['name']}: {phase['steps']} steps, styles "
                             f"{phase['styles']}, {phase['items']} teacher examples")
        else:
            lines.append(f"- data: {recipe.sft_items} teacher examples, styles "
                         f"{recipe.styles}; steps: {info.get('steps')}")
    lines += ["", "`reasonlab_train.json` beside this file records the same in full."]
    path = final / CARD
    path.write_text("\n".join(lines) + "\n")
    return path
