"""The ``own_direct`` style (issue 25): the model's own answers, read with the flexible extractor
and written in the strict format with empty thinking, right or wrong; sampled once, stored in the
run folder and read back on resume; unreadable answers are replaced by further own_direct slots.
The real model's path (SmolLM2 answering through its chat template) is in test_real_model.py;
here a model with a fixed script stands in for ``load_model``'s result, so that each rule can be
checked exactly through the real sampling, reading, verifying and storing code."""

from __future__ import annotations

import json
import random
import re

import pytest

from reasonlab.core.answer import flexible_answer
from reasonlab.tasks.base import direct_completion
from reasonlab.train.config import load_recipe
from reasonlab.train.data import TaskMix
from reasonlab.train.own_answers import ANSWERS_FILE, STATS_FILE, OwnAnswers


class ScriptedModel:
    """Answers like a weak model: free text, the sum off by one on odd items, no number at all
    on every third item (or on every item with ``unreadable``). Stands in for
    ``models.load_model``'s result; records what it was loaded from and asked."""

    loaded: list[str] = []
    asked = 0
    unreadable = False

    def __init__(self, spec, **_options):
        ScriptedModel.loaded.append(str(spec))

    def generate(self, prompts, params):
        from reasonlab.models.base import Generation

        out = []
        for prompt in prompts:
            ScriptedModel.asked += 1
            a, b = (int(x) for x in re.findall(r"\d+", prompt)[:2])
            index = a + b
            text = ("I am not sure." if ScriptedModel.unreadable or index % 3 == 0 else
                    f"Let me see.\nThe answer is {a + b + index % 2}.")
            out.append(Generation(text=text))
        return out

    def close(self):
        pass


@pytest.fixture(autouse=True)
def scripted(monkeypatch):
    import reasonlab.models

    ScriptedModel.loaded, ScriptedModel.asked, ScriptedModel.unreadable = [], 0, False
    monkeypatch.setattr(reasonlab.models, "load_model", ScriptedModel)
    return ScriptedModel


@pytest.fixture
def recipe():
    return load_recipe("sft-smoke", ["styles={full: 0.3, own_direct: 0.7}"], kind="sft")


def rows_of(recipe, folder, count=24):
    mix = TaskMix(recipe.tasks, recipe.prompt, seed=recipe.seed)
    return mix.sft_rows(count, recipe.styles, own=OwnAnswers("model", folder, chat=False))


def test_own_direct_examples_hold_the_models_answer_right_or_wrong(recipe, tmp_path):
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


def test_answers_are_sampled_once_and_read_back_on_resume(recipe, tmp_path, scripted):
    first = rows_of(recipe, tmp_path)
    asked = scripted.asked
    assert asked > 0
    again = rows_of(recipe, tmp_path)           # a resume: the same folder, a new process
    assert scripted.asked == asked              # nothing sampled again
    assert again == first


def test_the_mix_keeps_its_shares_when_answers_cannot_be_read(tmp_path):
    """Unreadable own_direct items are replaced by own_direct items of later slots: the count
    of each style is what the same slots would give with every answer readable."""
    recipe = load_recipe("sft-smoke", ["styles={full: 0.3, own_direct: 0.7}"], kind="sft")
    rows = rows_of(recipe, tmp_path, count=60)
    plain = TaskMix(recipe.tasks, recipe.prompt, seed=recipe.seed)
    want = {"full": 0, "own_direct": 0}
    for slot in range(60):
        item = plain._sft_item(slot)
        want[random.Random(f"style|{recipe.seed}|{item.id}").choices(
            ["full", "own_direct"], [0.3, 0.7])[0]] += 1
    got = {style: sum(r["style"] == style for r in rows) for style in want}
    assert got == want
    stats = json.loads((tmp_path / STATS_FILE).read_text())
    assert stats["styles"] == want and stats["slots"][0] == 0 and stats["slots"][1] > 60


def test_a_model_whose_answers_cannot_be_read_stops_the_run(recipe, tmp_path, scripted):
    from reasonlab.core.errors import ConfigError

    scripted.unreadable = True
    with pytest.raises(ConfigError, match="could not be read for most own_direct items"):
        rows_of(recipe, tmp_path)


def test_a_last_line_cut_short_is_sampled_again(recipe, tmp_path, scripted):
    first = rows_of(recipe, tmp_path)
    path = tmp_path / ANSWERS_FILE
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])     # a crash mid-write
    asked = scripted.asked
    again = rows_of(recipe, tmp_path)
    assert scripted.asked == asked + 1 and again == first
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_the_answerer_is_the_model_before_any_phase(tmp_path, scripted):
    from reasonlab.train.sft import train_sft

    recipe = load_recipe("sft-smoke", [
        "phases=[{name: skill, max_steps: 1}, {name: habit, max_steps: 1, "
        "styles: {full: 0.5, own_direct: 0.5}}]", "trl.per_device_train_batch_size=4"],
        kind="sft")
    train_sft(recipe, tmp_path / "sft")
    assert scripted.loaded == [str(tmp_path / "sft" / "phases" / "skill" / "init")]
    info = json.loads((tmp_path / "sft" / "final" / "reasonlab_train.json").read_text())
    assert info["phases"][1]["own_answers"]["trained"] == sum(
        info["phases"][1]["own_answers"]["styles"].get(s, 0) for s in ["own_direct"])


@pytest.mark.parametrize(("overrides", "message"), [
    (["phases=[{name: a, max_steps: 1, styles: {own_direct: 1.0}}, {name: b, max_steps: 1}]"],
     "last phase only"),
    (["styles={own_direct: 1.0}", "prompt.confidence=true"], "confidence_from.own_direct"),
])
def test_own_direct_is_refused_where_it_would_mislead(overrides, message):
    from reasonlab.core.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        load_recipe("sft-smoke", overrides, kind="sft")


def test_the_sft_trainer_stores_the_answers_in_its_run_folder(tmp_path, monkeypatch):
    from reasonlab.train.runfolder import model_path
    from reasonlab.train.sft import build_sft_trainer

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
