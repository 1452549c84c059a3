"""The trained-judge actions of ``reasonlab judge``: ``data`` (balanced judge training data with
truth labels from the rule verifiers, ``reasonlab.judges.data``), ``compare`` (two calibration
reports, paired) and ``report`` (an HTML page of calibrations and judge-rewarded runs). Every
option is checked before anything is generated or written; files are written atomically."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from reasonlab.core.errors import ConfigError, InputError


def check_args(args: argparse.Namespace):
    """The task and its difficulties, or an ``InputError`` naming the option."""
    from reasonlab.tasks import get_task

    if not args.task:
        raise InputError("is required: reasonlab judge data --task NAME --n N --out F",
                         field="task")
    if args.n is None or args.n < 2:
        raise InputError(f"must be at least 2 (one record of each class), got {args.n}",
                         field="n")
    if not args.out:
        raise InputError("is required: the JSONL file to write", field="out")
    out = Path(args.out)
    if out.is_dir():
        raise InputError("is a folder; give a file name", file=args.out, field="out")
    if not out.parent.is_dir():
        raise InputError("its folder does not exist", file=args.out, field="out")
    if args.policy_samples < 1:
        raise InputError("must be at least 1", field="policy-samples")
    try:
        task = get_task(args.task)
    except (ConfigError, KeyError, ValueError) as exc:
        raise InputError(getattr(exc, "message", str(exc)), field="task") from None
    difficulties = args.difficulty or [task.min_difficulty]
    for d in difficulties:
        try:
            task.check_difficulty(d)
        except ConfigError as exc:
            raise InputError(exc.message, field="difficulty") from None
    if args.policy:
        from reasonlab.core.prompting import resolve_template
        from reasonlab.evaluate.runner import check_model_spec

        try:
            check_model_spec(args.policy)
        except InputError as exc:
            raise InputError(exc.message, file=exc.file, field="policy") from None
        try:
            resolve_template(args.prompt_template)
        except ConfigError as exc:
            raise InputError(exc.message, field="prompt-template") from None
    if not task.sample(1, difficulties[0], seed=args.seed)[0].answer:
        raise InputError(f"task {args.task!r} has no reference answers to label with",
                         field="task")
    return difficulties


def run_data(args: argparse.Namespace) -> int:
    from reasonlab.core.jsonl import atomic_writer, dumps
    from reasonlab.judges.data import judge_data

    difficulties = check_args(args)
    records = judge_data(args.task, difficulties, args.n, args.seed, policy=args.policy,
                         samples=args.policy_samples, template=args.prompt_template)
    with atomic_writer(args.out) as handle:
        for i, record in enumerate(records):
            handle.write(dumps(record.to_dict(i)) + "\n")
    right = sum(r.label for r in records)
    kinds = Counter(r.kind for r in records)
    sources = Counter(r.source for r in records)
    print(f"wrote {len(records)} records to {args.out}: {right} right, {len(records) - right} "
          f"wrong; kinds {dict(sorted(kinds.items()))}; sources {dict(sources)}",
          file=sys.stderr)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """``reasonlab judge compare --reports A B``: κ(A) − κ(B) on the same pairs, with the
    paired bootstrap interval (``reasonlab.judges.agreement``)."""
    import json

    from reasonlab.judges.agreement import compare

    if not args.reports or len(args.reports) != 2:
        raise InputError("takes two reports: reasonlab judge compare --reports A.json B.json",
                         field="reports")
    reports = read_reports(args.reports)
    try:
        result = compare(*reports)
    except ValueError as exc:
        raise InputError(str(exc), file=args.reports[1], field="truth") from None
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        def show(x, sign=""):
            return "n/a" if x is None else f"{x:{sign}.3f}"

        ci = result["ci95"]
        print(f"on {result['pairs']} pairs: kappa A {show(result['kappa_a'])}, B "
              f"{show(result['kappa_b'])}; A - B {show(result['difference'], '+')} "
              + (f"[{ci[0]:+.3f}, {ci[1]:+.3f}] (95% paired bootstrap)" if ci else
                 "(95% CI n/a)"))
        print(f"  A: {result['a']}\n  B: {result['b']}")
    return 0


def read_reports(paths: list[str]) -> list[dict]:
    """``judge calibrate --out`` reports, each checked: one line naming the file otherwise."""
    import json

    from reasonlab.core import jsonl

    reports = []
    for path in paths:
        try:
            report = json.loads(jsonl.read_text(path, field="reports"))
        except ValueError as exc:
            raise InputError(f"not a JSON report: {exc}", file=path, field="reports") from None
        if not isinstance(report, dict) or not isinstance(report.get("said"), str):
            raise InputError("not a `judge calibrate --out` report of this version (no "
                             "'said' field)", file=path, field="said")
        reports.append(report)
    return reports


def run_report(args: argparse.Namespace) -> int:
    """``reasonlab judge report``: calibration reports and judge-rewarded runs on one page."""
    from reasonlab.report.judges import write_page

    if not args.out:
        raise InputError("is required: the HTML file to write", field="out")
    if not args.reports and not args.train:
        raise InputError("give --reports and/or --train", field="reports")
    reports = read_reports(args.reports or [])
    for run in args.train:
        if not (Path(run) / "metrics.jsonl").is_file():
            raise InputError("not a training run folder (no metrics.jsonl)", file=run,
                             field="train")
    page = write_page([(Path(p).stem, r) for p, r in zip(args.reports or [], reports,
                                                          strict=True)], args.train, args.out)
    print(f"reasonlab: judge report written to {page}", file=sys.stderr)
    return 0
