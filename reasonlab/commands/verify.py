"""``reasonlab verify --items FILE --completions FILE [--out FILE]``: JSONL verdicts, one per
completion, matched to items by id. All input is read and checked before anything is written."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from reasonlab.errors import InputError


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


def completion_id(obj: dict, path: str, number: int, known_ids) -> str:
    """The ``id`` of one completions line, which must name an item of the items file."""
    cid = obj.get("id")
    if not isinstance(cid, str) or not cid:
        raise InputError("is required and must be a string", file=path, line=number,
                         field="id")
    if cid not in known_ids:
        raise InputError(f"no item with id {cid!r} in the items file", file=path,
                         line=number, field="id")
    return cid


def write_lines(out: str | None, lines: list[str]) -> None:
    """JSONL results to ``out`` atomically (nothing half-written), or to stdout."""
    from reasonlab.jsonl import atomic_writer

    if out:
        with atomic_writer(out) as handle:
            handle.writelines(lines)
    else:
        sys.stdout.writelines(lines)
        sys.stdout.flush()


def read_completions(path: str, known_ids: set[str]) -> list[tuple[str, str]]:
    from reasonlab.jsonl import read_jsonl

    pairs = []
    for number, obj in read_jsonl(path):
        cid = completion_id(obj, path, number, known_ids)
        completion = obj.get("completion")
        if not isinstance(completion, str):
            raise InputError("is required and must be a string", file=path, line=number,
                             field="completion")
        pairs.append((cid, completion))
    return pairs


def run(args: argparse.Namespace) -> int:
    from reasonlab.jsonl import dumps
    from reasonlab.tasks import load_items
    from reasonlab.verifiers import close_all, get_verifier, verify_many

    items = {item.id: item for item in load_items(args.items)}
    completions = read_completions(args.completions, set(items))
    if args.verifier:
        get_verifier(args.verifier)  # an unknown verifier is bad input, not N error verdicts
    from reasonlab.verifiers.code import preflight
    preflight([args.verifier] if args.verifier else [i.verifier for i in items.values()],
              unsafe=args.unsafe_no_sandbox)  # no sandbox for code items: one line, exit 2
    try:
        verdicts = verify_many([(items[cid], text) for cid, text in completions],
                               verifier=args.verifier, progress=True)
    finally:
        close_all()
    write_lines(args.out, [dumps(v.to_dict()) + "\n" for v in verdicts])
    counts = Counter(v.status for v in verdicts)
    summary = ", ".join(f"{counts[s]} {s}" for s in
                        ("correct", "wrong", "unparsable", "timeout", "error") if counts[s])
    print(f"verified {len(verdicts)} completions: {summary or 'none'}", file=sys.stderr)
    return 0
