"""Training building blocks without a training loop: rewards, curriculum, checkpoints, recipes."""

from __future__ import annotations

import json
import os
import warnings

import pytest

from reasonlab.core.errors import ConfigError
from reasonlab.tasks import Item
from reasonlab.train import checkpoint as ckpt
from reasonlab.train.config import RewardSpec, builtin_recipes, load_recipe, parse_recipe
from reasonlab.train.curriculum import Curriculum, LevelRange
from reasonlab.train.rewards import RewardScorer, brier_reward, soft_overlong

GOOD = "<think>7+8=15</think>\n<answer>15</answer>"


def item(id_: str = "add-1", answer: str | None = "15", verifier: str = "exact") -> Item:
    return Item(id=id_, task="addition", domain="arithmetic", difficulty=1,
                prompt="What is 7 + 8?", answer=answer, verifier=verifier)


# ------------------------------------------------------------------------------ rewards
def test_correctness_and_format_components():
    scorer = RewardScorer(RewardSpec(correctness=1.0, format=0.5))
    completions = [GOOD, "<think>hm</think><answer>14</answer>", "15", "<answer>15</answer>"]
    batch = scorer.score(completions, [item()] * 4)
    assert batch.components["correctness"] == [1.0, 0.0, 0.0, 1.0]
    assert batch.components["format"] == [1.0, 1.0, 0.0, 0.0]
    assert [v.status for v in batch.verdicts] == ["correct", "wrong", "unparsable", "correct"]
    assert batch.masked == [False] * 4


def test_trl_reward_functions_are_named_and_weighted():
    scorer = RewardScorer(RewardSpec(correctness=1.0, format=0.2, calibration=0.0))
    funcs, weights = scorer.functions()
    assert [f.__name__ for f in funcs] == ["correctness", "format"]
    assert weights == [1.0, 0.2]
    # TRL calls each with the dataset columns as keyword lists.
    out = funcs[0](prompts=["p"], completions=[GOOD], item=[item().to_dict()],
                   completion_ids=[[1, 2, 3]])
    assert out == [1.0]


def test_verifier_error_masks_every_component_instead_of_zero():
    scorer = RewardScorer(RewardSpec(correctness=1.0, format=0.5, length=0.1, length_limit=50))
    broken = item("add-2", answer=None)   # exact verifier cannot decide: an error verdict
    batch = scorer.score([GOOD, GOOD], [item(), broken], [[0] * 10, [0] * 10])
    assert batch.verdicts[1].status == "error"
    assert batch.masked == [False, True]
    for name, values in batch.components.items():
        assert values[0] is not None, name
        assert values[1] is None, name   # None -> NaN in TRL: masked, never 0


def test_calibration_is_a_brier_score_of_the_stated_confidence():
    scorer = RewardScorer(RewardSpec(correctness=1.0, format=0.0, calibration=1.0),
                          confidence=True)
    texts = [GOOD + "\nConfidence: 80%", "<think>x</think><answer>3</answer>\nConfidence: 80%",
             GOOD]
    batch = scorer.score(texts, [item()] * 3)
    assert batch.components["calibration"] == pytest.approx([1 - 0.2 ** 2, 1 - 0.8 ** 2, 0.0])
    assert brier_reward(1.0, 1.0) == 1.0 and brier_reward(None, 1.0) == 0.0


def test_format_allows_the_confidence_line_only_when_asked():
    texts = [GOOD + "\nConfidence: 90%"]
    with_conf = RewardScorer(RewardSpec(format=1.0), confidence=True).score(texts, [item()])
    without = RewardScorer(RewardSpec(format=1.0), confidence=False).score(texts, [item()])
    assert with_conf.components["format"] == [1.0]
    assert without.components["format"] == [0.0]


def test_soft_overlong_punishment():
    assert soft_overlong(10, limit=20, cache=5) == 0.0
    assert soft_overlong(15, limit=20, cache=5) == 0.0
    assert soft_overlong(18, limit=20, cache=5) == pytest.approx(-0.6)
    assert soft_overlong(20, limit=20, cache=5) == pytest.approx(-1.0)
    assert soft_overlong(25, limit=20, cache=5) == -1.0


def test_scoring_feeds_the_curriculum_once_per_batch():
    cur = Curriculum({"addition": LevelRange(1, 3, 1)}, window=8, promote_at=0.75,
                     demote_at=0.25)
    scorer = RewardScorer(RewardSpec(correctness=1.0, format=0.1), curriculum=cur)
    funcs, _ = scorer.functions()
    for completions in ([GOOD] * 4, [GOOD + " "] * 4):
        kwargs = {"prompts": ["p"] * 4, "completions": completions,
                  "item": [item().to_dict()] * 4}
        for func in funcs:   # TRL calls every component; the verdicts are recorded once
            func(**kwargs)
        if completions[0] == GOOD:
            assert len(cur.history["addition"]) == 4 and cur.level("addition") == 1
    assert cur.level("addition") == 2
    assert cur.changes[0]["from"] == 1 and cur.changes[0]["to"] == 2


# ------------------------------------------------------------------------------ curriculum
def test_curriculum_thresholds_bounds_and_state_round_trip():
    cur = Curriculum({"a": LevelRange(1, 3, 2)}, window=4, promote_at=0.75, demote_at=0.25)
    for s in (1, 1, 1):
        assert cur.record("a", s) is None           # window not full yet
    assert cur.record("a", 0) == 3                   # 0.75 >= promote_at
    for s in (1, 1, 1, 1):
        cur.record("a", s)
    assert cur.level("a") == 3                        # max_level caps it
    for s in (1, 0, 1, 0):
        cur.record("a", s)
    assert cur.level("a") == 3                        # 0.5: between the thresholds
    state = json.loads(json.dumps(cur.state_dict()))
    for s in (0, 0, 0):
        cur.record("a", s)
    twin = Curriculum({"a": LevelRange(1, 3, 2)}, window=4, promote_at=0.75, demote_at=0.25)
    twin.load_state_dict(state)
    for s in (0, 0, 0):
        twin.record("a", s)
    assert twin.level("a") == cur.level("a") == 2    # 0/4 <= demote_at after the round trip
    assert twin.state_dict() == cur.state_dict()
    for _ in range(8):
        cur.record("a", 0)
    assert cur.level("a") == 1                        # min_level floors it
    assert cur.metrics()["curriculum/a/level"] == 1.0


def test_curriculum_disabled_keeps_the_start_level():
    cur = Curriculum({"a": LevelRange(1, 3, 1)}, window=2, enabled=False)
    for _ in range(10):
        cur.record("a", 1)
    assert cur.level("a") == 1


# ------------------------------------------------------------------------------ checkpoints
def _write(folder, step: int, payload: bytes = b"weights"):
    staging = folder / ".staging" / f"checkpoint-{step}"
    staging.mkdir(parents=True)
    (staging / "model.bin").write_bytes(payload + bytes([step]))
    (staging / "sub").mkdir()
    (staging / "sub" / "opt.pt").write_bytes(b"optimizer")
    return ckpt.commit(staging, folder / f"checkpoint-{step}", step=step, state={"s": step})


def test_commit_writes_a_manifest_and_keep_last_k(tmp_path):
    for step in (1, 2, 3):
        _write(tmp_path, step)
    manifest = json.loads((tmp_path / "checkpoint-3" / "manifest.json").read_text())
    assert set(manifest["files"]) == {"model.bin", "sub/opt.pt", "reasonlab_state.json"}
    assert ckpt.problem(tmp_path / "checkpoint-3") is None
    assert ckpt.read_state(tmp_path / "checkpoint-3") == {"s": 3}
    ckpt.prune(tmp_path, keep=2)
    assert [p.name for p in ckpt.checkpoints(tmp_path)] == ["checkpoint-2", "checkpoint-3"]


def test_crash_during_save_leaves_previous_checkpoint_valid(tmp_path, monkeypatch):
    _write(tmp_path, 1)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-save")

    monkeypatch.setattr(os, "rename", crash)
    with pytest.raises(KeyboardInterrupt):
        _write(tmp_path, 2)
    monkeypatch.undo()
    # A torn folder that reached its final name without a manifest is not valid either.
    torn = tmp_path / "checkpoint-3"
    torn.mkdir()
    (torn / "model.bin").write_bytes(b"half")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert ckpt.latest_valid(tmp_path) == tmp_path / "checkpoint-1"
    assert any("checkpoint-3" in str(w.message) for w in caught)


def test_corrupt_newest_is_skipped_with_a_warning(tmp_path):
    _write(tmp_path, 1)
    _write(tmp_path, 2)
    model = tmp_path / "checkpoint-2" / "model.bin"
    data = bytearray(model.read_bytes())
    data[0] ^= 0xFF                                   # same size, different bytes
    model.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="checkpoint-2.*sha256"):
        assert ckpt.latest_valid(tmp_path) == tmp_path / "checkpoint-1"


# ------------------------------------------------------------------------------ recipes
def _recipe_file(tmp_path, text: str):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return str(path)


BASE = """kind: rl
model: init:tiny
tasks:
  - name: addition
    max_level: 3
"""


def test_recipe_errors_name_file_line_and_field(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_recipe(_recipe_file(tmp_path, BASE + "rewards:\n  corectness: 1.0\n"))
    assert "r.yaml:7" in str(exc.value) and "rewards.corectness" in str(exc.value)
    with pytest.raises(ConfigError, match=r"r.yaml:5: field 'tasks\[0\].max_level'"):
        load_recipe(_recipe_file(tmp_path, BASE.replace("max_level: 3", "max_level: 99")))
    with pytest.raises(ConfigError, match="demote_at < promote_at"):
        load_recipe(_recipe_file(tmp_path, BASE + "curriculum: {promote_at: 0.3, demote_at: 0.5}"))
    with pytest.raises(ConfigError, match="prompt.confidence: true"):
        load_recipe(_recipe_file(tmp_path, BASE + "rewards: {calibration: 0.5}\n"))
    with pytest.raises(ConfigError, match="checkpoint.every"):
        load_recipe(_recipe_file(tmp_path, BASE + "trl: {save_steps: 3}\n"))
    with pytest.raises(ConfigError, match="must be int"):
        load_recipe(_recipe_file(tmp_path, BASE), ["max_steps=many"])


def test_overrides_and_kind_check(tmp_path):
    recipe = load_recipe(_recipe_file(tmp_path, BASE), ["trl.learning_rate=1e-4", "seed=3"])
    assert recipe.trl["learning_rate"] == 1e-4 and recipe.seed == 3
    assert recipe.tasks[0].min_level == 1 and recipe.tasks[0].start_level == 1
    with pytest.raises(ConfigError, match="train rl"):
        load_recipe(_recipe_file(tmp_path, BASE), kind="sft")


def test_unknown_trl_setting_is_reported_against_the_recipe(tmp_path):
    # Caught while the recipe is validated, before any run folder exists (issue 12, item 11).
    with pytest.raises(ConfigError, match="trl.learnin_rate.*not a GRPOConfig setting"):
        parse_recipe({"kind": "rl", "model": "init:tiny", "tasks": [{"name": "addition"}],
                      "trl": {"learnin_rate": 1.0}}, source="x.yaml")


def test_builtin_recipes_load():
    names = builtin_recipes()
    assert {"smoke", "sft-smoke", "sft-tiny", "rl-tiny"} <= set(names)
    for name in names:
        # GPU recipes point at a local Qwen folder that CI does not have.
        recipe = load_recipe(name, ["model=init:tiny", "trl.report_to=[]"])
        assert recipe.kind in ("rl", "sft", "judge")


def test_judge_component_calls_the_registered_judge_and_masks_its_errors(monkeypatch):
    from reasonlab.core import verdict as V
    from reasonlab.verifiers import base

    class RuleJudge(base.Verifier):
        """Stands in for an LLM judge: scores explanations that say "because"."""

        name = "judge"

        def check(self, item, completion):
            if "crash" in completion:
                raise RuntimeError("judge endpoint down")
            if "because" in completion:
                return V.correct(item.id, None)
            return V.wrong(item.id, None)

    monkeypatch.setitem(base._FACTORIES, "judge", RuleJudge)
    monkeypatch.setattr("reasonlab.verifiers._cache", {})
    scorer = RewardScorer(RewardSpec(correctness=1.0, format=0.0, judge=0.5))
    texts = [GOOD + " because", GOOD, GOOD + " crash"]
    batch = scorer.score(texts, [item("a"), item("b"), item("c")])
    assert batch.components["judge"] == [1.0, 0.0, None]
    assert batch.components["correctness"] == [1.0, 1.0, None]   # the whole sample is masked
    assert batch.judge[2].status == "error"


def test_task_mix_is_deterministic_and_skips_held_out_prompts():
    from reasonlab.train.config import PromptSpec, TaskSpec
    from reasonlab.train.data import TaskMix

    specs = [TaskSpec("addition", min_level=1, max_level=1, start_level=1)]
    mix = TaskMix(specs, PromptSpec(), seed=0)
    first = [mix.draw(s, lambda _: 1).prompt for s in range(40)]
    assert first == [TaskMix(specs, PromptSpec(), seed=0).draw(s, lambda _: 1).prompt
                     for s in range(40)]
    held = set(first[:10])
    guarded = TaskMix(specs, PromptSpec(), seed=0, held_out=held)
    assert not held & {guarded.draw(s, lambda _: 1).prompt for s in range(40)}
    rows = guarded.materialize([{"slot": 3, "prompt": ""}, {"slot": 3, "prompt": ""}],
                               lambda _: 1)
    assert rows[0]["item"] == rows[1]["item"] and "<answer>" in rows[0]["prompt"]
