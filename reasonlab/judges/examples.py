"""A judge's training example from a judge-data record: the prompt exactly as ``Judge`` will
ask it (reference mode, the template, the final answer section unless ``see_reasoning``), and
the completion a judge should write, ending in one verdict line the strict parser reads.

Styles of the completion:

- ``cot``: the judge checks before it decides, in lines a small model can produce one
  character at a time: the answer it extracted from the response (``got``), the correct answer
  (``want``), then a character-by-character comparison, then the verdict::

      got 1231
      want 1221
      1=1 2=2 3!2 1=1
      Correct: no

- ``direct``: the verdict line only.

The verdict is the record's truth label (the rule verifier's), so where the comparison and the
rule disagree (a rule that normalises, say) the verdict follows the rule.
"""

from __future__ import annotations

from reasonlab.core.item import Item
from reasonlab.judges.judge import final_section
from reasonlab.judges.templates import Template
from reasonlab.verifiers.rules import extract_for


def judge_prompt(item: Item, completion: str, template: Template,
                 see_reasoning: bool = False) -> str:
    """What ``Judge.prepare`` sends for this pair in reference mode (the pre-filter aside:
    a training example may show the judge what the pre-filter would have stopped)."""
    shown, _ = final_section(item, completion, see_reasoning, True)
    return template.render(question=item.prompt,
                           response=shown if shown is not None else completion,
                           answer=item.answer or "")


def compare_line(got: str, want: str) -> str:
    if len(got) != len(want):
        return f"length {len(got)}!{len(want)}"
    return " ".join(f"{a}={b}" if a == b else f"{a}!{b}" for a, b in zip(got, want,
                                                                          strict=True))


def judge_completion(item: Item, completion: str, label: bool, style: str) -> str:
    verdict = "Correct: yes" if label else "Correct: no"
    if style == "direct":
        return verdict
    got = extract_for(item, completion)
    want = (item.answer or "").strip()
    if not got.ok:
        return f"got none\nwant {want}\n{verdict}"
    text = got.text.strip()
    return f"got {text}\nwant {want}\n{compare_line(text, want)}\n{verdict}"


def judge_rows(records: list[dict], template: Template, style: str,
               see_reasoning: bool = False) -> list[dict[str, str]]:
    """SFT rows (prompt, completion, id) from judge-data records (dicts as the file has them)."""
    rows = []
    for record in records:
        item = Item.from_dict(record["item"])
        rows.append({"prompt": judge_prompt(item, record["completion"], template,
                                            see_reasoning),
                     "completion": judge_completion(item, record["completion"],
                                                    bool(record["label"]), style),
                     "id": record.get("id", item.id)})
    return rows


def read_records(path: str) -> list[dict]:
    """A ``reasonlab judge data`` file, each line checked: ``InputError`` names file, line
    and field."""
    from reasonlab.core.errors import InputError
    from reasonlab.core.jsonl import read_jsonl

    records = []
    for number, obj in read_jsonl(path):
        for key in ("item", "completion", "label"):
            if key not in obj:
                raise InputError("is missing (a record has item, completion and label)",
                                 file=path, line=number, field=key)
        if not isinstance(obj["item"], dict):
            raise InputError("must be an item object", file=path, line=number, field="item")
        Item.from_dict(obj["item"], file=path, line=number)
        if not isinstance(obj["completion"], str):
            raise InputError("must be a string", file=path, line=number, field="completion")
        if not isinstance(obj["label"], bool):
            raise InputError(f"must be true or false, got {obj['label']!r}", file=path,
                             line=number, field="label")
        records.append(obj)
    if not records:
        raise InputError("holds no records", file=path, field="judge.data")
    return records
