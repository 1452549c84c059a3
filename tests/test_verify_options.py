"""Per-item ``meta.verify`` options are typed (issue 13): an unknown or mistyped key is refused
when items are loaded (file:line:field, exit 2) and is an ``error`` verdict naming the field on
any other path; valid options verify exactly as before."""

from __future__ import annotations

import dataclasses
import json

import pytest

from reasonlab.cli import main
from reasonlab.core.errors import InputError
from reasonlab.core.item import Item
from reasonlab.verifiers import check_options, load_items, verify, verify_many
from reasonlab.verifiers.base import _OPTIONS
from reasonlab.verifiers.options import ExtractOptions, NumericOptions, verify_options


def item(verifier: str = "exact", answer: str = "Yes", meta: dict | None = None,
         **verify_opts) -> Item:
    meta = dict(meta or {})
    if verify_opts:
        meta["verify"] = verify_opts
    return Item(id="a", task="t", domain="d", difficulty=1, prompt="p", answer=answer,
                verifier=verifier, meta=meta)


def ans(text: str) -> str:
    return f"<think>\nwork\n</think>\n<answer>{text}</answer>"


def write_items(tmp_path, *rows: dict) -> tuple[str, str]:
    base = {"task": "t", "prompt": "p", "answer": "Yes", "verifier": "exact"}
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps({"id": f"i{n}", **base, **row}) + "\n"
                             for n, row in enumerate(rows)))
    completions = tmp_path / "completions.jsonl"
    completions.write_text("".join(json.dumps({"id": f"i{n}", "completion": ans("yes")}) + "\n"
                                   for n in range(len(rows))))
    return str(items), str(completions)


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


# -- refused when items are loaded -----------------------------------------------------------

def test_cli_refuses_an_unknown_key_with_file_line_and_field(tmp_path, capsys):
    items, completions = write_items(tmp_path, {}, {"meta": {"verify": {"ignorecase": True}}})
    assert main(["verify", "--items", items, "--completions", completions]) == 2
    err = one_error_line(capsys)
    assert err.startswith(f"reasonlab: error: {items}:2: field 'meta.verify.ignorecase': "
                          "unknown field; known: ")
    assert "ignore_case" in err


def test_cli_refuses_a_mistyped_value(tmp_path, capsys):
    items, completions = write_items(tmp_path, {"verifier": "numeric", "answer": "1",
                                                "meta": {"verify": {"rel_tol": "x"}}})
    out = tmp_path / "verdicts.jsonl"
    assert main(["verify", "--items", items, "--completions", completions,
                 "--out", str(out)]) == 2
    err = one_error_line(capsys)
    assert err.startswith(f"reasonlab: error: {items}:1: field 'meta.verify.rel_tol': "
                          "must be float")
    assert not out.exists()


def test_meta_verify_must_be_a_mapping(tmp_path):
    items, _ = write_items(tmp_path, {"meta": {"verify": ["lenient"]}})
    with pytest.raises(InputError, match=r":1: field 'meta.verify': must be a mapping"):
        load_items(items)


def test_known_keys_are_the_union_over_the_spec(tmp_path):
    # A weighted spec's parts read the same mapping: math's timeout_s and exact's ignore_case.
    items, _ = write_items(tmp_path, {"verifier": "0.5*math+0.5*exact",
                                      "meta": {"verify": {"timeout_s": 3, "ignore_case": True}}})
    loaded = load_items(items)
    assert verify_options(loaded[0], NumericOptions) == NumericOptions()
    # ...but not another verifier's: rel_tol is numeric's.
    items, _ = write_items(tmp_path, {"verifier": "0.9*math+0.1*format",
                                      "meta": {"verify": {"rel_tol": 0.1}}})
    with pytest.raises(InputError, match=r"field 'meta.verify.rel_tol': unknown field; known: "
                                         r"boxed, judge, judge_mode, lenient, max_answer_chars, "
                                         r"pass_score, scale, see_reasoning, timeout_s$"):
        load_items(items)


def test_the_judges_options_are_allowed_on_any_item(tmp_path):
    # `reasonlab judge` and a judge reward run the judge on items whatever their own verifier,
    # and the item's own rule verifier still scores it (calibration's ground truth).
    items, _ = write_items(tmp_path, {"meta": {"verify": {"judge_mode": "reference"}}})
    (loaded,) = load_items(items)
    assert loaded.meta["verify"] == {"judge_mode": "reference"}
    assert verify(loaded, ans("Yes")).status == "correct"
    items, _ = write_items(tmp_path, {"meta": {"verify": {"judge_mode": 3}}})
    with pytest.raises(InputError, match="judge_mode"):   # still typed
        load_items(items)


def test_a_commands_own_verifier_adds_its_options(tmp_path):
    items, _ = write_items(tmp_path, {"meta": {"verify": {"rel_tol": 0.5}}})
    with pytest.raises(InputError, match="rel_tol"):
        load_items(items)
    assert load_items(items, also=["numeric"])[0].meta["verify"] == {"rel_tol": 0.5}


def test_cli_verifier_override_accepts_its_options(tmp_path, capsys):
    items, completions = write_items(tmp_path, {"verifier": "numeric", "answer": "1",
                                                "meta": {"verify": {"abs_tol": 0.5}}})
    assert main(["verify", "--items", items, "--completions", completions,
                 "--verifier", "exact"]) == 0
    # An exact item carrying numeric's option, verified by --verifier numeric.
    items, completions = write_items(tmp_path, {"answer": "1.2",
                                                "meta": {"verify": {"abs_tol": 0.5}}})
    assert main(["verify", "--items", items, "--completions", completions]) == 2
    out = tmp_path / "verdicts.jsonl"
    assert main(["verify", "--items", items, "--completions", completions,
                 "--verifier", "numeric", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["status"] == "wrong"   # "yes" is not a number


# -- valid options: exactly as before --------------------------------------------------------

@pytest.mark.parametrize(("made", "completion", "status"), [
    (item(ignore_case=True), ans("yes"), "correct"),
    (item(), ans("yes"), "wrong"),
    (item(ignore_case=False), ans("yes"), "wrong"),
    (item(lenient=True), "so the answer is Yes", "correct"),
    (item(), "so the answer is Yes", "unparsable"),
    (item(max_answer_chars=2), ans("Yes"), "unparsable"),
    (item(answer="3", boxed=True), "\\boxed{3}", "correct"),
    (item(answer="3"), "\\boxed{3}", "unparsable"),
    (item(answer="3", meta={"source": "math"}), "\\boxed{3}", "correct"),
    (item(answer="3", meta={"source": "math"}, boxed=False), "\\boxed{3}", "unparsable"),
    (item("numeric", "1.0", rel_tol=0.1), ans("1.05"), "correct"),
    (item("numeric", "1.0", abs_tol=1), ans("1.9"), "correct"),
    (item("numeric", "1.0"), ans("1.05"), "wrong"),
])
def test_valid_options_verify_as_before(made, completion, status):
    assert verify(made, completion).status == status


def test_defaults_match_an_item_without_options():
    plain = item()
    assert verify_options(plain, ExtractOptions) == ExtractOptions()
    assert ExtractOptions().boxed_for(plain) is False
    assert ExtractOptions().boxed_for(item(meta={"source": "math"})) is True


def test_procedural_and_gym_items_write_only_declared_options():
    # Families write meta.verify themselves (knights, deduction: ignore_case); every key they
    # write must be one their verifier declares.
    from reasonlab.tasks.registry import family_names, get_task

    for name in family_names():
        for made in get_task(name).sample(2, difficulty=1, seed=0):
            check_options(made)
            if made.teacher is not None and made.verifier != "code":
                assert verify(made, made.teacher).correct, (name, made.id)


# -- any other path: an error verdict naming the field ---------------------------------------

@pytest.mark.parametrize(("verifier", "opts", "field"), [
    ("exact", {"ignorecase": True}, "meta.verify.ignorecase"),
    ("numeric", {"rel_tol": "x"}, "meta.verify.rel_tol"),
    ("numeric", {"abs_tol": -1}, "meta.verify.abs_tol"),
    ("format", {"lenient": True}, "meta.verify.lenient"),
    ("countdown", {"partial_credit": True}, "meta.verify.partial_credit"),
    ("0.9*exact+0.1*format", {"ignore_cse": True}, "meta.verify.ignore_cse"),
])
def test_python_api_bad_options_are_error_verdicts(verifier, opts, field):
    verdict = verify(item(verifier, **opts), ans("Yes"))
    assert verdict.status == "error" and f"field '{field}'" in verdict.detail, verdict


def test_a_value_equal_to_a_valid_one_but_of_another_type_is_still_refused():
    assert verify(item(lenient=True), "so the answer is Yes").correct
    verdict = verify(item(lenient=1), "so the answer is Yes")
    assert verdict.status == "error" and "must be bool" in verdict.detail


def test_bad_options_spoil_only_their_own_item():
    good, bad = item(ignore_case=True), item(ignorecase=True)
    verdicts = verify_many([(good, ans("yes")), (bad, ans("yes")), (good, ans("YES"))])
    assert [v.status for v in verdicts] == ["correct", "error", "correct"]


def test_every_registered_verifier_declares_dataclass_options():
    from reasonlab.verifiers import verifier_names

    names = verifier_names()
    assert {"exact", "numeric", "math", "gym", "code", "countdown", "format"} <= set(names)
    for name in names:
        assert dataclasses.is_dataclass(_OPTIONS[name]), name


def test_judge_options_are_typed_too():
    from reasonlab.judges.judge import Case, Judge

    judge = Judge("openai:http://127.0.0.1:9/v1#none", retries=0)
    for opts, field in (({"judge_mode": "rubic"}, "judge_mode"),
                        ({"see_reasoning": 1}, "see_reasoning"),
                        ({"judge_mdoe": "rubric"}, "judge_mdoe")):
        bad = dataclasses.replace(item(meta={"verify": opts}), rubric="r")
        verdict = judge.judge_many([Case(bad, ans("4"))])[0].verdict
        assert verdict.status == "error" and f"'meta.verify.{field}'" in verdict.detail, verdict
    assert judge.client.requests == 0
