"""The ``own_direct`` style (issue 25): the model's own answers, read with the flexible extractor
and written in the strict format with empty thinking, right or wrong; sampled once, stored in the
run folder and read back on resume; unreadable answers are replaced by further slots. The real
model's path (SmolLM2 answering through its chat template) is in test_real_model.py; here an
answerer with a fixed script stands in for the model so that each rule can be checked exactly."""

from __future__ import annotations

import json

import pytest

from reasonlab.core.answer import flexible_answer
from reasonlab.tasks.base import direct_completion
from reasonlab.train.config import load_recipe
from reasonlab.train.data import TaskMix
from reasonlab.train.own_answers import ANSWERS_FILE, STATS_FILE, OwnAnswers


class Scripted(OwnAnswers):
    """Answers like a weak model: free text, the sum off by one on odd items, no number at all
    on every third item. Counts how many prompts it was asked."""

    asked = 0

    def _sample(self, missing):
        from reasonlab.core.answer import flexible_answer as read

        for item, _ in missing:
            Scripted.asked += 1
            index = int(item.id.rsplit("-", 1)[1])
            truth = int(item.answer)
            text = ("I am not sure." if index % 3 == 0 else
                    f"Let me see.\nThe answer is {truth + index % 2}.")
            got = read(text, number=True)
            self.records[item.id] = {
                "id": item.id, "task": item.task, "difficulty": item.difficulty,
                "completion": text, "error": None, "answer": got.text if got.ok else None,
                "reason": None if got.ok else got.reason,
                "correct": got.ok and int(got.text) == truth}
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            for item, _ in missing:
                handle.write(json.dumps(self.records[item.id]) + "\n")


@pytest.fixture
def recipe():
    return load_recipe("sft-smoke", ["styles={full: 0.3, own_direct: 0.7}"], kind="sft")


def rows_of(recipe, folder, count=24):
    mix = TaskMix(recipe.tasks, recipe.prompt, seed=recipe.seed)
    return mix.sft_rows(count, recipe.styles, own=Scripted("model", folder, chat=False))


def test_own_direct_examples_hold_the_models_answer_right_or_wrong(recipe, tmp_path):
    Scripted.asked = 0
    rows = rows_of(recipe, tmp_path)
    assert len(rows) == 24
    stored = {r["id"]: r for r in map(json.loads, (tmp_path / ANSWERS_FILE).open())}
    own = [r for r in rows if r["style"] == "own_direct"]
    full = [r for r in rows if r["style"] == "full"]
    assert own and full
    for row in own:
        record = stored[row["id"]]
        assert record["answer"] is not None
        assert row["completion"] == direct_completion(record["answer"])
        assert record["answer"] == flexible_answer(record["completion"], number=True).text
    assert {stored[r["id"]]["correct"] for r in own} == {True, False}     # wrong ones kept
    assert all("<think>\ncol" in r["completion"] or "so the sum" in r["completion"]
               for r in full)


def test_unreadable_answers_are_left_out_and_further_slots_drawn(recipe, tmp_path):
    rows = rows_of(recipe, tmp_path)
    stored = [json.loads(line) for line in (tmp_path / ANSWERS_FILE).open()]
    unreadable = {r["id"] for r in stored if r["answer"] is None}
    assert unreadable                              # the script made some
    assert not unreadable & {r["id"] for r in rows}
    assert len(rows) == 24 and len({r["id"] for r in rows}) == 24
    stats = json.loads((tmp_path / STATS_FILE).read_text())
    own = [r for r in rows if r["style"] == "own_direct"]
    assert stats["trained"] == len(own) and stats["unreadable"] == len(unreadable)
    right = sum(r["correct"] for r in stored if r["id"] in {o["id"] for o in own})
    assert stats["accuracy"] == pytest.approx(right / len(own))


def test_answers_are_sampled_once_and_read_back_on_resume(recipe, tmp_path):
    Scripted.asked = 0
    first = rows_of(recipe, tmp_path)
    asked = Scripted.asked
    assert asked > 0
    again = rows_of(recipe, tmp_path)           # a resume: the same folder, a new process
    assert Scripted.asked == asked              # nothing sampled again
    assert again == first


def test_the_sft_trainer_stores_the_answers_in_its_run_folder(tmp_path, monkeypatch):
    from reasonlab.train.runfolder import model_path
    from reasonlab.train.sft import build_sft_trainer

    monkeypatch.setattr(OwnAnswers, "_sample", Scripted._sample)
    recipe = load_recipe("sft-smoke", ["styles={own_direct: 1.0}", "sft_items=6"], kind="sft")
    out = tmp_path / "sft"
    out.mkdir()
    trainer = build_sft_trainer(recipe, out, model_path(recipe, out), recipe.max_steps)
    assert (out / ANSWERS_FILE).is_file() and (out / STATS_FILE).is_file()
    assert set(trainer.train_dataset["style"]) == {"own_direct"}
    monkeypatch.setattr(OwnAnswers, "_sample", lambda *a: pytest.fail("sampled again"))
    again = build_sft_trainer(recipe, out, model_path(recipe, out), recipe.max_steps)
    assert again.train_dataset["completion"] == trainer.train_dataset["completion"]


def test_teacher_text_is_refused_for_the_own_style():
    from reasonlab.core.errors import ConfigError
    from reasonlab.tasks import get_task

    task = get_task("addition")
    with pytest.raises(ConfigError, match="only SFT samples"):
        task.styled_teacher(task.item(0, 1, 0), "own_direct")
