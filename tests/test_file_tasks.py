"""File adapter: JSONL / Parquet / CSV / HF-datasets folders become items; GSM8K and MATH answers
are extracted; bad columns are located errors; oracle answers verify."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reasonlab.core.errors import ConfigError, InputError
from reasonlab.tasks import get_task
from reasonlab.tasks.files import FileTask, gsm8k_answer, parse_difficulty
from reasonlab.verifiers import verify

ROWS = [
    {"uid": "q1", "question": "What is 2 + 3?", "answer": "5", "level": "Level 1"},
    {"uid": "q2", "question": "Capital of France?", "answer": "Paris", "level": "Level 2"},
    {"uid": "q3", "question": "What is 10 * 10?", "answer": "100", "level": "Level 2"},
    {"uid": "q4", "question": "What is 7 - 9?", "answer": "-2", "level": "Level 3"},
]

GSM8K = {
    "question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many "
                "clips in May. How many clips did Natalia sell altogether in April and May?",
    "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>"
              "72 clips altogether in April and May.\n#### 1,072",
}

MATH = [
    {"problem": "Simplify $\\frac{6}{8}$.", "level": "Level 2", "type": "Prealgebra",
     "solution": "Divide by 2: $\\frac{6}{8} = \\boxed{\\frac{3}{4}}$."},
    {"problem": "Solve $x^2 = 4$ for $x > 0$.", "level": "Level ?", "type": "Algebra",
     "solution": "We get $x=\\boxed{2}$, since $x>0$ (not $\\boxed{-2}$... see: \\boxed{{2}})."},
    {"problem": "Write $\\{1,2\\}$ as a set.", "level": "Level 5", "type": "Algebra",
     "solution": "It is $\\boxed{\\{1, 2\\}}$."},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def answer(text: str) -> str:
    return f"<think>worked it out</think>\n<answer>{text}</answer>"


def make_files(tmp_path):
    import datasets
    import pandas as pd

    frame = pd.DataFrame(ROWS)
    paths = {"jsonl": write_jsonl(tmp_path / "rows.jsonl", ROWS)}
    frame.to_parquet(tmp_path / "rows.parquet")
    paths["parquet"] = tmp_path / "rows.parquet"
    frame.to_csv(tmp_path / "rows.csv", index=False)
    paths["csv"] = tmp_path / "rows.csv"
    datasets.Dataset.from_list(ROWS).save_to_disk(str(tmp_path / "hf"))
    paths["hf"] = tmp_path / "hf"
    (tmp_path / "shards").mkdir()
    frame.iloc[:2].to_parquet(tmp_path / "shards" / "part-0.parquet")
    frame.iloc[2:].to_parquet(tmp_path / "shards" / "part-1.parquet")
    paths["shards"] = tmp_path / "shards"
    return paths


def test_every_format_gives_the_same_items(tmp_path):
    seen = {}
    for kind, path in make_files(tmp_path).items():
        task = FileTask(path, id="uid")
        items = [task.item(i, 1) for i in range(len(task))]
        assert [it.id for it in items] == ["q1", "q2", "q3", "q4"], kind
        assert [it.answer for it in items] == ["5", "Paris", "100", "-2"], kind
        assert items[1].verifier == "exact" and items[0].verifier == "numeric"
        assert items[0].meta["row"] == 0 and items[0].meta["format"] == "plain"
        seen[kind] = [(it.id, it.prompt, it.answer) for it in items]
        for it in items:
            assert verify(it, answer(it.answer)).correct, (kind, it.id)
            assert not verify(it, answer("Berlin")).correct
    assert len({json.dumps(v) for v in seen.values()}) == 1


def test_csv_keeps_text_as_written(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text('question,answer\n"Zip code of the office?",007\n"How many?","1,234"\n')
    task = FileTask(path, format="plain")
    assert [task.item(i).answer for i in range(2)] == ["007", "1,234"]
    assert task.item(1).id == "codes-000001"


def test_gsm8k_answer_and_teacher(tmp_path):
    task = FileTask(write_jsonl(tmp_path / "gsm8k.jsonl", [GSM8K]))
    item = task.item(0)
    assert task.format == "gsm8k" and item.answer == "1072"
    assert item.verifier == "numeric" and item.domain == "math"
    assert "<<" not in item.teacher and "24 clips in May" in item.teacher
    assert item.teacher.endswith("</think>\n<answer>1072</answer>")
    assert verify(item, item.teacher).correct
    assert verify(item, answer("1,072")).correct
    assert not verify(item, answer("72")).correct
    assert gsm8k_answer("no final line") is None
    assert gsm8k_answer("x\n#### $-3.5")[1] == "-3.5"


def test_math_boxed_answers_with_nested_braces(tmp_path):
    path = write_jsonl(tmp_path / "math.jsonl", MATH)
    task = get_task(f"file:{path}", question="problem", answer="solution", format="math",
                    difficulty="level")
    first = task.item(0, 2)
    assert first.answer == "\\frac{3}{4}" and first.verifier == "math"
    assert first.meta["source"] == "math" and first.meta["difficulty_raw"] == "Level 2"
    assert first.teacher.endswith("<answer>\\frac{3}{4}</answer>")
    # "Level ?" has no number: difficulty 1. The last box of the solution is the answer.
    assert task.item(0, 1).answer == "{2}"
    assert task.item(0, 5).answer == "\\{1, 2\\}"
    assert (task.min_difficulty, task.max_difficulty) == (1, 5)
    with pytest.raises(ConfigError, match="0 rows at difficulty 3"):
        task.item(0, 3)


def test_math_items_verify_with_the_math_verifier(tmp_path):
    path = write_jsonl(tmp_path / "math.jsonl", MATH[:1])
    item = get_task(f"file:{path}", question="problem", answer="solution").item(0)
    assert item.verifier == "math"  # auto-detected from \boxed
    assert verify(item, answer("\\frac{3}{4}")).correct
    assert verify(item, answer("0.75")).correct
    assert verify(item, "<think>so</think> the answer is $\\boxed{\\frac{6}{8}}$").correct
    assert not verify(item, answer("\\frac{4}{3}")).correct


def test_missing_column_names_file_line_and_column(tmp_path):
    path = write_jsonl(tmp_path / "rows.jsonl", ROWS[:2] + [{"question": "orphan"}])
    with pytest.raises(InputError) as caught:
        FileTask(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: field 'answer': ")
    with pytest.raises(InputError, match=r"rows.jsonl:1: field 'problem': no question"):
        FileTask(path, question="problem")
    paths = make_files(tmp_path)
    with pytest.raises(InputError, match=r"rows.csv:2: field 'prompt'"):
        FileTask(paths["csv"], question="prompt")
    with pytest.raises(InputError, match=r"rows.parquet: field 'prompt': row 0: no question"):
        FileTask(paths["parquet"], question="prompt")


def test_bad_answers_and_settings_are_located(tmp_path):
    gsm = write_jsonl(tmp_path / "g.jsonl", [GSM8K, {"question": "q", "answer": "no marker"}])
    with pytest.raises(InputError, match=r"g.jsonl:2: field 'answer': answer has no '####"):
        FileTask(gsm, format="gsm8k")
    plain = write_jsonl(tmp_path / "p.jsonl", ROWS)
    with pytest.raises(InputError, match="has no \\\\boxed"):
        FileTask(plain, format="math")
    with pytest.raises(ConfigError, match="format must be one of"):
        FileTask(plain, format="xml")
    with pytest.raises(InputError, match="duplicate id 'x'"):
        FileTask(write_jsonl(tmp_path / "d.jsonl", [{**r, "uid": "x"} for r in ROWS]), id="uid")
    with pytest.raises(InputError, match="no such file"):
        FileTask(tmp_path / "absent.jsonl")
    with pytest.raises(InputError, match="unknown file type '.txt'"):
        (tmp_path / "a.txt").write_text("hi")
        FileTask(tmp_path / "a.txt")
    with pytest.raises(ConfigError, match="out of range"):
        FileTask(plain).item(4)


def test_seeds_shuffle_deterministically_and_difficulty_filters(tmp_path):
    path = write_jsonl(tmp_path / "rows.jsonl",
                       [{**r, "uid": f"{r['uid']}-{k}"} for k in range(5) for r in ROWS])
    task = FileTask(path, id="uid", difficulty="level")
    assert (task.min_difficulty, task.max_difficulty) == (1, 3)
    order0 = [task.item(i, 2, seed=0).id for i in range(10)]
    assert order0 == [f"q{n}-{k}" for k in range(5) for n in (2, 3)]
    order7 = [task.item(i, 2, seed=7).id for i in range(10)]
    assert sorted(order7) == sorted(order0) and order7 != order0
    assert order7 == [FileTask(path, id="uid", difficulty="level").item(i, 2, 7).id
                      for i in range(10)]
    item = task.item(3, 2, seed=7)
    assert item.meta["seed"] == 7 and item.meta["index"] == 3
    assert item.difficulty == 2 and item.meta["difficulty_raw"] == "Level 2"


def test_cli_sample_reads_a_file(tmp_path):
    path = write_jsonl(tmp_path / "math.jsonl", MATH)
    out = subprocess.run(
        [sys.executable, "-m", "reasonlab", "tasks", "sample", f"file:{path}",
         "--set", "question=problem", "--set", "answer=solution", "--n", "3"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    items = [json.loads(line) for line in out.stdout.splitlines()]
    assert [it["answer"] for it in items] == ["\\frac{3}{4}", "{2}", "\\{1, 2\\}"]
    assert all(it["task"] == f"file:{path}" and it["verifier"] == "math" for it in items)

    bad = subprocess.run(
        [sys.executable, "-m", "reasonlab", "tasks", "sample", f"file:{path}", "--n", "1"],
        capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert f"{path}:1: field 'question'" in bad.stderr and "Traceback" not in bad.stderr


def test_parse_difficulty():
    assert parse_difficulty("Level 3") == 3 and parse_difficulty(4) == 4
    assert parse_difficulty("Level ?") is None and parse_difficulty(None) is None


def test_datasets_folder_with_splits(tmp_path):
    import datasets

    splits = datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS[:3]),
                                   "test": datasets.Dataset.from_list(ROWS[3:])})
    splits.save_to_disk(str(tmp_path / "dd"))
    assert len(FileTask(tmp_path / "dd")) == 1  # "test" when there is one
    train = FileTask(tmp_path / "dd", split="train", id="uid")
    assert [train.item(i).id for i in range(3)] == ["q1", "q2", "q3"]
    with pytest.raises(ConfigError, match="this folder has train, test"):
        FileTask(tmp_path / "dd", split="validation")
