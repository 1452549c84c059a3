"""``reasonlab eval``: run a suite against a model into a resumable run folder, and
``reasonlab eval transfer BASE TRAINED --trained-tasks a,b``: the transfer between two runs."""

from __future__ import annotations

import argparse
import json
import sys

from reasonlab.core.errors import ConfigError
from reasonlab.core.summary import Calibration, Overall, Summary, summary_path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="evaluate a model on a suite (accuracy, calibration, compute, transfer)",
        description="reasonlab eval --model SPEC --suite NAME|FILE --out DIR   runs the suite "
                    "(rerun the same command to resume);  reasonlab eval transfer BASE TRAINED "
                    "--trained-tasks a,b   compares two run folders (see `reasonlab eval "
                    "transfer --help`)")
    p.add_argument("--model", help="a local checkpoint folder or openai:BASE_URL#MODEL")
    p.add_argument("--suite", help="a built-in suite (smoke, generalization) or a suite YAML file")
    p.add_argument("--out", help="run folder (created; an existing one is resumed)")
    p.add_argument("--limit", type=int, help="at most this many items per task × difficulty")
    p.add_argument("--batch-size", type=int, default=64, help="prompts per generate call")
    p.add_argument("--max-tokens", type=int, help="override the suite's max_tokens")
    p.add_argument("--temperature", type=float, help="override the suite's temperature")
    p.add_argument("--samples", type=int, help="samples per item (all tasks)")
    p.add_argument("--items", type=int, help="items per task × difficulty (all tasks)")
    p.add_argument("--seed", type=int, help="override the suite's seed")
    p.add_argument("--template", help="override the suite's prompt template: default, raw, or a "
                                      "str.format string with {prompt}")
    p.add_argument("--confidence", action="store_true", default=None,
                   help="ask for a verbalized 'Confidence: NN%%' line")
    p.add_argument("--budgets", help="thinking budgets to sweep, e.g. 16,32,64 (local models)")
    p.add_argument("--prices", help="USD per 1M input,output tokens, e.g. 0.15,0.60")
    p.add_argument("--baseline", help="a base run folder: add the transfer to this summary")
    p.add_argument("--trained-tasks", help="comma-separated tasks (or domains) trained on")
    p.add_argument("--threads", type=int, help="CPU threads for a local model (default: 1 "
                                               "for models under 20M parameters, else torch's)")
    p.add_argument("--chat-template", choices=["auto", "on", "off"], default="auto",
                   help="prompt through the model's chat template: auto (default) when the "
                        "template adds role markup (an instruct model's), on, off; endpoints: "
                        "off uses /completions. Recorded in config.yaml")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)
    # Optional sub-command: `reasonlab eval --model ...` stays as it is.
    actions = p.add_subparsers(dest="eval_action", metavar="[transfer]",
                               help="optional sub-command; without one, eval runs the suite")
    t = actions.add_parser(
        "transfer", help="compare two run folders of the same suite (writes transfer.json)",
        description="reasonlab eval transfer BASE TRAINED --trained-tasks a,b: per task the "
                    "accuracy change TRAINED - BASE with a 95% interval, the in-domain and "
                    "out-of-domain groups and the transferability index; prints the table and "
                    "writes TRAINED/transfer.json (or --out)")
    t.add_argument("base", help="the run folder of the model before training")
    t.add_argument("trained", help="the run folder of the trained model (same suite)")
    # SUPPRESS: without it argparse would overwrite a value given before `transfer` with None.
    t.add_argument("--trained-tasks", default=argparse.SUPPRESS,
                   help="comma-separated tasks (or domains) trained on; the rest are "
                        "out-of-domain")
    t.add_argument("--out", default=argparse.SUPPRESS,
                   help="where to write the JSON (default: TRAINED/transfer.json)")
    t.set_defaults(handler=run_transfer)


def _numbers(text: str | None, flag: str, kind: type, count: int | None = None) -> list | None:
    if text is None:
        return None
    try:
        values = [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"expects comma-separated numbers, got {text!r}", field=flag) from None
    if not values or (count is not None and len(values) != count):
        raise ConfigError(f"expects {count or 'some'} comma-separated numbers, got {text!r}",
                          field=flag)
    if any(v < 0 for v in values):
        raise ConfigError(f"values must be non-negative, got {text!r}", field=flag)
    return values


def _names(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def run(args: argparse.Namespace) -> int:
    missing = [flag for flag, value in (("--model", args.model), ("--suite", args.suite),
                                        ("--out", args.out)) if not value]
    if missing:
        raise ConfigError("is required (reasonlab eval --model SPEC --suite NAME|FILE --out DIR)",
                          field=missing[0])
    from reasonlab.evaluate.runner import run_eval
    from reasonlab.evaluate.suite import load_suite

    budgets = _numbers(args.budgets, "--budgets", int)
    if budgets is not None and min(budgets) < 1:
        raise ConfigError("budgets must be at least 1 token", field="--budgets")
    prices = _numbers(args.prices, "--prices", float, count=2)
    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"must be at least 1, got {args.threads}", field="--threads")
    suite = load_suite(args.suite, limit=args.limit, max_tokens=args.max_tokens,
                       temperature=args.temperature, samples=args.samples, items=args.items,
                       seed=args.seed, confidence=args.confidence, thinking_budgets=budgets,
                       template=args.template)
    if args.trained_tasks and not args.baseline:
        raise ConfigError("needs --baseline RUN (the run to compare against)",
                          field="--trained-tasks")
    summary = run_eval(args.model, suite, args.out, batch_size=args.batch_size,
                       prices=tuple(prices) if prices else None, progress=not args.no_progress,
                       baseline=args.baseline, trained_tasks=_names(args.trained_tasks),
                       threads=args.threads, chat_template=args.chat_template,
                       announce=lambda text: print(f"reasonlab: {text}", file=sys.stderr,
                                                   flush=True))
    print_summary(summary, args.out)
    warn_about(args.out, summary, suite.max_tokens)
    if summary.generation_errors:
        from reasonlab.evaluate.runner import EvalIncomplete

        raise EvalIncomplete(f"{summary.generation_errors} samples failed to generate (see "
                             f"'error' in {args.out}/samples.jsonl); the run is incomplete - "
                             "rerun the same command to retry them")
    return 0


def warn_about(out: str, summary: Summary, max_tokens: int) -> None:
    """Warn when most completions are empty or lack the answer block (evaluate/health.py)."""
    from pathlib import Path

    from reasonlab.evaluate.health import completion_warnings
    from reasonlab.evaluate.runfolder import SAMPLES, read_samples

    rows = read_samples(Path(out) / SAMPLES)
    for message in completion_warnings(rows, summary.model.get("prompt_form"), max_tokens):
        print(f"warning: {message}", file=sys.stderr)


def _pct(value: float | None) -> str:
    return "  n/a" if value is None else f"{100 * value:5.1f}"


def _at_k(out: str) -> tuple[int, dict[str, tuple[float, float]]]:
    """(K, {task: (pass@K, maj@K)}) over the run's samples; K = 1 when items have one sample."""
    from collections import defaultdict
    from pathlib import Path

    from reasonlab.evaluate.runfolder import SAMPLES, read_samples
    from reasonlab.evaluate.scaling import samples_curve

    by_task: dict[str, list[dict]] = defaultdict(list)
    for row in read_samples(Path(out) / SAMPLES):
        by_task[row["task"]].append(row)
    curves = {name: samples_curve(rows) for name, rows in by_task.items()}
    curves["overall"] = samples_curve([r for rows in by_task.values() for r in rows])
    k = max((c["k"][-1] for c in curves.values() if c["k"]), default=1)
    return k, {name: (c["pass_at_k"][-1], c["maj_at_k"][-1])
               for name, c in curves.items() if c["k"] and c["k"][-1] == k}


def _whole(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}"


def _cal(cal: Calibration, key: str, fmt) -> str:
    """A calibration figure, or "n/a (why)" where the summary records it as undefined."""
    value = getattr(cal, key)
    if value is None:
        return f"n/a ({cal.undefined.get(key, 'undefined')})"
    text = fmt(value).strip()
    return f"{text}%" if fmt is _pct else text


def print_summary(summary: Summary, out: str) -> None:
    """A short table on stderr (with pass@k and maj@k when items have several samples); the
    full numbers are in summary.json."""
    pct, err = _pct, sys.stderr
    k, at_k = _at_k(out)
    extra = f"{f'pass@{k}':>8}{f'maj@{k}':>7}" if k > 1 else ""
    print(f"{'task':<22}{'acc%':>6}  {'95% CI':>13}{'flex%':>7}{'fmt%':>6}{'n':>6}"
          f"{'distinct':>9}{'err':>5}"
          f"{'think':>7}{'thinks%':>8}{extra}", file=err)
    rows: list[tuple[str, Overall]] = list(summary.tasks.items())
    if summary.overall is not None:
        rows.append(("overall", summary.overall))
    for name, block in rows:
        ci = block.ci95
        ci_text = f"{pct(ci[0])}-{pct(ci[1]).strip()}" if ci else "n/a"
        think = block.mean_thinking_tokens
        rate = block.think_rate
        scaled = ""
        if k > 1:
            passed, voted = at_k.get(name, (None, None))
            scaled = f"{pct(passed):>8}{pct(voted):>7}"
        print(f"{name:<22}{pct(block.accuracy):>6}  {ci_text:>13}"
              f"{pct(block.flexible_accuracy):>7}{_whole(block.format_rate):>6}{block.n:>6}"
              f"{'n/a' if block.n_distinct is None else block.n_distinct:>9}"
              f"{block.errors + block.timeouts:>5}"
              f"{'' if think is None else f'{think:.0f}':>7}"
              f"{'n/a' if rate is None else f'{100 * rate:.0f}':>8}{scaled}", file=err)
    cal = summary.calibration
    if cal is not None and cal.n:
        print(f"calibration (n={cal.n}): ece {_cal(cal, 'ece', pct)}, brier "
              f"{_cal(cal, 'brier', lambda v: f'{v:.3f}')}, rms(hle) "
              f"{_cal(cal, 'rms_hle', pct)}", file=err)
    if summary.transfer is not None:
        index = summary.transfer.transferability_index
        print(f"transferability index: {'undefined' if index is None else f'{index:.2f}'} "
              f"{summary.transfer.transferability_note}", file=err)
    print(f"summary: {summary_path(out)}", file=err)


def print_transfer(result: dict) -> None:
    """The per-task transfer table (accuracy points, 95% interval of the change) on stdout:
    it is what the command reports (the JSON goes to a file)."""
    pct, err = _pct, sys.stdout
    print(f"{'task':<22}{'':>4}{'base%':>7}{'trained%':>9}{'Δ pts':>7}  {'95% CI of Δ':>15}",
          file=err)

    def line(name: str, where: str, base, trained, delta, ci) -> None:
        ci_text = f"[{pct(ci[0]).strip()}, {pct(ci[1]).strip()}]" if ci else "n/a"
        print(f"{name:<22}{where:>4}{pct(base):>7}{pct(trained):>9}"
              f"{'n/a' if delta is None else f'{100 * delta:+.1f}':>7}  {ci_text:>15}",
              file=err)

    for name, t in result["tasks"].items():
        line(name, "in" if t["in_domain"] else "out", t["base_accuracy"], t["trained_accuracy"],
             t["delta"], t["ci95"])
    for label, key in (("in-domain", "in_domain"), ("out-of-domain", "out_of_domain")):
        g = result[key]
        line(f"{label} (mean)", "", g["base_accuracy"], g["trained_accuracy"], g["delta"], None)
    if result.get("missing"):
        print(f"in only one run (left out): {', '.join(result['missing'])}", file=err)


def run_transfer(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reasonlab.core.jsonl import atomic_writer
    from reasonlab.evaluate.transfer import transfer

    result = transfer(args.base, args.trained, trained_tasks=_names(args.trained_tasks))
    out = Path(args.out) if args.out else Path(args.trained) / "transfer.json"
    with atomic_writer(out) as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    print_transfer(result)
    index = result["transferability_index"]
    print(f"transferability index: {'undefined' if index is None else f'{index:.3f}'}"
          f"{' (' + result['transferability_note'] + ')' if result['transferability_note'] else ''}"
          f"; written to {out}")
    return 0
