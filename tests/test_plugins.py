"""Packages above a registry, or outside reasonlab, extend it through entry points: the judges
register the `judge` verifier this way, and a package can add a verifier or a reward component
without an edit to reasonlab. Here a real distribution (a dist-info folder on sys.path, as pip
leaves one) declares both."""

from __future__ import annotations

import sys
import textwrap

import pytest

from reasonlab.core.item import Item


@pytest.fixture
def plugin_dist(tmp_path, monkeypatch):
    (tmp_path / "rl_plugin_demo.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass

        from reasonlab.core.verdict import correct, wrong
        from reasonlab.train.reward_spec import component
        from reasonlab.verifiers.base import Verifier, register_verifier


        class Palindrome(Verifier):
            name = "palindrome"

            def check(self, item, completion):
                text = completion.strip()
                return (correct if text and text == text[::-1] else wrong)(item.id, text)


        register_verifier("palindrome", Palindrome)


        @dataclass
        class ShoutConfig:
            marks: int = 1


        @component("shout", config=ShoutConfig)
        def shout(ctx, cfg):
            return [1.0 if c.count("!") >= cfg.marks else 0.0 for c in ctx.completions]
    '''))
    info = tmp_path / "rl_plugin_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rl-plugin-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[reasonlab.verifiers]\npalindrome = rl_plugin_demo\n\n"
        "[reasonlab.rewards]\nshout = rl_plugin_demo\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from reasonlab.train import reward_spec
    from reasonlab.verifiers import base, registry

    monkeypatch.setattr(registry, "_plugins_loaded", False)
    monkeypatch.setattr(reward_spec, "_plugins_loaded", False)
    monkeypatch.setattr("reasonlab.verifiers._cache", {})
    yield
    base._FACTORIES.pop("palindrome", None)
    reward_spec.unregister("shout")
    sys.modules.pop("rl_plugin_demo", None)


def test_the_judges_are_found_through_their_entry_point():
    from importlib.metadata import entry_points

    points = {p.name: p.value for p in entry_points(group="reasonlab.verifiers")}
    assert points.get("judge") == "reasonlab.judges"


def test_a_package_adds_a_verifier_by_entry_point(plugin_dist):
    from reasonlab.verifiers import check_spec, verifier_names, verify

    assert "palindrome" in verifier_names()
    check_spec("0.5*palindrome+0.5*format")
    item = Item(id="p", task="t", domain="d", difficulty=1, prompt="?", answer=None,
                verifier="palindrome")
    assert verify(item, "abcba").status == "correct"
    assert verify(item, "abc").status == "wrong"


def test_a_package_adds_a_reward_component_by_entry_point(plugin_dist):
    from reasonlab.train.reward_spec import RewardSpec, registry

    recorded = RewardSpec(correctness=1.0).to_dict()
    assert "shout" in registry()
    # A recipe that does not use the plugin records the same block as without it (resume).
    assert "shout" not in recorded and "shout_marks" not in recorded
    spec = RewardSpec(correctness=1.0, shout=0.5, shout_marks=2)
    assert spec.to_dict()["shout"] == 0.5 and spec.to_dict()["shout_marks"] == 2
    assert spec.shout == 0.5 and spec.shout_marks == 2
    assert "shout" in spec.weights()
