"""Reasoning styles and staged warm starts: what an SFT recipe's ``styles`` and ``phases`` make,
the ``thinking`` reward's cost, the think rate in summaries, and dropping uniform RL groups."""

from __future__ import annotations

import pytest
import torch

from reasonlab.core.errors import ConfigError
from reasonlab.evaluate.suite import parse_suite
from reasonlab.evaluate.summary import summarize, think_rate, thinks
from reasonlab.tasks import get_task
from reasonlab.train.config import RewardSpec, load_recipe
from reasonlab.train.data import TaskMix
from reasonlab.train.rewards import RewardScorer
from reasonlab.train.sft import phase_recipes

MIX = "styles={full: 0.3, direct: 0.7}"


def test_every_procedural_family_has_full_and_direct():
    from reasonlab.tasks import family_names

    for name in family_names():
        task = get_task(name)
        item = task.item(0, task.min_difficulty, 0)
        assert {"full", "direct"} <= set(task.styles), name
        assert task.styled_teacher(item, "full") == item.teacher
        if item.answer is not None:
            assert task.styled_teacher(item, "direct") == \
                f"<think>\n</think>\n<answer>{item.answer}</answer>"
    with pytest.raises(ConfigError, match="no reasoning style 'short'"):
        get_task("addition").styled_teacher(item, "short")


def test_style_mix_is_deterministic_per_item_and_recorded():
    recipe = load_recipe("sft-tiny", [MIX], kind="sft")
    mix = TaskMix(recipe.tasks, recipe.prompt, seed=0)
    rows = mix.sft_rows(400, recipe.styles)
    again = TaskMix(recipe.tasks, recipe.prompt, seed=0).sft_rows(400, recipe.styles)
    assert rows == again
    direct = [r for r in rows if r["style"] == "direct"]
    assert 0.6 < len(direct) / len(rows) < 0.8
    assert all(r["completion"].startswith("<think>\n</think>\n<answer>") for r in direct)
    assert all(r["style"] == "full" and "col 1:" in r["completion"]
               for r in rows if r["style"] != "direct" and "What is" in r["prompt"]
               and "+" in r["prompt"])
    # An item's style does not depend on where it sits in the data: a later start sees the
    # same items (by slot) with the same styles.
    tail = mix.sft_rows(100, recipe.styles, start=300)
    assert tail == rows[300:]
    # Default: the full trace only, as before styles existed.
    assert {r["style"] for r in mix.sft_rows(50)} == {"full"}


def test_style_errors_name_the_field():
    with pytest.raises(ConfigError) as err:
        load_recipe("sft-tiny", ["styles={full: 0.5, terse: 0.5}"], kind="sft")
    assert err.value.field == "styles.terse" and "no style 'terse'" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_recipe("sft-tiny", ["styles={full: 0, direct: 0}"], kind="sft")
    assert err.value.field == "styles"
    with pytest.raises(ConfigError) as err:
        load_recipe("rl-tiny", [MIX], kind="rl")
    assert err.value.field == "styles"
    with pytest.raises(ConfigError) as err:
        load_recipe("sft-tiny-habit", ["phases=[{name: a, max_steps: 0}]"], kind="sft")
    assert err.value.field == "phases[0].max_steps"
    with pytest.raises(ConfigError) as err:
        load_recipe("sft-tiny-habit", ["phases=[{name: a, max_steps: 2, trl: {max_steps: 3}}]"],
                    kind="sft")
    assert err.value.field == "phases[0].trl.max_steps"
    with pytest.raises(ConfigError) as err:
        load_recipe("sft-tiny-habit", ["phases=[{name: '..', max_steps: 2}]"], kind="sft")
    assert err.value.field == "phases[0].name"
    with pytest.raises(ConfigError) as err:
        load_recipe("sft-tiny", ["drop_zero_variance_groups=true"], kind="sft")
    assert err.value.field == "drop_zero_variance_groups"


def test_phases_draw_fresh_items_with_their_own_styles_and_rates():
    recipe = load_recipe("sft-tiny-habit", [], kind="sft")
    (skill, start0), (habit, start1) = phase_recipes(recipe)
    assert [p.name for p in recipe.phases] == ["skill", "habit"]
    assert skill.styles == {"full": 1.0} and habit.styles == {"full": 0.3, "direct": 0.7}
    assert skill.sft_items == skill.max_steps * 16 and start0 == 0
    assert start1 == skill.sft_items                     # the habit phase's items are new
    assert habit.trl["learning_rate"] == 2e-4 and skill.trl["learning_rate"] == 2e-3
    assert not skill.phases and not habit.phases


def test_thinking_cost_charges_thought_not_a_direct_answer():
    scorer = RewardScorer(RewardSpec(correctness=1.0, format=0.0, thinking=0.5),
                          length_limit=100)
    long = "<think>\n" + "x" * 49 + "\n</think>\n<answer>15</answer>"
    direct = "<think>\n</think>\n<answer>15</answer>"
    batch = scorer.score([long, direct], [_item("a"), _item("b")],
                         completion_ids=[[0] * len(long), [0] * len(direct)])
    assert batch.components["thinking"] == [pytest.approx(-0.49), 0.0]
    assert batch.components["correctness"] == [1.0, 1.0]
    funcs, weights = scorer.functions()
    assert [f.__name__ for f in funcs] == ["correctness", "thinking"] and weights == [1.0, 0.5]
    with pytest.raises(ConfigError) as err:
        load_recipe("rl-tiny", ["rewards.thinking=0.3", "trl.max_completion_length=null"],
                    kind="rl")
    assert err.value.field == "rewards.length_limit"


def _item(id_: str):
    from reasonlab.tasks import Item

    return Item(id=id_, task="addition", domain="arithmetic", difficulty=1,
                prompt="What is 7 + 8?", answer="15", verifier="exact")


def test_think_rate_counts_decided_samples_with_nonblank_thinking():
    suite = parse_suite({"name": "u", "items": 2, "tasks": [{"task": "addition",
                                                              "difficulties": [1, 2]}]},
                        source="u.yaml")
    completions = {1: ["<think>\n</think>\n<answer>1</answer>", "<think>2+2=4</think><answer>4"
                       "</answer>"],
                   2: ["<think>a</think><answer>1</answer>", "<think>b</think><answer>1</answer>"]}
    rows = []
    for d, texts in completions.items():
        for k, text in enumerate(texts):
            status = "error" if (d, k) == (2, 1) else "wrong"
            rows.append({"id": f"i{d}{k}", "sample": 0, "task": "addition",
                         "domain": "arithmetic",
                         "difficulty": d, "completion": text, "thinking_tokens": 3 * d,
                         "verdict": {"status": status, "score": 0.0}})
    assert [thinks(r) for r in rows] == [False, True, True, True]
    summary = summarize(rows, suite, model_info={"name": "m"}).to_dict()
    block = summary["tasks"]["addition"]
    assert block["by_difficulty"]["1"]["think_rate"] == 0.5
    assert block["by_difficulty"]["2"]["think_rate"] == 1.0     # the error sample is left out
    assert block["think_rate"] == pytest.approx(2 / 3) == summary["overall"]["think_rate"]
    assert think_rate([rows[3]]) is None                        # nothing decided: undefined


def test_spearman_is_within_tasks_then_averaged():
    from reasonlab.evaluate.summary import mean_within_tasks

    # Two tasks, one difficulty each, very different lengths: pooled, rho would be 1.
    rows = [{"task": "a", "difficulty": 1, "thinking_tokens": 10 + k} for k in range(5)] + \
        [{"task": "b", "difficulty": 5, "thinking_tokens": 500 + k} for k in range(5)]
    assert mean_within_tasks(rows) is None
    rows += [{"task": "b", "difficulty": 6, "thinking_tokens": 400}]
    assert mean_within_tasks(rows) == pytest.approx(-0.6546537, abs=1e-6)   # b alone: a has none


def test_dropping_uniform_groups_renormalises_the_loss():
    from reasonlab.train.rl import ReasonlabGRPOTrainer

    class Accelerator:
        @staticmethod
        def gather(t):
            return t.reshape(1)

    class Stub:
        accelerator = Accelerator()
        num_generations = 4

    # Group 1: all wrong but well formatted (reward 0.1 each, correctness 1.0 + format 0.1): TRL's
    # float32 mean leaves each advantage at -7.45e-5 after the std scaling, not 0. Group 2
    # teaches; its last member is masked (advantage 0).
    advantages = torch.tensor([-7.45e-5] * 4 + [1.5, -0.5, -0.5, 0.0])
    output = {"advantages": advantages, "completion_mask": torch.ones(8, 3, dtype=torch.long),
              "num_items_in_batch": torch.tensor(24)}
    out = ReasonlabGRPOTrainer._drop_zero_advantage(Stub(), output)
    assert out["completion_mask"].sum(dim=1).tolist() == [0, 0, 0, 0, 3, 3, 3, 0]
    assert int(out["num_items_in_batch"]) == 9
