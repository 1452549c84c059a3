"""``reasonlab eval`` against OpenAI-compatible endpoints that fail (issue 12, item 8), and a
local model resumed under another spelling of its path (item 12).

A down endpoint or a model the server does not serve fails the command before the first sample:
exit 2, one line, no run folder. Samples whose generation fails mid-run leave the run
incomplete, and rerunning the same command retries exactly those. The real server is
``reasonlab serve`` (conftest's ``openai_server``); the mid-run failures come from a small
loopback server of the test's own that fails chosen prompts while ``failing`` is set."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reasonlab.cli import main
from reasonlab.evaluate.runfolder import read_samples
from reasonlab.evaluate.runner import EvalIncomplete, run_eval
from reasonlab.evaluate.suite import load_suite
from reasonlab.models import load_model
from reasonlab.models.serve import free_port

pytestmark = pytest.mark.slow


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_down_endpoint_fails_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "run"
    spec = f"openai:http://127.0.0.1:{free_port()}/v1#nobody"
    assert main(["eval", "--model", spec, "--suite", "smoke", "--out", str(out)]) == 2
    err = one_error_line(capsys)
    assert "not answering" in err and "127.0.0.1" in err
    assert not out.exists()


def test_unknown_model_fails_before_anything_is_written(openai_server, tmp_path, capsys):
    out = tmp_path / "run"
    spec = f"openai:{openai_server.base_url}#no-such-model"
    assert main(["eval", "--model", spec, "--suite", "smoke", "--out", str(out)]) == 2
    err = one_error_line(capsys)
    assert "no-such-model" in err and openai_server.model in err   # names what it serves
    assert not out.exists()
    # The right name works, and the rerun of a finished run needs no server at all.
    good = tmp_path / "good"
    args = ["eval", "--model", openai_server.spec, "--suite", "smoke", "--out", str(good),
            "--max-tokens", "8", "--no-progress"]
    assert main(args) == 0
    assert json.loads((good / "summary.json").read_text())["complete"] is True


class Flaky:
    """Answers chat completions with ``<answer>0</answer>``; while ``failing``, a prompt that
    contains ``marker`` gets HTTP ``status`` instead. ``asked`` lists every prompt."""

    def __init__(self, marker: str = " * ", status: int = 503, down_after: int | None = None):
        self.failing, self.marker, self.status, self.asked = True, marker, status, []
        self.down_after = down_after    # answer nothing but ``status`` after this many requests
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][0]["content"]
                owner.asked.append(prompt)
                status, answer = 200, {
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": "<answer>0"}}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 3}}
                gone = owner.down_after is not None and len(owner.asked) > owner.down_after
                if owner.failing and (owner.marker in prompt or gone):
                    status, answer = owner.status, {"error": "overloaded"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.spec = f"openai:http://127.0.0.1:{self.server.server_port}/v1#flaky"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_failed_samples_leave_the_run_incomplete_and_are_retried(tmp_path):
    flaky = Flaky(status=503)      # transient: retried by the client, then given up
    try:
        suite = load_suite("smoke")
        out = tmp_path / "run"
        model = load_model(flaky.spec, max_retries=1, backoff=0.01, max_backoff=0.02,
                           progress=False)
        summary = run_eval(model, suite, out, progress=False)
        assert summary.complete is False and summary.generation_errors == 4
        on_disk = json.loads((out / "summary.json").read_text())
        assert on_disk["complete"] is False and on_disk["generation_errors"] == 4
        flaky.failing = False
        flaky.asked.clear()
        summary = run_eval(model, suite, out, progress=False)
        assert summary.complete is True and summary.generation_errors == 0
        # Only the four failed multiplication samples were asked again (plus the health probe).
        assert sum(" * " in p for p in flaky.asked) == 4 and len(flaky.asked) == 5
        rows = read_samples(out / "samples.jsonl")
        assert len(rows) == 8 and all(r["finish_reason"] != "error" for r in rows)
        assert run_eval(model, suite, out, progress=False).complete is True
        assert len(flaky.asked) == 5      # nothing left to do: not even a probe
    finally:
        flaky.close()


def test_an_endpoint_that_dies_mid_run_stops_the_run_which_a_rerun_finishes(tmp_path):
    # Up for the probe and the first batch (3 requests), then 503 to everything.
    flaky = Flaky(marker="never in a prompt", status=503, down_after=3)
    try:
        suite = load_suite("smoke")
        out = tmp_path / "run"
        model = load_model(flaky.spec, max_retries=1, backoff=0.01, max_backoff=0.02,
                           progress=False)
        with pytest.raises(EvalIncomplete, match="not answering.*rerun"):
            run_eval(model, suite, out, batch_size=2, progress=False)
        # Batch 1 answered, batch 2 failed, then the probe found the endpoint down: batches
        # 3 and 4 were never sent.
        summary = json.loads((out / "summary.json").read_text())
        assert summary["complete"] is False and summary["generation_errors"] == 2
        assert summary["samples"] == 4
        flaky.failing = False
        assert run_eval(model, suite, out, batch_size=2, progress=False).complete is True
        assert len(read_samples(out / "samples.jsonl")) == 8
    finally:
        flaky.close()


def test_cli_fails_while_samples_fail_and_a_rerun_completes(tmp_path, capsys):
    flaky = Flaky(status=400)      # refused outright: no retry waits
    try:
        out = tmp_path / "run"
        args = ["eval", "--model", flaky.spec, "--suite", "smoke", "--out", str(out),
                "--no-progress"]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "4 samples failed to generate" in err and "rerun" in err
        assert json.loads((out / "summary.json").read_text())["complete"] is False
        flaky.failing = False
        assert main(args) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["complete"] is True and summary["overall"]["errors"] == 0
    finally:
        flaky.close()


def test_resume_knows_a_local_model_relative_or_absolute(tiny_model_dir, tmp_path,
                                                          monkeypatch, capsys):
    out = tmp_path / "run"
    args = ["--suite", "smoke", "--out", str(out), "--max-tokens", "2", "--no-progress"]
    assert main(["eval", "--model", str(tiny_model_dir), *args]) == 0
    before = (out / "samples.jsonl").read_text()
    monkeypatch.chdir(Path(tiny_model_dir).parent)
    assert main(["eval", "--model", Path(tiny_model_dir).name, *args]) == 0
    assert (out / "samples.jsonl").read_text() == before     # resumed: nothing regenerated
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text("{}")
    assert main(["eval", "--model", str(other), *args]) == 2
    assert "other settings" in capsys.readouterr().err


def test_a_served_model_takes_either_form_and_the_flag_picks_it(openai_server, tmp_path):
    """`reasonlab serve` has no form of its own: eval of the endpoint sends messages to
    /chat/completions by default and bare text to /completions with --chat-template off."""
    import yaml

    forms = {}
    for flag in ("auto", "off"):
        out = tmp_path / flag
        assert main(["eval", "--model", openai_server.spec, "--suite", "smoke", "--out",
                     str(out), "--chat-template", flag, "--no-progress",
                     "--max-tokens", "4"]) == 0
        forms[flag] = yaml.safe_load((out / "config.yaml").read_text())["prompt_form"]
        rows = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
        assert rows and not any(r.get("finish_reason") == "error" for r in rows)
    assert forms == {"auto": "chat", "off": "bare"}
    log = openai_server.log.read_text()
    assert "/v1/chat/completions" in log and "/v1/completions" in log
