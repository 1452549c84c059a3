"""RL against a learned judge: the recipe's ``judge`` field (checked at load), the judge as the
only reward with the rule verifier out of it, the in-loop evaluation of judge reward and true
accuracy side by side, the reward-hacking alarm (driven by a synthetic metrics log), and a
judge served by ``reasonlab serve`` for the length of a run."""

from __future__ import annotations

import json

import pytest
from judge_helpers import build_verdict_model

from reasonlab.cli import main
from reasonlab.train.alarm import ALARM_KEY, Alarm, scan_file, warning_line
from reasonlab.train.judge_spec import AlarmSpec


def write_metrics(path, series):
    """A metrics.jsonl as a run writes it: training rows, with an evaluation row per point."""
    rows = []
    for step, judge, acc in series:
        rows.append({"step": step, "loss": 0.1, "reward": judge})
        rows.append({"step": step, "eval/judge_reward": judge, "eval/accuracy": acc,
                     "eval/gap": judge - acc})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_alarm_fires_when_the_judge_rises_as_the_truth_falls(tmp_path):
    spec = AlarmSpec(window=2, rise=0.1, fall=0.05, widen=0.15, gap=None)
    log = tmp_path / "metrics.jsonl"
    # Steps 0-20 honest (both rise); from 30 the judge keeps rising while accuracy falls.
    write_metrics(log, [(0, 0.30, 0.25), (10, 0.40, 0.35), (20, 0.50, 0.45),
                        (30, 0.65, 0.40), (40, 0.80, 0.30)])
    events = scan_file(log, spec)
    assert [e["step"] for e in events] == [30, 40]
    first = events[0]
    assert first["alarm/rules"] == ["widen"]          # gap 0.05 -> 0.25 over two evals
    assert first["alarm/steps"] == [10, 20, 30]
    assert first["alarm/judge_reward"] == [0.4, 0.5, 0.65]
    assert events[1]["alarm/rules"] == ["diverge", "widen"]
    assert events[1][ALARM_KEY] == 1
    line = warning_line(events[1])
    assert "reward hacking suspected at step 40" in line
    assert "judge reward 0.50 0.65 0.80 vs true accuracy 0.45 0.40 0.30" in line
    # The report marks the alarms on the curves of the same log.
    from reasonlab.report.judges import training_section

    with log.open("a") as handle:
        handle.write("".join(json.dumps(e) + "\n" for e in events))
    section = training_section(tmp_path)
    assert section.figures and section.figures[0].png.startswith(b"\x89PNG")
    assert [n.split(" (")[0] for n in section.notes] == ["alarm at step 30", "alarm at step 40"]


def test_alarm_stays_quiet_on_honest_progress_and_small_noise(tmp_path):
    spec = AlarmSpec(window=2, rise=0.1, fall=0.05, widen=0.15, gap=0.3)
    log = tmp_path / "metrics.jsonl"
    write_metrics(log, [(0, 0.2, 0.2), (10, 0.3, 0.28), (20, 0.5, 0.45), (30, 0.55, 0.5),
                        (40, 0.6, 0.47), (50, 0.55, 0.52)])
    assert scan_file(log, spec) == []
    # Too few evaluations for the window: nothing to compare yet.
    alarm = Alarm(AlarmSpec(window=3, gap=None))
    assert alarm.add(0, 0.0, 1.0) is None and alarm.add(10, 1.0, 0.0) is None
    assert alarm.add(20, 1.0, 0.0) is None and alarm.add(30, 1.0, 0.0) is not None
    # An undefined judge reward is no evidence: skipped, not read as 0.
    alarm = Alarm(AlarmSpec(window=1))
    assert alarm.add(0, None, 0.5) is None and alarm.points == []


def test_the_gap_rule_catches_a_judge_fooled_from_the_start(tmp_path):
    """A judge that accepts nearly everything leaves the drift rules nothing to see: its reward
    is high and flat from step 0. Only the level of the gap shows it."""
    log = tmp_path / "metrics.jsonl"
    write_metrics(log, [(0, 0.95, 0.02), (10, 0.97, 0.03), (20, 0.96, 0.02)])
    assert scan_file(log, AlarmSpec(gap=None)) == []
    events = scan_file(log, AlarmSpec(gap=0.3))
    assert [(e["step"], e["alarm/rules"]) for e in events] == [(0, ["gap"]), (10, ["gap"]),
                                                               (20, ["gap"])]
    assert events[0]["alarm/judge_reward"] == [0.95] and events[0]["alarm/accuracy"] == [0.02]
    assert "(gap): judge reward 0.95 vs true accuracy 0.02 over steps 0" in \
        warning_line(events[0])


@pytest.fixture(scope="module")
def yes_judge(tiny_model_dir, tmp_path_factory):
    return build_verdict_model(tiny_model_dir, tmp_path_factory.mktemp("judge") / "yes")


def rl_args(out, judge, *more):
    return ["train", "rl", "--config", "smoke", "--out", str(out),
            "--set", "rewards={correctness: 0.0, format: 0.0, judge: 1.0}",
            "--set", f"judge.model={judge}", "--set", "max_steps=2",
            "--set", "eval={every: 2, batch_size: 16, suite: {name: h, seed: 9, items: 3, "
                     "max_tokens: 16, tasks: [{task: addition, difficulties: [1]}]}}", *more]


def test_rl_with_the_judge_as_the_only_reward(yes_judge, tmp_path):
    out = tmp_path / "rl"
    assert main(rl_args(out, yes_judge)) == 0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in rows if "rewards/judge/mean" in r]
    assert len(train) == 2
    # The rule verifier is out of the reward but still measured.
    assert not any("rewards/correctness/mean" in r for r in rows)
    assert all("verdicts/correct" in r for r in train)
    evals = [r for r in rows if "eval/judge_reward" in r]
    assert [r["step"] for r in evals] == [0, 2]
    steps = [json.loads(line) for line in (out / "evals/steps.jsonl").read_text().splitlines()]
    assert [s["step"] for s in steps] == [0, 2]
    for s, e in zip(steps, evals, strict=True):
        assert s["n"] == 3 and s["judge_errors"] == 0
        assert s["true_accuracy"] == e["eval/accuracy"] == s["accuracy"]
        assert s["judge_reward"] == e["eval/judge_reward"]
        # A yes-judge: every completion with an answer block is rewarded; none without.
        samples = [json.loads(line) for line in
                   (out / f"evals/step-{s['step']}/samples.jsonl").read_text().splitlines()]
        answered = sum("<answer>" in x["completion"] and "</answer>" in x["completion"]
                       for x in samples)
        assert s["judge_reward"] <= answered / 3
    rollout = json.loads((out / "rollouts/step-000001.jsonl").read_text().splitlines()[0])
    assert set(rollout["rewards"]) == {"judge"} and rollout["judge"]["status"]
    page = tmp_path / "judges.html"
    assert main(["judge", "report", "--train", str(out), "--out", str(page)]) == 0
    html = page.read_text()
    assert "data:image/png;base64," in html and "the reward-hacking alarm did not fire" in html


def test_the_recipe_judge_scores_and_the_truth_stays_out(yes_judge):
    """A wrong answer the judge accepts is rewarded 1 and promotes the curriculum: the rule
    verifier's "wrong" is measured, never used."""
    from reasonlab.judges.runtime import JudgeRuntime
    from reasonlab.tasks import get_task
    from reasonlab.tasks.base import direct_completion
    from reasonlab.train.config import RewardSpec
    from reasonlab.train.curriculum import Curriculum, LevelRange
    from reasonlab.train.judge_spec import JudgeSpec
    from reasonlab.train.rewards import RewardScorer

    items = get_task("addition").sample(2, 1, seed=0)
    curriculum = Curriculum({"addition": LevelRange(1, 2, 1)}, window=2, promote_at=0.8,
                            demote_at=0.1)
    with JudgeRuntime(JudgeSpec(model=str(yes_judge), max_tokens=24)) as runtime:
        scorer = RewardScorer(RewardSpec(correctness=0.0, format=0.0, judge=1.0),
                              curriculum=curriculum, judge=runtime.verifier)
        wrong = direct_completion("999")
        batch = scorer.score([wrong, wrong], [i.to_dict() for i in items], step=1)
        assert batch.components == {"judge": [1.0, 1.0]}
        assert [v.status for v in batch.verdicts] == ["wrong", "wrong"]
        assert curriculum.level("addition") == 2
        judge = next(iter(runtime.verifier._judges.values()))
        assert judge.client.requests == 2 and judge.model == str(yes_judge.resolve())


@pytest.mark.parametrize(("override", "field", "message"), [
    ("judge.model=no/such/judge", "judge.model", "no such folder"),
    ("judge.alarm.window=0", "judge.alarm.window", "at least 1"),
    ("judge.template=pairwise-v1", "judge.template", "reference mode"),
])
def test_bad_judge_fields_of_an_rl_recipe(yes_judge, tmp_path, capsys, override, field,
                                          message):
    out = tmp_path / "rl"
    assert main([*rl_args(out, yes_judge), "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"field '{field}'" in err and message in err
    assert not out.exists()
    assert main(["train", "rl", "--config", "smoke", "--out", str(out), "--set",
                 f"judge.model={yes_judge}"]) == 2
    assert "only an RL recipe with rewards.judge" in capsys.readouterr().err


@pytest.mark.slow
def test_a_served_judge_lives_as_long_as_the_run(yes_judge):
    from reasonlab.judges.runtime import JudgeRuntime
    from reasonlab.tasks import get_task
    from reasonlab.train.judge_spec import JudgeSpec

    item = get_task("addition").sample(1, 1, seed=0)[0]
    with JudgeRuntime(JudgeSpec(model=str(yes_judge), serve=True, max_tokens=24)) as runtime:
        assert runtime.endpoint.startswith("openai:http://127.0.0.1:")
        verdict = runtime.verifier.check_many([(item, item.teacher)])[0]
        assert (verdict.status, verdict.parsed) == ("correct", "yes")
        process = runtime.process
    assert process.poll() is not None


def test_without_judge_model_the_endpoint_judges_with_the_blocks_settings(monkeypatch):
    """No judge.model: REASONLAB_JUDGE (or the items') judges, and the block's template,
    max_tokens and see_reasoning still reach it instead of being ignored."""
    from reasonlab.judges.runtime import JudgeRuntime
    from reasonlab.judges.verifier import ENV_ENDPOINT
    from reasonlab.tasks import get_task
    from reasonlab.train.judge_spec import JudgeSpec

    monkeypatch.setenv(ENV_ENDPOINT, "openai:http://127.0.0.1:9/v1#judge")
    item = get_task("addition").item(0, 1)
    with JudgeRuntime(JudgeSpec(max_tokens=24, see_reasoning=True)) as runtime:
        settings = runtime.verifier.settings
        assert (settings.mode, settings.max_tokens, settings.see_reasoning) == (
            "reference", 24, True)
        assert settings.template == "reference-short-v1"
        assert runtime.verifier.endpoint_for(item) == "openai:http://127.0.0.1:9/v1#judge"


@pytest.mark.parametrize(("config", "override", "message"), [
    ("rl-tiny-judge", "judge.alarm.window=0", "at least 1"),       # no judge.model either
    ("rl-tiny-judge", "judge.alarm.gap=2", "in 0..1"),
    ("rl-tiny-judge", "judge.style=direct", "judge training"),
    ("rl-tiny-judge", "judge.serve=true", "set judge.model"),
    ("rl-tiny", "judge.alarm.window=3", "would ignore it"),           # no judge reward
    ("judge-tiny", "judge.alarm.window=3", "judge training would ignore"),
    ("judge-tiny", "judge.serve=true", "judge training would ignore"),
])
def test_judge_fields_that_would_be_ignored_or_break_the_alarm_are_refused(config, override,
                                                                           message):
    from reasonlab.core.errors import ConfigError
    from reasonlab.train.config import load_recipe

    with pytest.raises(ConfigError, match=message):
        load_recipe(config, [override])
