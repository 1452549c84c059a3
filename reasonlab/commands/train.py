"""``reasonlab train sft|rl|judge --config NAME|FILE --out DIR [--max-steps N] [--resume]``."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="SFT warm start and GRPO-family RL on verifier rewards")
    tsub = p.add_subparsers(dest="train_command", metavar="KIND", required=True)
    for kind, text in (("sft", "supervised warm start on teacher traces (completion-only loss)"),
                       ("rl", "GRPO-family RL with rewards from reasonlab verifiers"),
                       ("judge", "SFT of a generative judge (reasons, then one verdict line) "
                                 "on candidates labelled by rule verifiers")):
        q = tsub.add_parser(kind, help=text)
        names = ", ".join(recipes_of(kind)) or "none"
        q.add_argument("--config", required=True,
                       help=f"a built-in {kind} recipe ({names}) or a recipe YAML file")
        q.add_argument("--out", required=True, help="the run folder (model in DIR/final/)")
        q.add_argument("--max-steps", type=int, default=None,
                       help="override the recipe's max_steps")
        q.add_argument("--resume", action="store_true",
                       help="continue from the newest valid checkpoint in --out")
        q.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a recipe field, e.g. trl.learning_rate=1e-4 (repeatable)")
        q.add_argument("--no-progress", action="store_true",
                       help="no progress bars (transformers' and datasets' included); the "
                            "one-line step reports stay")
        q.add_argument("--chat-template", choices=["auto", "on", "off"], default=None,
                       help="prompt through the model's chat template (the recipe's "
                            "prompt.chat): auto = when the template adds role markup, as an "
                            "instruct model's does; the form used is recorded in config.yaml")
        q.set_defaults(handler=run, kind=kind)


def recipes_of(kind: str) -> list[str]:
    """The built-in recipes of one kind (read from their ``kind:`` line, without validating:
    this runs for every `reasonlab` command line)."""
    from importlib import resources

    import yaml

    names = []
    for entry in sorted((resources.files("reasonlab") / "recipes").iterdir(),
                        key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            if isinstance(data, dict) and data.get("kind") == kind:
                names.append(entry.name.removesuffix(".yaml"))
    return names


def run(args: argparse.Namespace) -> int:
    from reasonlab.core.errors import ConfigError
    from reasonlab.train.config import load_recipe

    if args.max_steps is not None and args.max_steps < 1:
        raise ConfigError(f"must be at least 1, got {args.max_steps}", field="--max-steps")
    overrides = list(args.set)
    if args.chat_template is not None:
        value = {"on": "true", "off": "false"}.get(args.chat_template, "auto")
        overrides.append(f"prompt.chat={value}")
    recipe = load_recipe(args.config, overrides, kind=args.kind)
    if args.kind == "rl":
        from reasonlab.train.rl import train_rl

        final = train_rl(recipe, args.out, max_steps=args.max_steps, resume=args.resume)
    elif args.kind == "judge":
        from reasonlab.train.judge_train import train_judge

        final = train_judge(recipe, args.out, max_steps=args.max_steps, resume=args.resume)
    else:
        from reasonlab.train.sft import train_sft

        final = train_sft(recipe, args.out, max_steps=args.max_steps, resume=args.resume)
    from reasonlab.train.runfolder import process_state

    if process_state().is_main_process:     # once, not once per process of a launch
        print(f"reasonlab: model saved to {final}")
    return 0
