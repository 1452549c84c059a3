"""``reasonlab demo``: runs the pipeline that exists end to end (see reasonlab/demo.py)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="run the whole pipeline on the CPU in minutes",
        description="Warm-start a tiny model that can reason but by habit does not (SFT: a "
                    "skill phase, then a habit phase), evaluate it, RL-train it on addition, "
                    "evaluate again on the RL-trained task, SFT-only families and a "
                    "never-trained family, and write report.html. Rerun to resume.")
    p.add_argument("--out", default="runs/demo",
                   help="the demo folder (default: runs/demo); rerunning continues it")
    p.add_argument("--fast", action="store_true",
                   help="shorter training and fewer eval items (under 5 minutes), for a quick "
                        "look at the direction of the effect")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the model, the training data and the eval items (default 0)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from reasonlab.demo import run_demo

    return run_demo(out=args.out, fast=args.fast, seed=args.seed)
