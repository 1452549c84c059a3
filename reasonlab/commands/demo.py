"""``reasonlab demo``: runs the pipeline that exists end to end (see reasonlab/demo.py)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline on the CPU in minutes")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--fast", action="store_true", help="fewer items, for a quick look")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from reasonlab.demo import run_demo

    return run_demo(out=args.out, fast=args.fast, seed=args.seed)
