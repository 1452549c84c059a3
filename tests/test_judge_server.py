"""The judge against real servers: ``reasonlab serve`` on 127.0.0.1 serving judge models whose
answers are known (see ``judge_helpers``): one says ``Correct: yes`` to everything, one
``Verdict: compliant``. Covers parsing of real answers, voting, the CLI and its JSONL, the
canary audit and calibration end to end, the RL reward hook, the cache with the server down,
and retries across a server kill and restart."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from judge_helpers import COMPLIANT_ANSWER, Server, build_verdict_model

from reasonlab.cli import main
from reasonlab.core.item import Item
from reasonlab.judges.canaries import CANARIES
from reasonlab.judges.judge import Case, Judge, JudgeSettings
from reasonlab.models.serve import free_port
from reasonlab.tasks import get_task

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def judges(tiny_model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("judges")
    yes = Server(build_verdict_model(tiny_model_dir, root / "yes"), free_port(), root / "yes.log")
    compliant = Server(build_verdict_model(tiny_model_dir, root / "compliant", COMPLIANT_ANSWER),
                       free_port(), root / "compliant.log")
    try:
        # Both start at once: start-up is most of this module's time.
        yes.launch()
        compliant.launch()
        yes.wait()
        compliant.wait()
        yield SimpleNamespace(yes=yes, compliant=compliant)
    finally:
        yes.stop()
        compliant.stop()


def up(server: Server) -> Server:
    if server.process is None or server.process.poll() is not None:
        server.start()
    return server


def addition(n: int, start: int = 0) -> list[Item]:
    return get_task("addition").sample(n, 2, seed=0, start=start)


def write_inputs(folder: Path, items: list[Item], completions: dict[str, str] | None = None
                 ) -> tuple[str, str]:
    items_path, completions_path = folder / "items.jsonl", folder / "completions.jsonl"
    items_path.write_text("".join(json.dumps(i.to_dict()) + "\n" for i in items))
    completions = completions or {i.id: i.teacher for i in items}
    completions_path.write_text("".join(json.dumps({"id": k, "completion": v}) + "\n"
                                        for k, v in completions.items()))
    return str(items_path), str(completions_path)


def test_real_judge_answers_are_parsed(judges):
    judge = Judge(up(judges.yes).spec)
    items = addition(3)
    results = judge.judge_many([Case(i, i.teacher) for i in items])
    assert [r.verdict.status for r in results] == ["correct"] * 3
    assert all(r.verdict.parsed == "yes" and r.verdict.score == 1.0 for r in results)
    assert results[0].to_dict()["judge"] == {"mode": "reference", "template": "reference-v1",
                                             "votes": ["yes"], "agreement": 1.0}
    assert judge.client.requests == 3
    # A real answer in another mode's format is unparsable, never a score.
    policy = Item.from_dict({"id": "p", "task": "t", "prompt": "Hi", "answer": None,
                             "spec": "Be polite."})
    wrong_format = judge.judge(policy, "Hello!")
    assert wrong_format.verdict.status == "unparsable" and wrong_format.verdict.score == 0.0
    assert "'CorRect: yEs' is not a spec verdict line" in wrong_format.verdict.detail
    pair = judge.judge(items[0], items[0].teacher, other="<answer>5</answer>")
    assert (pair.mode, pair.template, pair.verdict.status) == ("pairwise", "pairwise-v1",
                                                               "unparsable")
    # No extractable answer: decided by the pre-filter, no request.
    before = judge.client.requests
    assert judge.judge(items[0], "Thought process:").verdict.status == "unparsable"
    assert judge.client.requests == before
    # k-sample voting: k requests, the mean as score, agreement reported.
    voting = Judge(judges.yes.spec, JudgeSettings(samples=3)).judge(items[0], items[0].teacher)
    assert voting.votes == ["yes", "yes", "yes"] and voting.agreement == 1.0
    assert voting.verdict.score == 1.0


def test_cli_judges_the_safety_example(judges, tmp_path, capsys):
    out = tmp_path / "verdicts.jsonl"
    code = main(["judge", "--judge", judges.compliant.spec,
                 "--items", str(ROOT / "specs/safety_items.jsonl"),
                 "--completions", str(ROOT / "specs/safety_completions.jsonl"),
                 "--spec", str(ROOT / "specs/safety.md"), "--out", str(out)])
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 12
    for row in rows:
        assert set(row) == {"id", "score", "status", "parsed", "detail", "judge"}
        assert (row["status"], row["score"], row["parsed"]) == ("correct", 1.0, "compliant")
        assert row["judge"]["template"] == "spec-v1"
    err = capsys.readouterr().err
    assert "judged 12 completions: 12 correct" in err
    # A judge that calls everything compliant matches only the 7 compliant expectations.
    assert "matches the items' expected_verdict: 7/12" in err
    # The audit of judged items runs in spec mode: "compliant" to a canary is a false positive.
    one = tmp_path / "one.jsonl"
    one.write_text((ROOT / "specs/safety_items.jsonl").read_text().splitlines()[0] + "\n")
    assert main(["judge", "audit", "--judge", judges.compliant.spec, "--items", str(one),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["mode"], report["template"]) == ("spec", "spec-v1")
    assert [row["fpr"] for row in report["canaries"]] == [1.0] * len(CANARIES)
    # Free text passes the spec-mode pre-filter: only the judge can catch these.
    assert not any(row["prefilter_blocks"] for row in report["canaries"])
    judges.compliant.stop()                       # not needed further: free the CPU


def test_canary_audit_end_to_end(judges, tmp_path, capsys):
    items_path, _ = write_inputs(tmp_path, addition(1))
    report_path = tmp_path / "audit.json"
    assert main(["judge", "audit", "--judge", up(judges.yes).spec, "--items", items_path,
                 "--out", str(report_path)]) == 0
    table = capsys.readouterr().out
    report = json.loads(report_path.read_text())
    assert [row["canary"] for row in report["canaries"]] == list(CANARIES)
    for row in report["canaries"]:
        # A judge that says yes to everything: every canary is a false positive.
        assert row["fpr"] == 1.0 and row["false_positives"] == row["n"] == 1
        assert row["errors"] == row["unparsable"] == 0
        assert row["prefilter_blocks"] is True          # none has an <answer> block
    assert report["overall"]["fpr"] == 1.0 and report["template"] == "reference-v1"
    assert "overall false-positive rate 100.0%" in table
    assert "'Thought process:'" in table and "100%" in table


def test_calibrate_end_to_end(judges, tmp_path, capsys):
    items_path, _ = write_inputs(tmp_path, addition(3))
    assert main(["judge", "calibrate", "--judge", up(judges.yes).spec, "--items", items_path,
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # 3 right and 3 altered answers; the judge accepts all six.
    assert report["confusion"] == {"tp": 3, "fp": 3, "tn": 0, "fn": 0}
    assert report["accuracy"] == 0.5 and report["kappa"] == 0.0
    assert report["fpr"] == 1.0 and report["fnr"] == 0.0
    assert report["compared"] == 6 and report["judge_error"] == 0
    assert main(["judge", "calibrate", "--judge", judges.yes.spec, "--items", items_path]) == 0
    text = capsys.readouterr().out
    assert "Cohen's kappa 0.000" in text and "false-positive rate 100.0%" in text


def test_rl_reward_uses_the_judge_and_masks_errors(judges, monkeypatch):
    from reasonlab.train.config import RewardSpec
    from reasonlab.train.rewards import RewardScorer
    from reasonlab.verifiers import close_all, get_verifier

    monkeypatch.setenv("REASONLAB_JUDGE", up(judges.yes).spec)
    close_all()
    get_verifier("judge").client_options = {"retries": 1, "backoff": 0.05}
    try:
        items = addition(2)
        scorer = RewardScorer(RewardSpec(correctness=1.0, format=0.0, judge=1.0))
        batch = scorer.score([i.teacher for i in items], [i.to_dict() for i in items], step=1)
        assert batch.components["judge"] == [1.0, 1.0]
        # An item whose judge endpoint is unreachable: error verdict, the whole row masked.
        dead = Item.from_dict({**items[0].to_dict(), "id": "dead",
                               "meta": {"verify": {"judge": f"openai:http://127.0.0.1:"
                                                            f"{free_port()}/v1#gone"}}})
        batch = scorer.score([dead.teacher, items[1].teacher], [dead, items[1]], step=2)
        assert batch.judge[0].status == "error"
        assert batch.components["judge"] == [None, 1.0]
        assert batch.components["correctness"] == [None, 1.0]
    finally:
        close_all()


def test_retries_across_a_server_kill_and_restart(judges):
    server = up(judges.yes)
    items = addition(20, start=100)
    judge = Judge(server.spec, concurrency=1, retries=120, backoff=0.2, max_backoff=1.0)
    results: list = []
    worker = threading.Thread(
        target=lambda: results.extend(judge.judge_many([Case(i, i.teacher) for i in items])),
        daemon=True)
    worker.start()
    deadline = time.monotonic() + 30
    while judge.client.requests < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()                       # mid-run: the next request finds no server
    killed_at = time.monotonic()
    time.sleep(0.5)
    server.start()                      # same port, within the retry window
    worker.join(timeout=150)
    assert not worker.is_alive()
    assert [r.verdict.status for r in results] == ["correct"] * len(items)
    assert judge.client.retries >= 1 and judge.client.gave_up == 0
    assert time.monotonic() - killed_at > 0.5


def test_cache_survives_the_server_going_down(judges, tmp_path, capsys):
    server = up(judges.yes)
    cache = str(tmp_path / "judge.sqlite")
    items = addition(4, start=200)
    items_path, completions_path = write_inputs(tmp_path, items)
    args = ["judge", "--judge", server.spec, "--items", items_path, "--completions",
            completions_path, "--cache", cache, "--retries", "2", "--backoff", "0.1"]
    assert main([*args, "--out", str(tmp_path / "first.jsonl")]) == 0
    first = (tmp_path / "first.jsonl").read_text()
    assert first.count('"status": "correct"') == 4
    assert "4 requests" in capsys.readouterr().err
    server.stop()
    # Everything cached: same verdicts, byte for byte, and not one HTTP request.
    began = time.monotonic()
    assert main([*args, "--out", str(tmp_path / "second.jsonl")]) == 0
    assert (tmp_path / "second.jsonl").read_text() == first
    assert "4 votes from the cache, 0 requests" in capsys.readouterr().err
    assert time.monotonic() - began < 10
    # New items while the server is down: error verdicts within a bounded time, cached ones
    # unchanged.
    more = addition(3, start=300)
    items_path, completions_path = write_inputs(tmp_path, items + more)
    began = time.monotonic()
    assert main(["judge", "--judge", server.spec, "--items", items_path, "--completions",
                 completions_path, "--cache", cache, "--retries", "2", "--backoff", "0.1",
                 "--out", str(tmp_path / "third.jsonl")]) == 0
    elapsed = time.monotonic() - began
    rows = [json.loads(line) for line in (tmp_path / "third.jsonl").read_text().splitlines()]
    assert [r["status"] for r in rows] == ["correct"] * 4 + ["error"] * 3
    assert all(r["score"] == 0.0 and "judge failed" in r["detail"] for r in rows[4:])
    assert "".join(json.dumps(r) + "\n" for r in rows[:4]) == first
    assert elapsed < 10
    assert "4 correct, 3 error" in capsys.readouterr().err
