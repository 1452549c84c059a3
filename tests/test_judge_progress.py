"""``reasonlab judge``, ``judge audit`` and ``judge calibrate`` show progress on stderr while
they wait on the judge (issue 12, item 14), and ``--no-progress`` turns it off. The judge is a
real ``reasonlab serve`` of the yes-to-everything model from ``judge_helpers``."""

from __future__ import annotations

import json
import re

import pytest
from judge_helpers import Server, build_verdict_model

from reasonlab.cli import main
from reasonlab.models.serve import free_port
from reasonlab.tasks import get_task

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def judge(tiny_model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("judge-progress")
    server = Server(build_verdict_model(tiny_model_dir, root / "yes"), free_port(),
                    root / "yes.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def inputs(tmp_path):
    items = get_task("addition").sample(2, 2, seed=0, start=500)
    items_path, completions_path = tmp_path / "items.jsonl", tmp_path / "completions.jsonl"
    items_path.write_text("".join(json.dumps(i.to_dict()) + "\n" for i in items))
    completions_path.write_text("".join(json.dumps({"id": i.id, "completion": i.teacher}) + "\n"
                                        for i in items))
    canaries = tmp_path / "canaries.txt"
    canaries.write_text(":\nSolution\n")
    return str(items_path), str(completions_path), str(canaries)


def final_count(err: str) -> str | None:
    """The last ``judge: … n/N`` the bar drew."""
    found = re.findall(r"judge: *100%.*?(\d+/\d+)", err)
    return found[-1] if found else None


def test_judge_audit_and_calibrate_show_progress(judge, inputs, capsys):
    items, completions, canaries = inputs
    base = ["--judge", judge.spec, "--items", items]
    assert main(["judge", *base, "--completions", completions]) == 0
    assert final_count(capsys.readouterr().err) == "2/2"
    assert main(["judge", "audit", *base, "--canaries", canaries]) == 0
    assert final_count(capsys.readouterr().err) == "4/4"          # 2 canaries x 2 items
    assert main(["judge", "calibrate", *base]) == 0
    assert final_count(capsys.readouterr().err) == "4/4"          # a right and a wrong each
    assert main(["judge", *base, "--completions", completions, "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "judge:" not in err and "judged 2 completions" in err
