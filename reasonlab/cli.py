"""The ``reasonlab`` command line: argument wiring only. Each command group lives in
``reasonlab/commands/<group>.py`` with ``add_parser(subparsers)``; handlers return an exit code."""

from __future__ import annotations

import argparse
import importlib
import sys

from reasonlab import __version__
from reasonlab.core.errors import ReasonlabError
from reasonlab.core.quiet import silence_dependency_warnings

# One line per command group; order is the order of `reasonlab --help`.
COMMAND_MODULES = [
    "reasonlab.commands.tasks",
    "reasonlab.commands.verify",
    "reasonlab.commands.demo",
    "reasonlab.commands.eval",
    "reasonlab.commands.model",
    "reasonlab.commands.serve",
    "reasonlab.commands.train",
    "reasonlab.commands.judge",
    "reasonlab.commands.report",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reasonlab",
        description="Train models to reason with RL on verifiable rewards; measure how far it "
                    "generalizes.")
    parser.add_argument("--version", action="version", version=f"reasonlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    silence_dependency_warnings()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "no_progress", False):
            from reasonlab.core.quiet import dependency_bars

            # --no-progress: no bar of any dependency's either (loading, saving, tokenizing).
            with dependency_bars(False):
                return int(args.handler(args) or 0)
        return int(args.handler(args) or 0)
    except ReasonlabError as exc:
        # Bad input is one clear line (file:line: field: message), not a traceback.
        print(f"reasonlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reasonlab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
