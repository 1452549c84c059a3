"""Math verifications per second: reasonlab's ``math`` verifier (strict extraction, guards, a
pool of one math-verify worker per core, the reference parsed once per worker, a deadline per
call) against math-verify called directly in one process — ``parse(gold)``, ``parse(answer)``,
``verify`` per pair, with its default timeouts — on the same 2,000 pairs, side by side.

The pairs look like RL traffic: 250 references of mixed kinds (integers, fractions, decimals,
sets, intervals, surds, polynomials) × 8 sampled completions each, as in a GRPO group: equal
forms, wrong values, hedges ("a or b"), boxed answers, now and then no answer block. The direct
baseline gets the same answer text reasonlab extracts (wrapped in ``$…$``, as reasonlab passes
it), extracted outside its timing, so it pays for math-verify only. The main row has the pool
started already; the ``_cold`` row pays for starting it too.
"""

from __future__ import annotations

import os
import random
import time

from benchmarks.common import Result

REASONING = ("Let me set up the problem carefully. First I rewrite the condition, then I "
             "simplify both sides and check the edge cases. ")


def _gold_and_forms(rng: random.Random, kind: str) -> tuple[str, list[str], list[str]]:
    """A reference answer, equal ways to write it, and wrong answers of the same kind."""
    a, b = rng.randint(2, 40), rng.randint(2, 40)
    if kind == "integer":
        n = rng.randint(-500, 5000)
        return str(n), [str(n), f"x = {n}", f"{n}.0"], [str(n + 1), str(n - 10), str(-n - 1)]
    if kind == "fraction":
        p, q = rng.choice([(1, 2), (3, 4), (2, 3), (5, 8), (7, 12), (9, 16), (11, 20)])
        return (f"\\frac{{{p}}}{{{q}}}", [f"\\frac{{{p}}}{{{q}}}", f"{p}/{q}",
                f"\\dfrac{{{2 * p}}}{{{2 * q}}}"], [f"\\frac{{{q}}}{{{p}}}", f"{p + 1}/{q}"])
    if kind == "decimal":
        p = rng.choice([1, 3, 5, 7])
        return (f"{p / 8}", [f"{p / 8}", f"\\frac{{{p}}}{{8}}", f"{p}/8"],
                [f"{p / 8 + 0.1:.3f}", f"\\frac{{{p}}}{{9}}"])
    if kind == "set":
        lo, hi = sorted(rng.sample(range(-9, 10), 2))
        return (f"\\{{{lo}, {hi}\\}}", [f"{hi}, {lo}", f"\\{{{hi}, {lo}\\}}",
                f"x = {lo} \\text{{ or }} x = {hi}"], [f"{lo}", f"\\{{{lo}, {hi + 1}\\}}"])
    if kind == "interval":
        lo, hi = sorted(rng.sample(range(-9, 10), 2))
        return (f"({lo}, {hi}]", [f"({lo}, {hi}]", f"({lo},{hi}]"],
                [f"[{lo}, {hi}]", f"({lo}, {hi})", f"({lo}, {hi + 1}]"])
    if kind == "surd":
        m = rng.choice([2, 3, 5, 6, 7])
        return (f"{a}\\sqrt{{{m}}}", [f"{a}\\sqrt{{{m}}}", f"\\sqrt{{{a * a * m}}}"],
                [f"{a + 1}\\sqrt{{{m}}}", f"{a * m}"])
    return (f"x^2 + {a}x + {b}", [f"x^2 + {a}x + {b}", f"{b} + {a}x + x^2"],
            [f"x^2 + {a}x + {b + 1}", f"x^2 - {a}x + {b}"])


KINDS = ("integer", "fraction", "decimal", "set", "interval", "surd", "polynomial")


def build_pairs(n_golds: int = 250, per_gold: int = 8, seed: int = 0):
    """(item, completion) pairs, ``per_gold`` completions per reference, grouped by item."""
    from reasonlab.core.item import Item

    rng = random.Random(seed)
    pairs = []
    for g in range(n_golds):
        gold, equal, wrong = _gold_and_forms(rng, KINDS[g % len(KINDS)])
        item = Item(id=f"bench-{g}", task="bench", domain="math", difficulty=1,
                    prompt="Solve.", answer=gold, verifier="math")
        for _ in range(per_gold):
            r = rng.random()
            if r < 0.45:
                answer = rng.choice(equal)
            elif r < 0.82:
                answer = rng.choice(wrong)
            elif r < 0.88:
                answer = f"{rng.choice(wrong)} \\text{{ or }} {rng.choice(equal)}"
            elif r < 0.96:
                answer = f"so the result is \\boxed{{{rng.choice(equal + wrong)}}}"
            else:
                answer = None
            think = REASONING * rng.randint(1, 4)
            completion = (f"<think>{think}</think>\n<answer>{answer}</answer>" if answer
                          else f"<think>{think} and then")  # cut off mid-thought
            pairs.append((item, completion))
    return pairs


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _direct(golds: list[str], answers: list[str | None]) -> tuple[list[bool], float]:
    from math_verify import parse, verify

    out = []
    start = time.perf_counter()
    for gold, answer in zip(golds, answers, strict=True):
        out.append(answer is not None and verify(parse(gold), parse(answer)))
    return out, time.perf_counter() - start


def _prepare(pairs) -> tuple[list[str], list[str | None]]:
    """What the direct baseline gets: the references and the extracted answers, in ``$…$``."""
    from reasonlab.verifiers.math_guards import as_latex
    from reasonlab.verifiers.rules import extract_for

    extracted = [extract_for(item, text) for item, text in pairs]
    return ([as_latex(item.answer) for item, _ in pairs],
            [as_latex(e.text) if e.ok else None for e in extracted])


def run(quick: bool = False) -> list[Result]:
    from reasonlab.verifiers import close_all, get_verifier, verify_many

    n_golds = 50 if quick else 250
    cold_start = time.perf_counter()
    verifier = get_verifier("math")
    verify_many(build_pairs(2, seed=99))
    started = time.perf_counter() - cold_start
    # Warm both sides alike (imports, the LaTeX parser's prediction cache) on other pairs.
    warm = build_pairs(n_golds // 5, seed=100)
    verify_many(warm)
    _direct(*_prepare(warm))

    rounds = 1 if quick else 3
    ours_s, direct_s, ours_cpu, direct_cpu = [], [], [], []
    differ: list = []
    pids = verifier.worker_pids()
    for seed in range(rounds):  # interleaved, best of each: the machine is shared
        # New pairs each round: the workers remember decided pairs, a repeat would be free.
        pairs = build_pairs(n_golds, seed=seed)
        golds, answers = _prepare(pairs)
        cpu = time.process_time() + _cpu_s(pids)
        start = time.perf_counter()
        verdicts = verify_many(pairs)
        ours_s.append(time.perf_counter() - start)
        ours_cpu.append(time.process_time() + _cpu_s(pids) - cpu)
        cpu = time.process_time()
        direct, elapsed = _direct(golds, answers)
        direct_s.append(elapsed)
        direct_cpu.append(time.process_time() - cpu)
        differ += [(v, d) for v, d in zip(verdicts, direct, strict=True) if v.correct != d]
    workers = getattr(verifier, "workers", "?")
    close_all()

    n = len(pairs)
    timeouts = sum(v.status == "timeout" for v in verdicts)
    errors = sum(v.status == "error" for v in verdicts)
    guarded = sum(1 for v, d in differ if d and v.status == "wrong" and v.detail
                  and not v.detail.startswith("expected"))
    note = (f"{n} pairs x {rounds} rounds, {workers} workers, {os.cpu_count()} cores; verdicts "
            f"differ from direct math-verify on {len(differ)} of {n * rounds} ({guarded} "
            f"rejected by reasonlab's guards, {len(differ) - guarded} other); {timeouts} "
            f"timeouts, {errors} errors; CPU s per round (all processes) {min(ours_cpu):.2f} "
            f"vs direct {min(direct_cpu):.2f}")
    ours, baseline = n / min(ours_s), n / min(direct_s)
    cold = n / (started + min(ours_s))
    return [
        Result("math_verify", ours, "verifications/s", baseline, ">= 1.5", note=note),
        Result("math_verify_cold", cold, "verifications/s", baseline, ">= 1.0",
               note=f"pool start-up included ({started:.2f} s for {workers} workers)"),
    ]


if __name__ == "__main__":
    for row in run(quick=True):
        print(row.to_dict())
