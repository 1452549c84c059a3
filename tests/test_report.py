"""`reasonlab report`: a self-contained HTML page from real run folders, opened in real headless
Chromium (driven over the DevTools protocol) to check it loads without console errors and that
every image renders.

The run folders are made by the project's own code — sample lines by ``sample_row``, summaries by
``summarize``, the transfer by ``transfer``, in-loop eval rows by ``step_row`` — from generations
with known outcomes, plus one real eval of the tiny model on the smoke suite."""

from __future__ import annotations

import json
import os
import queue
import random
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from reasonlab.cli import main
from reasonlab.core.jsonl import write_jsonl
from reasonlab.core.summary import Cell, Summary, write_summary
from reasonlab.evaluate.runner import WorkUnit, sample_row
from reasonlab.evaluate.scaling import budget_curve
from reasonlab.evaluate.suite import parse_suite
from reasonlab.evaluate.summary import summarize
from reasonlab.models.base import Generation
from reasonlab.report import write_report
from reasonlab.tasks import get_task
from reasonlab.train.eval_callback import record_step, step_row

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Goes into every completion: unescaped, it would run a script and add a broken image.
INJECTION = "<script>console.error('xss')</script><img src=x onerror=\"console.error('xss')\">"
TASKS = {"addition": [1, 2, 3], "multiplication": [1, 2]}


def suite(samples: int, tasks: dict[str, list[int]] | None = None, name: str = "report-unit",
          items: int = 30) -> Any:
    return parse_suite({"name": name, "items": items, "samples": samples,
                        "tasks": [{"task": t, "difficulties": d}
                                  for t, d in (tasks or TASKS).items()]},
                       source=f"{name}.yaml")


def make_run(folder: Path, p_correct: dict[str, float], *, seed: int, samples: int = 2,
             budgets: bool = False, tasks: dict[str, list[int]] | None = None,
             p_think: dict[str, float] | None = None, suite_name: str = "report-unit",
             items: int = 30) -> Summary:
    """An eval run folder whose samples have known chances of being right; confidences track
    correctness loosely, thinking grows with difficulty. ``p_think``: per task, the chance a
    sample thinks at all (default 1); one that does not writes an empty <think></think>."""
    rng = random.Random(seed)
    rows = []
    the_suite = suite(samples, tasks, suite_name, items)
    for task, levels in (tasks or TASKS).items():
        for difficulty in levels:
            for item in get_task(task).sample(items, difficulty, seed=0):
                for sample in range(samples):
                    ok = rng.random() < p_correct[task] / difficulty ** 0.5
                    thinks = rng.random() < (p_think or {}).get(task, 1.0)
                    thinking = rng.randint(4, 12) * difficulty if thinks else 0
                    inner = f"{'wait, ' * rng.randint(0, 2)}{INJECTION} step" if thinks else "\n"
                    text = (f"<think>{inner}</think>"
                            f"<answer>{item.answer if ok else 'nope'}</answer>")
                    gen = Generation(text=text, thinking_tokens=thinking, answer_tokens=3,
                                     completion_tokens=thinking + 3, prompt_tokens=20,
                                     token_confidence=min(1.0, max(0.0, (0.7 if ok else 0.35)
                                                                   + rng.gauss(0, 0.15))),
                                     latency_s=0.01)
                    row = sample_row(WorkUnit(item, sample, 0), gen, folder.name, None)
                    status = "correct" if ok else "wrong"
                    row["verdict"] = {"id": item.id, "score": float(ok), "status": status,
                                      "parsed": item.answer if ok else "nope", "detail": ""}
                    rows.append(row)
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump({"model": folder.name,
                                                        "suite": the_suite.to_dict()}))
    write_jsonl(folder / "samples.jsonl", rows)
    summary = summarize(rows, the_suite, model_info={"name": folder.name})
    if budgets:
        capped = [(b, summarize([r for r in rows if r["thinking_tokens"] <= b], the_suite,
                                model_info={"name": folder.name}, thinking_budget=b))
                  for b in (8, 16)]
        summary.scaling.thinking_budget = budget_curve([*capped, (None, summary)])
    write_summary(folder, summary)
    return summary


def make_training_run(folder: Path, eval_summary: Summary, steps: int = 20,
                      level_moves: bool = True) -> Path:
    """A training run folder as `reasonlab train rl` leaves it: TRL's logged scalars plus the
    curriculum's, and in-loop eval rows written by the eval callback's own functions."""
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(
        {"kind": "rl", "model": "init:tiny", "tasks": [{"name": "addition"}]}))
    rows = []
    for step in range(1, steps + 1):
        level = 2 + (step > 12 and level_moves)
        rows.append({"step": step, "loss": 0.1 / step, "reward": 0.02 * step,
                     "rewards/correctness/mean": 0.02 * step, "rewards/format/mean": 0.9,
                     "completions/mean_length": 60 + step, "completions/min_length": 30,
                     "completions/max_length": 120, "curriculum/addition/level": level,
                     "curriculum/addition/success": min(1.0, 0.04 * step)})
    rows.append({"step": steps, "train_runtime": 12.5, "train_loss": 0.02})
    write_jsonl(folder / "metrics.jsonl", rows)
    for step in (steps // 2, steps):
        record_step(folder / "evals", step_row(step, eval_summary))
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("report-runs")
    make_run(root / "base", {"addition": 0.3, "multiplication": 0.4}, seed=1, budgets=True)
    rl = make_run(root / "rl", {"addition": 0.9, "multiplication": 0.4}, seed=2, budgets=True)
    make_training_run(root / "rl-train", rl)
    return {"base": root / "base", "rl": root / "rl", "train": root / "rl-train", "root": root}


# ------------------------------------------------------------------ Chromium over DevTools
class DevTools:
    """A minimal DevTools-protocol client over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out:
    NUL-terminated JSON messages), so no websocket library is needed."""

    def __init__(self, profile: Path):
        profile.mkdir(parents=True, exist_ok=True)
        self.log = profile / "chromium.log"
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:   # in the child, before exec: the pipe on fds 3 and 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--remote-debugging-pipe", f"--user-data-dir={profile}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.log.open("wb"), preexec_fn=wire_fds, close_fds=False)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.inbox: queue.Queue = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self.inbox.put(json.loads(message))

    def _next(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        try:
            return self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise TimeoutError(f"chromium did not answer {waiting_for}; its log:\n{tail}") \
                from None

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 20.0) -> dict[str, Any]:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._next(deadline, method)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, since: int = 0, timeout: float = 20.0) -> dict[str, Any]:
        """The first ``method`` event among those received from index ``since`` on."""
        deadline = time.monotonic() + timeout
        for event in self.events[since:]:
            if event.get("method") == method:
                return event
        while True:
            event = self._next(deadline, method)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001  (already gone: nothing to close)
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)


def open_in_chromium(page: Path, tmp_path: Path) -> dict[str, Any]:
    """Load ``page`` and return its console errors, exceptions, log errors and image check."""
    browser = DevTools(tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target,
                                                         "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            browser.send(f"{domain}.enable", session=session)
        url = page.resolve().as_uri()
        mark = len(browser.events)   # the about:blank load must not count as the page's
        navigation = browser.send("Page.navigate", {"url": url}, session=session)
        assert not navigation.get("errorText"), navigation
        browser.wait_event("Page.loadEventFired", since=mark)
        for _ in range(100):   # bounded: the load event belongs to this document
            state = browser.send("Runtime.evaluate", {
                "expression": "location.href + ' ' + document.readyState",
                "returnByValue": True}, session=session)["result"]["value"]
            if state == f"{url} complete":
                break
            time.sleep(0.1)
        check = ("JSON.stringify({ready: document.readyState, title: document.title, "
                 "count: document.images.length, sections: document.querySelectorAll("
                 "'section').length, broken: [...document.images].filter(i => !(i.complete && "
                 "i.naturalWidth > 0)).map(i => i.alt)})")
        result = browser.send("Runtime.evaluate", {"expression": check, "returnByValue": True},
                              session=session)
        time.sleep(0.3)   # let late console events arrive
        browser.send("Runtime.evaluate", {"expression": "1"}, session=session)
    finally:
        browser.close()
    errors = []
    for event in browser.events:
        params = event.get("params", {})
        if event.get("method") == "Runtime.consoleAPICalled" and params.get("type") in (
                "error", "assert"):
            errors.append(params)
        elif event.get("method") == "Runtime.exceptionThrown":
            errors.append(params)
        elif event.get("method") == "Log.entryAdded" and \
                params.get("entry", {}).get("level") == "error":
            errors.append(params)
    return {**json.loads(result["result"]["value"]), "errors": errors}


def assert_self_contained(text: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)
    assert not re.search(r"<script|<link|@import|url\(", text, re.I)


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (make setup installs it)")


# ------------------------------------------------------------------ tests
@needs_chromium
def test_full_report_renders_in_chromium(runs, tmp_path):
    out = tmp_path / "out"
    path = write_report(runs["rl"], baseline=runs["base"], train=runs["train"], out=out)
    assert path == out / "report.html"
    text = path.read_text(encoding="utf-8")
    assert_self_contained(text)
    expected = {"transfer_heatmap", "accuracy_vs_difficulty", "thinking_vs_difficulty",
                "think_rate_vs_difficulty", "behaviour_by_task", "reliability_diagram",
                "scaling_samples", "scaling_budget", "training_rewards",
                "training_accuracy", "training_length", "training_curriculum", "training_loss",
                "reflection_rates", "frontier_tokens"}   # base, rl and rl's budget sweep
    written = {p.stem for p in (out / "plots").glob("*.png")}
    assert written == expected
    for name in expected:
        assert (out / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert text.count('<img src="data:image/png;base64,') == len(expected)
    # Completions are shown side by side, escaped; the trained task came from the recipe.
    assert "&lt;script&gt;console.error(&#x27;xss&#x27;)" in text
    assert "<script>" not in text
    assert 'class="pair"' in text and "★ addition" in text
    # The summary is driven by the intervals: addition rose reliably, multiplication did not.
    assert re.search(r"rl raised addition from \d+% to \d+% \(\+\d+ points, 95% interval \+\d+",
                     text)
    assert "Tasks not trained by this run moved by multiplication" in text
    assert "no reliable transfer" in text or "reliable transfer to multiplication" in text
    assert "Trained tasks: addition (from the training recipe)." in text
    assert "Warning:" not in text             # same suite, same cells
    # 20 training steps, each logged once: the closing row TRL writes is not a step.
    assert re.search(r"<td>training</td>.*?<td>rl</td><td[^>]*>20 steps</td>", text)

    seen = open_in_chromium(path, tmp_path)
    assert seen["ready"] == "complete" and seen["title"] == "reasonlab report: rl vs base"
    assert seen["errors"] == []
    assert seen["count"] == len(expected) and seen["broken"] == []
    assert seen["sections"] >= 8


@needs_chromium
def test_chromium_check_catches_broken_images_and_console_errors(tmp_path):
    """The browser check itself can fail: a page with a bad image and a script error."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><img alt=bad src='data:image/png;base64,AAAA'>"
                    "<script>console.error('boom'); null.x;</script></body></html>")
    seen = open_in_chromium(page, tmp_path)
    assert seen["broken"] == ["bad"]
    assert len(seen["errors"]) >= 2


def test_report_of_a_real_eval_without_baseline(tiny_model_dir, tmp_path):
    from reasonlab.evaluate.runner import run_eval
    from reasonlab.evaluate.suite import load_suite

    run = tmp_path / "eval-tiny"
    run_eval(str(tiny_model_dir), load_suite("smoke"), run, batch_size=8, progress=False)
    assert main(["report", str(run)]) == 0
    text = (run / "report.html").read_text(encoding="utf-8")
    assert_self_contained(text)
    assert "No baseline run was given" in text and "no transfer heatmap" in text
    assert "samples: 1" in text and "No training run was given" in text
    assert not (run / "plots" / "transfer_heatmap.png").exists()
    assert (run / "plots" / "accuracy_vs_difficulty.png").is_file()
    if CHROMIUM:
        seen = open_in_chromium(run / "report.html", tmp_path)
        assert seen["errors"] == [] and seen["broken"] == [] and seen["count"] >= 1


def test_demo_folder_and_degraded_sections(runs, tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    for name in ("base", "rl"):
        shutil.copytree(runs[name], demo / name)
    (demo / "demo.json").write_text(json.dumps({"trained_tasks": ["addition"],
                                                "held_out_tasks": ["multiplication"]}))
    # No confidence in the runs: the calibration section must say why, not draw.
    for name in ("base", "rl"):
        summary = json.loads((demo / name / "summary.json").read_text())
        summary["calibration"]["n"] = 0
        (demo / name / "summary.json").write_text(json.dumps(summary))
    path = write_report(demo)
    assert path == demo / "report.html"
    text = path.read_text(encoding="utf-8")
    assert "calibration needs `confidence: true`" in text
    assert "No training run was given" in text
    assert (demo / "plots" / "transfer_heatmap.png").is_file()
    assert not (demo / "plots" / "reliability_diagram.png").exists()


def test_cli_errors_exit_2_naming_the_path(runs, tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["report", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    assert main(["report", str(runs["rl"]), "--baseline", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert str(empty / "summary.json") in capsys.readouterr().err
    assert main(["report", str(runs["rl"]), "--train", str(empty)]) == 2
    assert "not a training run folder" in capsys.readouterr().err
    assert main(["report", str(runs["rl"]), "--baseline", str(runs["base"]),
                 "--trained-tasks", "juggling", "--out", str(tmp_path / "o")]) == 2
    assert "juggling" in capsys.readouterr().err


def test_rolling_mean_is_a_trailing_mean():
    from reasonlab.report.plots_training import rolling_mean

    assert rolling_mean([1.0, 3.0, 5.0, 7.0], 2) == [1.0, 2.0, 4.0, 6.0]
    assert rolling_mean([2.0], 5) == [2.0]


def test_think_rate_change_is_not_narrowed_by_repeated_samples_of_an_item():
    from reasonlab.evaluate import metrics as M
    from reasonlab.report.series import rate_change

    one = rate_change(Cell(think_rate=0.2, n=40, n_items=40),
                      Cell(think_rate=0.5, n=40, n_items=40))
    assert one["ci95"] == pytest.approx(list(M.difference_interval(8, 40, 20, 40)))
    # 8 samples of each of 5 items: 40 samples, but not 40 independent observations.
    eight = rate_change(Cell(think_rate=0.2, n=40, n_items=5),
                        Cell(think_rate=0.5, n=40, n_items=5))
    assert eight["delta"] == pytest.approx(0.3)
    assert eight["ci95"][1] - eight["ci95"][0] > one["ci95"][1] - one["ci95"][0]
    assert eight["ci95"][0] < 0 < one["ci95"][0]     # reliable on 40 items, not on 5


def test_training_curves_mark_the_reward_hacking_alarm(tmp_path):
    from reasonlab.report.load import ReportInputs, load_train_run
    from reasonlab.report.sections import training_section

    rows = [{"step": s, "reward": 0.5, "rewards/judge/mean": 0.5, "loss": 0.1}
            for s in range(1, 9)]
    rows += [{"step": s, "eval/judge_reward": j, "eval/accuracy": a, "eval/gap": j - a}
             for s, j, a in ((0, 0.3, 0.3), (4, 0.6, 0.2), (8, 0.9, 0.1))]
    rows.append({"step": 8, "alarm/reward_hacking": 1, "alarm/rules": "diverge",
                 "alarm/judge_reward": [0.3, 0.9], "alarm/accuracy": [0.3, 0.1]})
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    section = training_section(ReportInputs(run=None, train=load_train_run(tmp_path)))
    assert "training_judge" in [f.name for f in section.figures]
    assert any("alarm fired at step 8 (diverge)" in note for note in section.notes)
    # A run without a learned judge has neither the figure nor a note about it.
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:8]))
    section = training_section(ReportInputs(run=None, train=load_train_run(plain)))
    assert "training_judge" not in [f.name for f in section.figures]
    assert not any("alarm" in note or "judge" in note for note in section.notes)
