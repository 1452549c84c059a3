"""``reasonlab judge``: an LLM judge over an OpenAI-compatible endpoint, and its audits.

    reasonlab judge --judge openai:URL#MODEL --items F --completions F [--spec FILE]
                    [--cache FILE] [--out FILE]            JSONL verdicts, like `reasonlab verify`
    reasonlab judge audit --judge ... [--items F]          master-key canary false positives
    reasonlab judge calibrate --judge ... --items F        agreement with rule-based truth
    reasonlab judge data --task NAME --n N --out F         judge training data with truth labels
    reasonlab judge calibrate --judge ... --data F         ... on `judge data` candidates
    reasonlab judge compare --reports A.json B.json [--out F]   kappa(A) - kappa(B), paired
    reasonlab judge report --reports A.json ... [--train RUN] --out F.html   calibration page

An action is a sub-command with its own options (``reasonlab judge audit --help``); without
one, the flags judge completions. All input is read and checked before any request or write;
``--cache`` keeps every parsed verdict as it arrives, so an interrupted run resumes where it
stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from reasonlab.core.errors import InputError

ACTIONS = ("audit", "calibrate", "data", "compare", "report")
USAGE = ("reasonlab judge [audit|calibrate|data|compare|report] ...   (each action's own "
         "options: reasonlab judge ACTION --help)")


def add_client_options(p: argparse.ArgumentParser, required: bool = True) -> None:
    """The options of anything that asks a judge: which one, how, and how hard to try."""
    p.add_argument("--judge", required=required,
                   help="the judge: openai:BASE_URL#MODEL, or a local model folder (a "
                        "trained judge's final/), judged in process")
    p.add_argument("--cache", help="SQLite verdict cache (safe to share between processes)")
    p.add_argument("--template", help="a judge template version for its mode, e.g. "
                                      "reference-short-v1 (default: the mode's own, or the one "
                                      "a judge trained by reasonlab was trained on)")
    p.add_argument("--samples", type=int, default=1,
                   help="k judge samples per verdict, majority vote (default 1)")
    p.add_argument("--temperature", type=float,
                   help="judge sampling temperature (default 0, or 0.7 with --samples > 1)")
    p.add_argument("--max-tokens", type=int, default=512,
                   help="judge answer length limit (default 512)")
    p.add_argument("--scale", type=int, default=10, help="rubric mode: grades 1..SCALE "
                                                         "(default 10)")
    p.add_argument("--see-reasoning", action="store_true",
                   help="show the judge the policy's chain of thought too (default: only the "
                        "final answer section)")
    p.add_argument("--swap", action="store_true",
                   help="pairwise: show B first in every other sample (use --samples 2+) so "
                        "the vote cancels position bias")
    p.add_argument("--no-prefilter", action="store_true",
                   help="ask the judge even when no answer can be extracted")
    p.add_argument("--concurrency", type=int, default=8,
                   help="judge requests in flight (default 8)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds per request (default 60)")
    p.add_argument("--retries", type=int, default=4,
                   help="retries on 429/5xx/connection errors (default 4)")
    p.add_argument("--backoff", type=float, default=0.5,
                   help="first retry wait in seconds (default 0.5)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "judge", help="score completions with an LLM judge; audit, calibrate, train data, "
                      "compare, report", usage=USAGE,
        # No abbreviations: the actions' options (--n) would otherwise be read as prefixes
        # of this parser's (--no-progress) before the action's parser sees them.
        allow_abbrev=False,
        description="reasonlab judge --judge SPEC --items F --completions F [--spec FILE] "
                    "[--out FILE]: JSONL verdicts, like `reasonlab verify`. Actions: audit "
                    "(master-key canaries), calibrate (agreement with rule-based truth), data "
                    "(judge training data), compare (two calibration reports, paired), report "
                    "(an HTML page). `reasonlab judge ACTION --help` lists each one's options.")
    # Not required here: argparse would demand it of every action (data, compare, report).
    add_client_options(p, required=False)
    p.add_argument("--items", help="items JSONL; required")
    p.add_argument("--completions", help='JSONL of {"id", "completion"} (pairwise: plus '
                                         '"completion_b"); required')
    p.add_argument("--spec", help="a policy file every item is judged against (spec mode)")
    p.add_argument("--mode", choices=["auto", "reference", "spec", "rubric", "pairwise"],
                   default="auto", help="judge mode (default auto: per item)")
    p.add_argument("--out", help="write the verdicts here (atomically) instead of stdout")
    p.set_defaults(handler=run)
    actions = p.add_subparsers(dest="judge_action", metavar="[ACTION]", prog="reasonlab judge",
                               help="optional; without one, judge --completions")

    audit = actions.add_parser(
        "audit", help="false-positive rates of master-key canary responses",
        description="reasonlab judge audit --judge SPEC [--items F]: how often the judge "
                    "accepts canary responses ('The answer is correct.', a bare ':', …) that "
                    "answer nothing.")
    add_client_options(audit)
    audit.add_argument("--items", help="items JSONL; optional: without it, --n built-in "
                                       "items")
    audit.add_argument("--n", type=int, default=None,
                       help="built-in items when there is no --items (default 8)")
    audit.add_argument("--spec", help="a policy file (spec-mode audit)")
    audit.add_argument("--mode", choices=["auto", "reference", "spec"], default="auto",
                       help="reference or spec (default auto: spec for items with a spec "
                            "and no answer)")
    audit.add_argument("--canaries", help="a file of canary responses, one per line "
                                          "(default: the built-in set)")
    audit.add_argument("--json", action="store_true", help="print the JSON report")
    audit.add_argument("--out", help="also write the JSON report to this file")
    audit.set_defaults(handler=run_audit)

    calibrate = actions.add_parser(
        "calibrate", help="agreement with rule-based ground truth (kappa, with intervals)",
        description="reasonlab judge calibrate --judge SPEC (--items F [--completions F] | "
                    "--data F): the judge's verdicts against the rule verifiers' on the same "
                    "completions.")
    add_client_options(calibrate)
    calibrate.add_argument("--items", help="items JSONL; required unless --data (without "
                                           "--completions, candidates are synthesized)")
    calibrate.add_argument("--completions", help='JSONL of {"id", "completion"} for --items '
                                                 "(optional)")
    calibrate.add_argument("--data", help="a `reasonlab judge data` file (items and "
                                          "candidates in one) instead of --items")
    calibrate.add_argument("--json", action="store_true", help="print the JSON report")
    calibrate.add_argument("--out", help="also write the JSON report to this file (for "
                                         "`judge compare` and `judge report`)")
    calibrate.set_defaults(handler=run_calibrate, mode="reference")

    data = actions.add_parser(
        "data", help="balanced judge training data with truth labels",
        description="reasonlab judge data --task NAME --n N --out F: records of (item, "
                    "candidate completion, label) with labels from the task's rule verifier.")
    data.add_argument("--task", required=True, help="the verifiable task the items come from")
    data.add_argument("--n", type=int, required=True, help="records to write (at least 2)")
    data.add_argument("--out", required=True, help="the JSONL file to write")
    data.add_argument("--force", action="store_true",
                      help="overwrite --out when it exists (refused otherwise)")
    data.add_argument("--difficulty", type=int, nargs="+", metavar="D",
                      help="difficulties, taken in turn (default: the task's lowest)")
    data.add_argument("--seed", type=int, default=0, help="item seed (default 0)")
    data.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                      help="a setting of the task family, as a recipe's tasks[].config "
                           "(e.g. restate=false), read as YAML; repeatable")
    data.add_argument("--exclude", action="append", default=[], metavar="FILE",
                      help="a `judge data` file whose prompts these records must not share "
                           "(held-out data disjoint from training data); repeatable")
    data.add_argument("--policy", help="a policy model (folder or endpoint) whose samples are "
                                       "the candidates, perturbations filling either class")
    data.add_argument("--policy-samples", type=int, default=4,
                      help="samples per item from --policy (default 4)")
    data.add_argument("--prompt-template", default="default",
                      help="the prompt template the policy is given (default, raw, ...)")
    data.add_argument("--no-progress", action="store_true", help="no progress bar")
    data.set_defaults(handler=_data)

    compare = actions.add_parser(
        "compare", help="kappa(A) - kappa(B) on the same pairs, with a paired interval",
        description="reasonlab judge compare --reports A.json B.json [--out F]: two `judge "
                    "calibrate --out` reports of the same (item, completion) pairs.")
    compare.add_argument("--reports", nargs="+", metavar="REPORT",
                         help="two `judge calibrate --out` reports on the same pairs")
    compare.add_argument("--json", action="store_true", help="print the JSON result")
    compare.add_argument("--out", help="also write the JSON result to this file")
    compare.set_defaults(handler=_compare)

    report = actions.add_parser(
        "report", help="an HTML page of calibrations and judge-rewarded runs",
        description="reasonlab judge report [--reports A.json ...] [--train RUN ...] --out "
                    "F.html")
    report.add_argument("--reports", nargs="+", default=[], metavar="REPORT",
                        help="`judge calibrate --out` reports, any number")
    report.add_argument("--train", action="append", default=[], metavar="RUN",
                        help="a training run folder rewarded by a learned judge, or a phased "
                             "SFT run (repeatable)")
    report.add_argument("--out", required=True, help="the HTML file to write")
    report.set_defaults(handler=_report)


def _data(args: argparse.Namespace) -> int:
    from reasonlab.commands.judge_data import run_data

    return run_data(args)


def _compare(args: argparse.Namespace) -> int:
    from reasonlab.commands.judge_data import run_compare

    return run_compare(args)


def _report(args: argparse.Namespace) -> int:
    from reasonlab.commands.judge_data import run_report

    return run_report(args)


def read_cases(path: str, items: dict) -> list:
    from reasonlab.core.completion import Completion
    from reasonlab.core.jsonl import read_jsonl
    from reasonlab.judges.judge import Case

    cases = []
    for number, obj in read_jsonl(path):
        line = Completion.from_dict(obj, file=path, line=number, known_ids=items)
        second = line.extra.get("completion_b")
        if second is not None and not isinstance(second, str):
            raise InputError("must be a string", file=path, line=number, field="completion_b")
        cases.append(Case(items[line.id], line.completion, second))
    return cases


def read_text(path: str, what: str) -> str:
    from reasonlab.core import jsonl

    text = jsonl.read_text(path, field=what)
    if not text.strip():
        raise InputError("is empty", file=path, field=what)
    return text


def make_judge(args: argparse.Namespace, mode: str, spec: str | None):
    from reasonlab.judges.judge import Judge, JudgeSettings
    from reasonlab.judges.local_client import judge_spec_problem
    from reasonlab.judges.templates import template_named

    problem = judge_spec_problem(args.judge)
    if problem is not None:
        raise InputError(problem, field="judge")
    if args.template is not None:
        try:
            template_named(args.template)
        except ValueError as exc:
            raise InputError(str(exc), field="template") from None
    for name in ("samples", "max_tokens", "concurrency", "scale"):
        if getattr(args, name) < 1:
            raise InputError("must be at least 1", field=name.replace("_", "-"))
    if args.retries < 0:
        raise InputError("must be 0 or more", field="retries")
    settings = JudgeSettings(mode=mode, samples=args.samples, temperature=args.temperature,
                             max_tokens=args.max_tokens, scale=args.scale,
                             see_reasoning=args.see_reasoning, prefilter=not args.no_prefilter,
                             spec=spec, swap=args.swap, template=args.template)
    return Judge(args.judge, settings, cache=args.cache, concurrency=args.concurrency,
                 timeout=args.timeout, retries=args.retries, backoff=args.backoff,
                 progress=not args.no_progress)


def client_summary(judge) -> str:
    client = judge.client
    return (f"{client.requests} requests, {client.retries} retries, {client.gave_up} gave up")


def run(args: argparse.Namespace) -> int:
    from reasonlab.core.jsonl import dumps

    if not args.judge:
        raise InputError("is required: reasonlab judge --judge openai:URL#MODEL (or a model "
                         "folder) --items F --completions F", field="judge")
    from reasonlab.verifiers import load_items

    for name in ("items", "completions"):
        if not getattr(args, name):
            raise InputError("is required: reasonlab judge --judge ... --items F "
                             "--completions F", field=name)
    items = {item.id: item for item in load_items(args.items, also=("judge",))}
    cases = read_cases(args.completions, items)
    spec = read_text(args.spec, "spec") if args.spec else None
    judge = make_judge(args, args.mode, spec)
    try:
        results = judge.judge_many(cases)
    finally:
        judge.close()
    from reasonlab.core.jsonl import write_lines

    write_lines(args.out, [dumps(r.to_dict()) + "\n" for r in results])
    counts = Counter(r.verdict.status for r in results)
    summary = ", ".join(f"{counts[s]} {s}" for s in
                        ("correct", "wrong", "unparsable", "timeout", "error") if counts[s])
    cached = sum(r.cached for r in results)
    print(f"judged {len(results)} completions: {summary or 'none'} ({cached} votes from the "
          f"cache, {client_summary(judge)})", file=sys.stderr)
    expected = [(r, c.item.meta.get("expected_verdict")) for r, c in zip(results, cases,
                                                                           strict=True)]
    expected = [(r, e) for r, e in expected if isinstance(e, str)]
    if expected:
        hits = sum(r.verdict.parsed == e for r, e in expected)
        print(f"matches the items' expected_verdict: {hits}/{len(expected)}", file=sys.stderr)
    return 0


def run_audit(args: argparse.Namespace) -> int:
    from reasonlab.judges.canaries import CANARIES, audit, default_items, format_audit
    from reasonlab.verifiers import load_items

    if args.mode not in ("auto", "reference", "spec"):
        raise InputError("the audit runs in reference or spec mode", field="mode")
    if args.n is not None and args.n < 1:
        raise InputError("must be at least 1", field="n")
    items = load_items(args.items, also=("judge",)) if args.items else default_items(args.n or 8)
    spec = read_text(args.spec, "spec") if args.spec else None
    mode = args.mode
    if mode == "auto":
        # Judged items (a spec and no reference answer) are audited against their spec.
        judged = all(i.spec for i in items) and any(i.answer is None for i in items)
        mode = "spec" if spec or judged else "reference"
    for item in items:
        if mode == "reference" and item.answer is None:
            raise InputError(f"item {item.id!r} has no answer for a reference-mode audit",
                             file=args.items, field="answer")
        if mode == "spec" and not (spec or item.spec):
            raise InputError(f"item {item.id!r} has no spec (give --spec FILE)",
                             file=args.items, field="spec")
    canaries = CANARIES
    if args.canaries:
        canaries = tuple(line.rstrip("\n") for line in
                         read_text(args.canaries, "canaries").splitlines() if line.strip())
    judge = make_judge(args, mode, spec)
    try:
        report = audit(judge, items, canaries, mode)
    finally:
        judge.close()
    return report_out(args, report, format_audit(report), judge)


def run_calibrate(args: argparse.Namespace) -> int:
    from reasonlab.judges.calibrate import calibrate, format_calibration, synthesize
    from reasonlab.verifiers import load_items

    if not args.items and not args.data:
        raise InputError("is required: reasonlab judge calibrate --judge ... --items F "
                         "(or --data F)", field="items")
    if args.data:
        from reasonlab.core.item import Item
        from reasonlab.judges.examples import read_records

        pairs = [(Item.from_dict(r["item"]), r["completion"]) for r in read_records(args.data)]
    elif args.completions:
        loaded = load_items(args.items, also=("judge",))
        items = {item.id: item for item in loaded}
        pairs = [(c.item, c.completion) for c in read_cases(args.completions, items)]
    else:
        pairs = synthesize(load_items(args.items, also=("judge",)))
    if not pairs:
        raise InputError("no item has an answer to calibrate against", file=args.items,
                         field="answer")
    judge = make_judge(args, "reference", None)
    try:
        report = calibrate(judge, pairs)
    finally:
        judge.close()
    return report_out(args, report, format_calibration(report), judge)


def report_out(args: argparse.Namespace, report: dict, text: str, judge) -> int:
    from reasonlab.core.jsonl import atomic_writer

    if args.out:
        from reasonlab.commands.judge_data import check_file_out

        check_file_out(args.out)
        with atomic_writer(args.out) as handle:
            handle.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(text)
    print(f"judge traffic: {client_summary(judge)}", file=sys.stderr)
    return 0
