"""Warnings about a run whose numbers would mislead if read as they stand: most completions
empty (an instruct model prompted bare ends its turn at once, and 0 % reads like a result), or
most without the answer block the strict score reads (a model that never learned the format
scores 0 whatever it knows). ``reasonlab eval`` prints them after the table."""

from __future__ import annotations

from typing import Any

MOST = 0.5   # "most": more than this share of the samples


def completion_warnings(rows: list[dict[str, Any]], prompt_form: str | None,
                        max_tokens: int | None = None) -> list[str]:
    """One message per problem found, each naming the share and the likely causes."""
    made = [r for r in rows if r.get("finish_reason") != "error"]
    if not made:
        return []
    out = []
    empty = [r for r in made if not (r.get("completion") or "").strip()]
    if len(empty) > MOST * len(made):
        causes = []
        if prompt_form == "bare":
            causes.append("the prompts were bare: an instruct model prompted without its chat "
                          "template often ends its turn at once (--chat-template on)")
        else:
            causes.append("the model ends its turn at once: a base model behind a chat "
                          "template, or a template it was not trained with (--chat-template "
                          "off)")
        causes.append("a stop string that the model writes first")
        out.append(f"{len(empty)} of {len(made)} completions are empty. Likely causes: "
                   + "; ".join(causes) + ".")
    checked = [r for r in made if "format_ok" in r and (r.get("completion") or "").strip()]
    missing = [r for r in checked if not r["format_ok"]]
    if checked and len(missing) > MOST * len(checked):
        cut = sum(r.get("finish_reason") == "length" for r in missing)
        causes = ["the model was never taught reasonlab's <think>…</think><answer>…</answer> "
                  "format, so the strict score counts its answers as wrong: compare flex% (the "
                  "answer read from free text, docs/evaluation.md); a short SFT cold start on "
                  "teacher traces teaches the format (docs/training.md)"]
        if cut:
            limit = f" ({max_tokens})" if max_tokens else ""
            causes.append(f"{cut} of them stopped at max_tokens{limit} before an answer "
                          "(--max-tokens)")
        out.append(f"{len(missing)} of {len(checked)} non-empty completions have no answer "
                   "block. Likely causes: " + "; ".join(causes) + ".")
    return out
