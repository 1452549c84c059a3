"""Open reward components: a component registered here, in the test, and nowhere else, is
validated with the recipe, scored with its weight in the one verification pass, masked like the
others and logged under its own name; mistakes in the ``rewards:`` block name file:line:field;
and the built-in components score exactly what they scored before they became a registry."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reasonlab.core.errors import ConfigError
from reasonlab.tasks import Item
from reasonlab.train.config import RewardSpec, load_recipe
from reasonlab.train.reward_spec import RewardContext, component, registry, unregister
from reasonlab.train.rewards import RewardScorer
from reasonlab.train.rollouts import RolloutWriter

GOOD = "<think>7+8=15</think>\n<answer>15</answer>"
BASE = """kind: rl
model: init:tiny
tasks:
  - name: addition
    max_level: 3
"""


def item(id_: str, answer: str | None = "15") -> Item:
    return Item(id=id_, task="addition", domain="arithmetic", difficulty=1,
                prompt="What is 7 + 8?", answer=answer, verifier="exact")


def recipe_file(tmp_path, text: str) -> str:
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return str(path)


@dataclass
class ShortConfig:
    chars: int = 200   # rewards.short_chars


def check_short(recipe, weight: float, cfg: ShortConfig) -> None:
    if cfg.chars < 1:
        raise recipe.fail("rewards.short_chars", f"must be at least 1, got {cfg.chars}")


@pytest.fixture
def short():
    """A component that rewards answers under N characters, registered for one test only."""

    @component("short", config=ShortConfig, check=check_short)
    def score(ctx: RewardContext, cfg: ShortConfig) -> list[float | None]:
        return [1.0 if len(c) <= cfg.chars else 0.0 for c in ctx.completions]

    yield score
    unregister("short")


def test_a_component_registered_in_one_place_is_validated_scored_and_logged(short, tmp_path):
    recipe = load_recipe(recipe_file(tmp_path, BASE + "rewards: {correctness: 1.0, format: 0.0,"
                                               " short: 0.5, short_chars: 50}\n"))
    assert recipe.rewards.short == 0.5 and recipe.rewards.short_chars == 50
    assert recipe.to_dict()["rewards"]["short_chars"] == 50     # recorded in config.yaml
    assert list(registry())[-1] == "short"                       # after the built-ins

    scorer = RewardScorer(recipe.rewards)
    funcs, weights = scorer.functions()
    assert [f.__name__ for f in funcs] == ["correctness", "short"]   # rewards/short/mean
    assert weights == [1.0, 0.5]
    texts = [GOOD, GOOD + " " * 60, GOOD]
    items = [item("a"), item("b"), item("c", answer=None)]       # c: undecided, masked
    batch = scorer.score(texts, items)
    assert batch.components["short"] == [1.0, 0.0, None]
    assert batch.components["correctness"] == [1.0, 1.0, None]
    assert funcs[1](prompts=["p"] * 3, completions=texts, item=[i.to_dict() for i in items]) \
        == [1.0, 0.0, None]

    writer = RolloutWriter(tmp_path / "rollouts", scorer.weights())
    rows = [writer.row(1, i, ["p"] * 3, items, texts, batch) for i in range(3)]
    assert [r["rewards"]["short"] for r in rows] == [1.0, 0.0, None]
    assert [r["reward"] for r in rows] == [1.0 + 0.5, 1.0, None]  # the weighted total


def test_a_registered_component_defaults_to_off_and_checks_its_own_config(short, tmp_path):
    recipe = load_recipe(recipe_file(tmp_path, BASE))
    assert recipe.rewards.short == 0.0 and "short" not in RewardScorer(recipe.rewards).weights()
    with pytest.raises(ConfigError) as err:
        load_recipe(recipe_file(tmp_path, BASE + "rewards:\n  short: 1.0\n  short_chars: 0\n"))
    assert "r.yaml:8" in str(err.value) and err.value.field == "rewards.short_chars"
    with pytest.raises(ConfigError) as err:
        load_recipe(recipe_file(tmp_path, BASE + "rewards:\n  short_chars: lots\n"))
    assert "r.yaml:7" in str(err.value) and "must be int" in str(err.value)
    assert err.value.field == "rewards.short_chars"


def test_unknown_reward_key_names_file_line_and_field(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_recipe(recipe_file(tmp_path, BASE + "rewards:\n  correctness: 1.0\n  foo: 0.2\n"))
    assert "r.yaml:8" in str(err.value) and err.value.field == "rewards.foo"
    assert "known: calibration, correctness, flexible, format, judge, length, length_cache, " \
           "length_limit, thinking" in str(err.value)
    with pytest.raises(ConfigError) as err:
        RewardSpec(foo=1.0)
    assert err.value.field == "rewards.foo"


def test_mistyped_component_config_and_weight_name_file_line_and_field(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_recipe(recipe_file(tmp_path, BASE + "rewards:\n  length: 0.5\n"
                                                  "  length_limit: many\n"))
    assert "r.yaml:8: field 'rewards.length_limit': must be int or null, got str 'many'" \
        in str(err.value)
    with pytest.raises(ConfigError, match=r"r.yaml:7: field 'rewards.format': must be float, "
                                          r"got bool True"):
        load_recipe(recipe_file(tmp_path, BASE + "rewards:\n  format: true\n"))
    with pytest.raises(ConfigError, match=r"r.yaml:6: field 'rewards': must be a mapping"):
        load_recipe(recipe_file(tmp_path, BASE + "rewards: 3\n"))


def test_names_and_config_keys_cannot_clash():
    with pytest.raises(ValueError, match="taken"):
        component("length")(lambda ctx, cfg: [])                 # registered already
    with pytest.raises(ValueError, match="length_limit"):
        component("length_limit")(lambda ctx, cfg: [])           # a key of length's config
    with pytest.raises(ValueError, match="taken"):
        component("weights")(lambda ctx, cfg: [])                # would hide RewardSpec.weights
    assert list(registry()) == ["correctness", "format", "length", "thinking", "calibration",
                                "judge", "flexible"]


def test_builtin_components_score_what_they_scored_before_the_registry(monkeypatch):
    """Fixed inputs, values recorded from the closed-set scorer: an RL run rewards the same."""
    from reasonlab.core import verdict as V
    from reasonlab.verifiers import base

    class RuleJudge(base.Verifier):
        name = "judge"

        def check(self, item, completion):
            if "crash" in completion:
                raise RuntimeError("judge endpoint down")
            return V.correct(item.id, None) if "because" in completion else \
                V.wrong(item.id, None)

    monkeypatch.setitem(base._FACTORIES, "judge", RuleJudge)
    monkeypatch.setattr("reasonlab.verifiers._cache", {})
    texts = [GOOD, GOOD + "\nConfidence: 80%",
             "<think>hm " + "y" * 70 + "</think><answer>14</answer>\nConfidence: 30%", "15",
             "<answer>15</answer>", GOOD + " because", "<think>\n</think>\n<answer>15</answer>",
             GOOD + " crash", "x" * 300, GOOD]
    items = [item(f"a{i}") for i in range(9)] + [item("a99", answer=None)]
    ids = [[0] * (len(t) // 3 + 1) for t in texts]
    spec = RewardSpec(correctness=0.3, format=0.2, length=0.5, length_limit=100, length_cache=7,
                      thinking=0.25, calibration=0.7, judge=0.4)
    batch = RewardScorer(spec, confidence=True, length_limit=64).score(texts, items, ids, step=3)
    m = None
    assert batch.components == {
        "correctness": [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, m, 0.0, m],
        "format": [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, m, 0.0, m],
        "length": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, m, -1.0, m],
        # "15" and "x" * 300 are one line without tags: no thinking (core/thinking.py; they cost
        # -0.01 and -1.0 when all untagged text counted as thinking).
        "thinking": [-0.02048780487804878, -0.021052631578947368, -0.24926829268292683, -0.0,
                     -0.0, -0.020816326530612245, -0.0, m, -0.0, m],
        "calibration": [0.0, 0.96, 0.91, 0.0, 0.0, 0.0, 0.0, m, 0.0, m],
        "judge": [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, m, 0.0, m]}
    assert batch.masked == [False] * 7 + [True, False, True]
    # The cache defaults to a quarter of the limit; no ids: characters are counted.
    default_cache = RewardScorer(RewardSpec(length=0.1, length_limit=50), length_limit=64)
    assert default_cache.score(texts, items).components["length"] == [
        -0.25, -1.0, -1.0, 0.0, 0.0, -0.9166666666666666, 0.0, -0.75, -1.0, m]
