"""``reasonlab tasks list|show|sample``."""

from __future__ import annotations

import argparse
import json
import sys

from reasonlab.core.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="list, describe and sample task families")
    tsub = p.add_subparsers(dest="tasks_command", metavar="ACTION", required=True)

    ls = tsub.add_parser("list", help="one task a line: name, domain, difficulty range")
    ls.add_argument("--builtin", action="store_true", help="only the built-in families")
    ls.set_defaults(handler=run_list)

    show = tsub.add_parser("show", help="describe one task and show an example item")
    show.add_argument("name", help="a task name (see `reasonlab tasks list`), gym:NAME or "
                                   "file:PATH")
    show.add_argument("--difficulty", type=int, default=None,
                      help="difficulty of the example (default: the lowest)")
    show.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                      help="override a config field of the family")
    show.set_defaults(handler=run_show)

    sample = tsub.add_parser("sample", help="JSONL items on stdout (deterministic)")
    sample.add_argument("name", help="a task name (see `reasonlab tasks list`), gym:NAME or "
                                     "file:PATH")
    sample.add_argument("--n", type=int, default=5, help="how many items (default 5)")
    sample.add_argument("--difficulty", type=int, default=1, help="difficulty level (default 1)")
    sample.add_argument("--seed", type=int, default=0,
                        help="item seed: the same seed gives the same items (default 0)")
    sample.add_argument("--start", type=int, default=0, help="index of the first item")
    sample.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config field of the family (value read as JSON)")
    sample.add_argument("--no-teacher", action="store_true", help="omit teacher traces")
    sample.set_defaults(handler=run_sample)


def parse_overrides(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE, got {pair!r}", field="set")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def run_list(args: argparse.Namespace) -> int:
    from reasonlab.tasks import list_tasks

    for info in list_tasks(include_prefixes=not args.builtin):
        print(f"{info.name}\t{info.domain}\t{info.min_difficulty}-{info.max_difficulty}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from reasonlab.tasks import get_task
    from reasonlab.verifiers import check_task

    task = get_task(args.name, **parse_overrides(args.set))
    check_task(task)
    difficulty = args.difficulty or task.min_difficulty
    item = task.item(0, difficulty, 0)
    print(f"name:         {task.name}")
    print(f"domain:       {task.domain}")
    print(f"difficulties: {task.min_difficulty}..{task.max_difficulty}")
    print(f"verifier:     {item.verifier}")
    doc = (task.description or type(task).__doc__ or "").strip()
    if doc:
        print(f"about:        {doc}")
    print(f"versions:     {json.dumps(task.versions())}")
    print(f"\nexample (difficulty {difficulty}):")
    print(json.dumps(item.to_dict(), ensure_ascii=False, indent=2))
    return 0


def run_sample(args: argparse.Namespace) -> int:
    from reasonlab.core.jsonl import dumps
    from reasonlab.tasks import get_task
    from reasonlab.verifiers import check_task

    task = get_task(args.name, **parse_overrides(args.set))
    check_task(task)
    items = task.sample(args.n, args.difficulty, seed=args.seed, start=args.start)
    out = sys.stdout
    for item in items:
        if args.no_teacher:
            item.teacher = None
        out.write(dumps(item.to_dict()) + "\n")
    out.flush()
    return 0
