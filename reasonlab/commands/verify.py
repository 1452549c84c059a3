"""``reasonlab verify --items FILE --completions FILE [--out FILE]``: JSONL verdicts, one per
completion, matched to items by id. All input is read and checked before anything is written."""

from __future__ import annotations

import argparse
import sys
from collections import Counter


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="score completions against items (JSONL verdicts)")
    p.add_argument("--items", required=True, help="items JSONL (id, answer, verifier, ...)")
    p.add_argument("--completions", required=True, help='JSONL of {"id", "completion"}')
    p.add_argument("--out", help="write verdicts here (atomically) instead of stdout")
    p.add_argument("--verifier", help="use this verifier for every item (e.g. 'exact', "
                                      "'0.9*math+0.1*format') instead of each item's own")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run code items' programs without the bubblewrap sandbox (only for "
                        "code you trust; without it, a machine lacking bubblewrap is refused)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from reasonlab.core.completion import read_completions
    from reasonlab.core.jsonl import dumps, write_lines
    from reasonlab.verifiers import close_all, get_verifier, load_items, verify_many

    # Items may carry the options of the verifier that --verifier runs instead of their own.
    also = [args.verifier] if args.verifier else []
    items = {item.id: item for item in load_items(args.items, also=also)}
    completions = read_completions(args.completions, items)
    if args.verifier:
        get_verifier(args.verifier)  # an unknown verifier is bad input, not N error verdicts
    from reasonlab.verifiers.code import preflight
    preflight([args.verifier] if args.verifier else [i.verifier for i in items.values()],
              unsafe=args.unsafe_no_sandbox)  # no sandbox for code items: one line, exit 2
    try:
        verdicts = verify_many([(items[c.id], c.completion) for c in completions],
                               verifier=args.verifier, progress=True)
    finally:
        close_all()
    write_lines(args.out, [dumps(v.to_dict()) + "\n" for v in verdicts])
    counts = Counter(v.status for v in verdicts)
    summary = ", ".join(f"{counts[s]} {s}" for s in
                        ("correct", "wrong", "unparsable", "timeout", "error") if counts[s])
    print(f"verified {len(verdicts)} completions: {summary or 'none'}", file=sys.stderr)
    return 0
