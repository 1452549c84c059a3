"""``reasonlab report RUN [RUN ...] [--baseline RUN] [--train DIR] [--prices IN,OUT] [--out DIR]``:
one self-contained HTML page (plots embedded) from eval run folders; RUN may also be a demo
folder (with demo.json). More RUNs (models, or thinking budgets of one) go on the cost
frontier."""

from __future__ import annotations

import argparse
import math
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="write report.html + plots/*.png from eval run folders",
        description="reasonlab report RUN [RUN ...] [--baseline RUN] [--train DIR] [--prices "
                    "IN,OUT] [--out DIR]   writes report.html and plots/*.png (into RUN unless "
                    "--out). RUN is an eval run folder, or a demo folder (rl vs base, with "
                    "rl-train); more RUNs go on the cost frontier.")
    p.add_argument("run", metavar="RUN", help="an eval run folder, or a demo folder")
    p.add_argument("more", metavar="RUN", nargs="*",
                   help="more eval run folders (other models, or budgets of one) for the cost "
                        "frontier; runs of other suites are compared on their shared cells")
    p.add_argument("--prices", metavar="IN,OUT",
                   help="USD per 1M input,output tokens: the frontier in dollars too")
    p.add_argument("--baseline", metavar="RUN", help="the eval run to compare against")
    p.add_argument("--train", metavar="DIR", help="the training run (reasonlab train --out DIR)")
    p.add_argument("--out", metavar="DIR", help="where to write report.html and plots/")
    p.add_argument("--title", help="the page title")
    p.add_argument("--trained-tasks", metavar="A,B",
                   help="comma-separated tasks (or domains) trained on; default: from "
                        "demo.json, the run's summary or the training recipe")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from reasonlab.core.errors import ConfigError
    from reasonlab.report import write_report

    names = [t.strip() for t in (args.trained_tasks or "").split(",") if t.strip()] or None
    prices = None
    if args.prices:
        try:
            prices = tuple(float(x) for x in args.prices.split(","))
        except ValueError:
            prices = ()
        if len(prices) != 2 or not all(math.isfinite(x) and x >= 0 for x in prices):
            raise ConfigError(f"expects two non-negative numbers IN,OUT, got {args.prices!r}",
                              field="--prices")
    path = write_report(args.run, baseline=args.baseline, train=args.train, out=args.out,
                        title=args.title, trained_tasks=names,
                        warn=lambda message: print(f"warning: {message}", file=sys.stderr),
                        extra=args.more, prices=prices)
    print(f"report: {path}", file=sys.stderr)
    print(path)
    return 0
