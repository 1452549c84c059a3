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


def check_file_out(path: str) -> None:
    """``--out`` names a file to write: a folder there, or a missing parent, is one line."""
    from pathlib import Path

    out = Path(path)
    if out.is_dir():
        raise InputError("is a folder; give a file name", file=path, field="--out")
    if not out.parent.is_dir():
        raise InputError("its folder does not exist", file=path, field="--out")


def check_args(args: argparse.Namespace):
    """The task and its difficulties, or an ``InputError`` naming the option."""
    from reasonlab.tasks import get_task

    if args.n is None or args.n < 2:
        raise InputError(f"must be at least 2 (one record of each class), got {args.n}",
                         field="n")
    out = Path(args.out)
    if out.is_dir():
        raise InputError("is a folder; give a file name", file=args.out, field="out")
    if not out.parent.is_dir():
        raise InputError("its folder does not exist", file=args.out, field="out")
    if out.exists() and not args.force:
        raise InputError("exists; pass --force to overwrite it, or choose another --out",
                         file=args.out, field="out")
    if args.policy_samples < 1:
        raise InputError("must be at least 1", field="policy-samples")
    args.task_config = task_config(args.config)
    try:
        task = get_task(args.task, **args.task_config)
    except (ConfigError, KeyError, ValueError) as exc:
        raise InputError(getattr(exc, "message", str(exc)), field="task") from None
    args.excluded = excluded_prompts(args.exclude)
    difficulties = args.difficulty or [task.min_difficulty]
    for d in difficulties:
        try:
            task.check_difficulty(d)
        except ConfigError as exc:
            raise InputError(exc.message, field="difficulty") from None
    if args.policy:
        from reasonlab.core.prompting import resolve_template
        from reasonlab.evaluate.model_loading import check_model_spec

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


def task_config(pairs: list[str]) -> dict:
    """``--config KEY=VALUE`` settings of the task family, values read as YAML."""
    from reasonlab.core.yamlfile import parse_yaml

    config = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise InputError(f"expected KEY=VALUE (e.g. restate=false), got {pair!r}",
                             field="config")
        config[key], _ = parse_yaml(text, source="--config")
    return config


def excluded_prompts(paths: list[str]) -> set[str]:
    """The item prompts of `judge data` files the new records must not share."""
    from reasonlab.judges.examples import read_records

    prompts: set[str] = set()
    for path in paths:
        prompts.update(str(r["item"]["prompt"]) for r in read_records(path))
    return prompts


def run_data(args: argparse.Namespace) -> int:
    from reasonlab.core.jsonl import atomic_writer, dumps
    from reasonlab.judges.data import judge_data

    difficulties = check_args(args)
    try:
        records = judge_data(args.task, difficulties, args.n, args.seed, policy=args.policy,
                             samples=args.policy_samples, template=args.prompt_template,
                             config=args.task_config, exclude=args.excluded)
    except ValueError as exc:
        raise InputError(str(exc), field="exclude" if args.excluded else "task") from None
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
    if args.out:
        check_file_out(args.out)
    reports = read_reports(args.reports)
    try:
        result = compare(*reports)
    except ValueError as exc:
        raise InputError(str(exc), file=args.reports[1], field="truth") from None
    if args.out:
        from reasonlab.core.jsonl import atomic_writer

        with atomic_writer(args.out) as handle:
            handle.write(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        why = result["undefined"]

        def show(key, sign=""):
            x = result[key]
            if x is None:
                return f"n/a ({why[key]})" if key in why else "n/a"
            return f"{x:{sign}.3f}"

        ci = result["ci95"]
        print(f"on {result['pairs']} pairs: kappa A {show('kappa_a')}, B "
              f"{show('kappa_b')}; A - B {show('difference', '+')} "
              + (f"[{ci[0]:+.3f}, {ci[1]:+.3f}] (95% paired bootstrap)" if ci else
                 "(95% CI n/a)"))
        print(f"  A: {result['a']}\n  B: {result['b']}")
        if args.out:
            print(f"  written to {args.out}")
    return 0


def check_train_folder(run: str) -> None:
    """A training run folder: one with metrics.jsonl, or a phased SFT run (its phases have
    them); anything else is one line saying what it is not."""
    folder = Path(run)
    if (folder / "metrics.jsonl").is_file() or any((folder / "phases").glob("*/metrics.jsonl")):
        return
    raise InputError("not a training run folder (no metrics.jsonl, no phases/*/metrics.jsonl)",
                     file=run, field="train")


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

    check_file_out(args.out)
    if not args.reports and not args.train:
        raise InputError("give --reports and/or --train", field="reports")
    reports = read_reports(args.reports or [])
    for run in args.train:
        check_train_folder(run)
    page = write_page([(Path(p).stem, r) for p, r in zip(args.reports or [], reports,
                                                          strict=True)], args.train, args.out)
    print(f"reasonlab: judge report written to {page}", file=sys.stderr)
    return 0
