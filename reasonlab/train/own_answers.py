"""The ``own_direct`` reasoning style: direct answers that are the model's own.

The ``direct`` style writes the *teacher's* answer with empty thinking, so a habit phase built on
it teaches the model to answer directly *and right*; on SmolLM2 that closed the gap RL could
select (docs/training.md, "RL on a pretrained model"). ``own_direct`` writes, with empty
thinking, the answer the model being cold-started gives itself: before the phase trains, that
model (the recipe's ``model``, before any phase) answers each of the phase's ``own_direct``
prompts once, greedily, through the same prompt form the training uses; the answer is read with
the flexible extractor (``core.answer.flexible_answer``) and written in the strict format, right
or wrong, as the model gave it. An item whose answer cannot be read is left out of the phase
and the next ``own_direct`` item of a later slot takes its place (``TaskMix.sft_rows``), so the
style mix keeps its shares.

The answers are stored in the run folder (``own_answers.jsonl``, one line per item; with several
processes the main one samples and writes) and read back on resume, so a resumed phase trains on
exactly the data the first start sampled; their accuracy, the styles trained and the slots drawn
are recorded in ``own_answers.json`` and printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reasonlab.core.errors import InputError
from reasonlab.core.item import Item
from reasonlab.tasks.base import OWN_DIRECT

__all__ = ["OWN_DIRECT", "OwnAnswers"]
ANSWERS_FILE = "own_answers.jsonl"
STATS_FILE = "own_answers.json"
MAX_TOKENS = 192          # the demo's eval budget: room for the paragraph an instruct model writes


class OwnAnswers:
    """The model's own answers to items, sampled once and stored under ``folder``."""

    def __init__(self, model: str, folder: Path, chat: bool):
        self.model, self.folder, self.chat = model, Path(folder), chat
        self.path = self.folder / ANSWERS_FILE
        self.records: dict[str, dict[str, Any]] = {}
        self._load()

    def _load(self) -> None:
        """Read the stored answers. A last line cut short by a crash mid-write is dropped (and
        the file rewritten without it), so those items are sampled again on resume."""
        if not self.path.is_file():
            return
        lines = self.path.read_text().splitlines()
        last = max((n for n, line in enumerate(lines, 1) if line.strip()), default=0)
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if number < last:
                    raise InputError("not a JSON line; the stored answers are damaged (delete "
                                     "the file to sample them again)", file=str(self.path),
                                     line=number) from None
                if _is_main():
                    self.path.write_text("".join(kept + "\n" for kept in lines[:number - 1]))
                continue
            self.records[record["id"]] = record

    def answers(self, items: list[Item], prompts: list[str]) -> dict[str, str | None]:
        """Each item's answer (None when none could be read), sampling only the items not
        stored yet: the main process samples and writes, the others read what it wrote."""
        from reasonlab.train.runfolder import process_state

        missing = [(item, prompt) for item, prompt in zip(items, prompts, strict=True)
                   if item.id not in self.records]
        if missing:
            state = process_state()
            if state.is_main_process:
                self._sample(missing)
            state.wait_for_everyone()
            if not state.is_main_process:
                self._load()
        return {item.id: self.records[item.id]["answer"] for item in items}

    def _sample(self, missing: list[tuple[Item, str]]) -> None:
        from reasonlab.core.answer import flexible_answer
        from reasonlab.models import load_model
        from reasonlab.models.base import SamplingParams
        from reasonlab.tasks.base import direct_completion
        from reasonlab.verifiers import verify_many
        from reasonlab.verifiers.flexible import answer_is_number

        print(f"reasonlab: sampling the model's own answers to {len(missing)} prompts "
              f"({self.model}, greedy, {MAX_TOKENS} tokens)", flush=True)
        model = load_model(self.model, batch_size=32, progress=True,
                           chat_template="on" if self.chat else "off")
        try:
            params = SamplingParams(max_tokens=MAX_TOKENS, temperature=0.0)
            generations = model.generate([prompt for _, prompt in missing], params)
        finally:
            model.close()
        records = []
        for (item, _), gen in zip(missing, generations, strict=True):
            got = flexible_answer(gen.full_text, number=answer_is_number(item))
            readable = got.ok and not gen.error
            records.append({"id": item.id, "task": item.task, "difficulty": item.difficulty,
                            "completion": gen.full_text, "error": gen.error,
                            "answer": got.text if readable else None,
                            "reason": None if readable else (gen.error or got.reason),
                            "correct": None})
        readable = [(item, r) for (item, _), r in zip(missing, records, strict=True)
                    if r["answer"] is not None]
        verdicts = verify_many([(item, direct_completion(r["answer"])) for item, r in readable])
        for (_, record), verdict in zip(readable, verdicts, strict=True):
            record["correct"] = verdict.status == "correct"
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            for record in records:
                self.records[record["id"]] = record
                handle.write(json.dumps(record) + "\n")

    def stats(self, used: list[str], styles: dict[str, int] | None = None,
              slots: list[int] | None = None) -> dict[str, Any]:
        """How right the answers the phase trains on are, overall and per task and level; the
        style counts the phase holds and the slots it drew (``[first, end)``)."""
        rows = [self.records[i] for i in used]
        cells: dict[str, dict[str, int]] = {}
        for row in rows:
            cell = cells.setdefault(f"{row['task']}/{row['difficulty']}", {"n": 0, "correct": 0})
            cell["n"] += 1
            cell["correct"] += bool(row.get("correct"))
        return {"model": self.model, "sampled": len(self.records),
                "unreadable": sum(r["answer"] is None for r in self.records.values()),
                "trained": len(rows),
                "accuracy": (sum(bool(r.get("correct")) for r in rows) / len(rows))
                if rows else None,
                "styles": styles or {}, "slots": slots,
                "by_cell": {key: {**c, "accuracy": c["correct"] / c["n"]}
                            for key, c in sorted(cells.items())}}

    def write_stats(self, used: list[str], styles: dict[str, int] | None = None,
                    slots: list[int] | None = None) -> dict[str, Any]:
        stats = self.stats(used, styles, slots)
        if _is_main():
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / STATS_FILE).write_text(json.dumps(stats, indent=2) + "\n")
        accuracy = stats["accuracy"]
        print(f"reasonlab: own_direct trains on {stats['trained']} of the model's own answers, "
              f"{'n/a' if accuracy is None else f'{100 * accuracy:.1f} %'} right "
              f"({stats['unreadable']} of {stats['sampled']} sampled could not be read)",
              flush=True)
        return stats


def _is_main() -> bool:
    from reasonlab.train.runfolder import process_state

    return process_state().is_main_process
