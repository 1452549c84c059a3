"""The summary.json contract: one typed reader and writer (reasonlab/core/summary.py), files
of the previous version (no schema_version) still load, a written summary reads back to the
same JSON, a newer or malformed file is refused naming the file and field, and no other module
of reasonlab reads or writes the file itself."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from reasonlab.core.errors import InputError
from reasonlab.core.summary import (
    SCHEMA_VERSION,
    SUMMARY_FILE,
    Summary,
    read_summary,
    write_summary,
)
from reasonlab.evaluate.suite import parse_suite
from reasonlab.evaluate.summary import summarize

PACKAGE = Path(__file__).resolve().parent.parent / "reasonlab"
OWNER = PACKAGE / "core" / "summary.py"


def rows() -> list[dict]:
    out = []
    for d in (1, 2):
        for k in range(4):
            status = ("correct", "wrong", "error", "unparsable")[k]
            out.append({"id": f"i{d}{k}", "sample": 0, "task": "addition",
                        "domain": "arithmetic", "difficulty": d, "verifier": "exact",
                        "completion": "<think>wait, 2+2</think><answer>4</answer>",
                        "thinking_tokens": 4 * d, "answer_tokens": 2, "prompt_tokens": 9,
                        "completion_tokens": 4 * d + 2, "confidence": 0.25 * k or None,
                        "token_confidence": 0.5, "latency_s": 0.1,
                        "verdict": {"status": status, "score": float(status == "correct"),
                                    "parsed": "4"}})
    return out


def built() -> Summary:
    suite = parse_suite({"name": "unit", "items": 4, "samples": 1,
                         "tasks": [{"task": "addition", "difficulties": [1, 2]}]},
                        source="u.yaml")
    return summarize(rows(), suite, model_info={"name": "m"})


def test_written_summary_round_trips_to_identical_json(tmp_path):
    summary = built()
    summary.generation_errors = 0
    path = write_summary(tmp_path, summary)
    assert path == tmp_path / SUMMARY_FILE
    text = path.read_text(encoding="utf-8")
    raw = json.loads(text)
    assert next(iter(raw)) == "schema_version" and raw["schema_version"] == SCHEMA_VERSION == 2
    again = read_summary(tmp_path)
    assert again == summary
    write_summary(tmp_path / "copy.json", again)
    assert (tmp_path / "copy.json").read_text(encoding="utf-8") == text
    # Undefined metrics stay null, not dropped or zeroed.
    assert raw["calibration"]["rms_hle"] is None and "rms_hle" in raw["calibration"]["undefined"]
    assert raw["tasks"]["addition"]["spearman_tokens_difficulty"] is not None
    assert raw["cost"]["money"] is None


def test_a_version_1_summary_loads_and_keeps_what_it_does_not_model(tmp_path):
    raw = built().to_dict()
    del raw["schema_version"]            # how the previous version wrote it
    raw["tasks"]["addition"]["future_metric"] = {"x": 1}
    raw["notes"] = "kept"
    del raw["tasks"]["addition"]["by_difficulty"]["1"]["correct"]   # older still
    (tmp_path / SUMMARY_FILE).write_text(json.dumps(raw, indent=2))
    summary = read_summary(tmp_path)
    assert summary.schema_version == 1
    block = summary.tasks["addition"]
    assert block.accuracy == raw["tasks"]["addition"]["accuracy"]
    assert block.extra == {"future_metric": {"x": 1}} and summary.extra == {"notes": "kept"}
    cell = block.by_difficulty["1"]
    assert cell.correct is None and cell.correct_count() == round(cell.accuracy * cell.n)
    written = summary.to_dict()
    assert written["schema_version"] == SCHEMA_VERSION
    assert written["notes"] == "kept" and written["tasks"]["addition"]["future_metric"]


# Keys summaries gained after version 1 was fixed; a version-1 file lacks them.
NEWER_KEYS = ("schema_version", "n_distinct", "format_rate", "flexible_accuracy",
              "flexible_ci95", "flexible_correct", "pass_at_k_ci95")


def strip(obj):
    """A summary as reasonlab wrote it before the newer keys existed (a real version-1 file)."""
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in NEWER_KEYS}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def test_real_summaries_round_trip_written_now_and_as_version_1(tiny_model_dir, tmp_path):
    """Built here, not found on disk: real `reasonlab eval` runs (samples per item, a budget
    sweep, a baseline with its transfer block), each read and written back byte for byte, and
    the same files without the keys added since version 1."""
    import yaml

    from reasonlab.evaluate.runner import run_eval
    from reasonlab.evaluate.suite import load_suite

    suite_file = tmp_path / "s.yaml"
    suite_file.write_text(yaml.safe_dump({
        "name": "contract", "seed": 3, "items": 2, "samples": 2, "max_tokens": 12,
        "template": "{prompt}\n<think>", "thinking_budgets": [6],
        "tasks": [{"task": "addition", "difficulties": [1, 2]},
                  {"task": "gcd", "difficulties": [1]}]}))
    suite = load_suite(str(suite_file))
    base = tmp_path / "base"
    run_eval(str(tiny_model_dir), suite, base, progress=False)
    run_eval(str(tiny_model_dir), suite, tmp_path / "run", progress=False, baseline=str(base),
             trained_tasks=["addition"])
    files = sorted(tmp_path.glob("**/summary.json"))
    assert len(files) == 4     # two runs, each with its budget-6 folder
    for path in files:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
        assert raw["schema_version"] == SCHEMA_VERSION
        again = json.dumps(read_summary(path).to_dict(), indent=2, ensure_ascii=False) + "\n"
        assert again == text, path
        old = strip(raw)
        assert "schema_version" not in old and "n_distinct" not in json.dumps(old)
        assert Summary.from_dict(old, source=str(path)).to_dict() == \
            {"schema_version": SCHEMA_VERSION, **old}
    assert read_summary(tmp_path / "run").transfer is not None


def test_a_newer_schema_version_is_refused_naming_the_file(tmp_path):
    raw = {**built().to_dict(), "schema_version": SCHEMA_VERSION + 1}
    path = tmp_path / SUMMARY_FILE
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError) as info:
        read_summary(tmp_path)
    assert info.value.file == str(path) and info.value.field == "schema_version"
    assert "newer reasonlab" in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("change, field", [
    (lambda s: s.update(calibration=[1, 2]), "calibration"),
    (lambda s: s["tasks"]["addition"].update(accuracy="high"), "tasks.addition.accuracy"),
    (lambda s: s["tasks"]["addition"]["by_difficulty"]["2"].update(n=True),
     "tasks.addition.by_difficulty.2.n"),
    (lambda s: s["scaling"].update(samples={"k": ["one"]}), "scaling.samples.k[0]"),
    (lambda s: s.update(schema_version="2"), "schema_version"),
    (lambda s: s.pop("tasks"), "tasks"),
])
def test_a_malformed_summary_names_the_file_and_field(tmp_path, change, field):
    raw = built().to_dict()
    change(raw)
    path = tmp_path / SUMMARY_FILE
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError) as info:
        read_summary(tmp_path)
    assert info.value.file == str(path) and info.value.field == field


def test_not_json_or_missing_names_the_file(tmp_path):
    path = tmp_path / SUMMARY_FILE
    path.write_text('{"tasks": {}\n')
    with pytest.raises(InputError, match="invalid JSON") as info:
        read_summary(tmp_path)
    assert info.value.file == str(path)
    with pytest.raises(InputError, match="no such file") as info:
        read_summary(tmp_path / "elsewhere")
    assert info.value.file == str(tmp_path / "elsewhere")


def _mentions_summary_file(node: ast.AST) -> bool:
    """Whether an expression names summary.json: the literal, the constant or its helper."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) \
                and sub.value.endswith(SUMMARY_FILE):
            return True
        if isinstance(sub, ast.Name) and sub.id in ("SUMMARY_FILE", "summary_path"):
            return True
        if isinstance(sub, ast.Attribute) and sub.attr in ("SUMMARY_FILE", "summary_path"):
            return True
    return False


READERS = {"open", "load", "loads", "read_text", "read_bytes", "write_text", "write_bytes",
           "atomic_writer", "dump", "dumps"}


def test_only_core_summary_reads_or_writes_summary_json():
    """A future reader must use ``read_summary``: elsewhere, the file's name may only be
    formed to check that it exists or to name it in a message, never opened or parsed."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == OWNER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value == SUMMARY_FILE:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: the literal "
                                 f"{SUMMARY_FILE!r} (import SUMMARY_FILE from core.summary)")
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else ""
            if name in READERS and _mentions_summary_file(node):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}() of "
                                 "summary.json (use read_summary / write_summary)")
    assert not offenders, "\n".join(offenders)


def test_report_finds_the_runs_of_a_demo_that_recorded_paths(tmp_path):
    """The first demos wrote ``runs`` as paths from where they ran (``runs/demo/base``)."""
    from reasonlab.report.load import demo_run

    root = tmp_path / "old-demo"
    for name in ("base", "rl"):
        (root / name).mkdir(parents=True)
    demo = {"runs": {"base": "runs/demo/base", "rl": "runs/demo/rl"}}
    assert demo_run(root, demo, "base") == root / "base"
    assert demo_run(root, demo, "rl") == root / "rl"
    assert demo_run(root, demo, "skill") is None
    assert demo_run(root, {"runs": {"rl": "eval-rl"}}, "rl") == root / "eval-rl"
    assert demo_run(root, {}, "rl_train") == root / "rl-train"     # no map at all
