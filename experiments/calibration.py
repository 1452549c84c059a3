"""Calibration under RL, RLCR-style (Damani et al. 2025, arXiv 2507.16806), on the tiny demo
model: the model states a confidence after its answer, and RL is rewarded by correctness alone
or by correctness plus a Brier term on that confidence (reasonlab's `calibration` component,
1 - (c - y)^2). docs/training.md, "Calibration under RL", has the runs.

    python experiments/calibration.py runs/demo-seed1 --seed 1 [--out runs/calib-seed1]

From a finished demo folder (its warm start `sft/final`, its `skill` and `base` evals and its
`suite.yaml`, which every stage holds out):

1. a confidence phase: SFT on the warm start's own style mix, with the confidence line the
   teacher states set to the measured accuracy of that style at that task and difficulty
   (`confidence_from`: `full` from the skill model's eval, `direct` from the base model's), so
   the model learns to say how often it is right, not 100 %;
2. RL twice from it (rl-tiny with the confidence prompt): `plain` (correctness) and `brier`
   (correctness + calibration, weight 1);
3. both evaluated on the demo suite with the confidence prompt (440 samples, held out);
4. the comparison: HLE's RMS calibration error and the Brier score of the verbalized
   confidence, and accuracy, each with a 95 % interval, and the differences brier - plain with
   a paired bootstrap over items (RMS, Brier) and Newcombe's interval (accuracy).

Every command it runs is printed; `calibration.json` in the output folder has the numbers.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

from reasonlab.evaluate import metrics as M
from reasonlab.evaluate.runfolder import SAMPLES, read_samples

RESAMPLES = 1000


def reasonlab(*args: str) -> None:
    command = [sys.executable, "-m", "reasonlab", *args]
    print("$ reasonlab " + " ".join(args), flush=True)
    subprocess.run(command, check=True)


def pairs(folder: Path) -> dict[str, tuple[float | None, bool, bool]]:
    """id -> (verbalized confidence, correct, decided) of a one-sample-per-item eval run."""
    out = {}
    for row in read_samples(folder / SAMPLES):
        status = (row.get("verdict") or {}).get("status")
        verbal = row.get("confidence") if row.get("confidence_source") == "verbalized" else None
        out[str(row["id"])] = (verbal, status == "correct", status not in ("error", "timeout"))
    return out


def scores(rows: list[tuple[float | None, bool, bool]]) -> dict[str, float | None]:
    """RMS (HLE) and Brier of the verbalized confidence (none stated counts as 0, as the
    reward does), and accuracy, over decided samples."""
    decided = [(c if c is not None else 0.0, y) for c, y, d in rows if d]
    conf = [c for c, _ in decided]
    correct = [y for _, y in decided]
    return {"rms_hle": M.finite_or_none(M.calibration_error(conf, correct, "hle", 100)),
            "brier": M.finite_or_none(M.brier(conf, correct)),
            "accuracy": sum(correct) / len(correct) if correct else None,
            "stated": sum(c is not None for c, _, d in rows if d) / max(1, len(decided)),
            "n": len(decided)}


def bootstrap(a: dict, b: dict, key: str, seed: int = 0) -> dict[str, list[float] | None]:
    """95 % percentile intervals of ``key`` for a, for b, and of b - a, resampling items
    jointly (the same items in both runs)."""
    ids = sorted(set(a) & set(b))
    rng = random.Random(f"calibration|{key}|{seed}")
    seen: dict[str, list[float]] = {"a": [], "b": [], "diff": []}
    for _ in range(RESAMPLES):
        pick = [ids[rng.randrange(len(ids))] for _ in ids]
        x, y = scores([a[i] for i in pick])[key], scores([b[i] for i in pick])[key]
        if x is None or y is None:
            continue
        seen["a"].append(x)
        seen["b"].append(y)
        seen["diff"].append(y - x)

    def interval(values: list[float]) -> list[float] | None:
        if len(values) < 0.95 * RESAMPLES:
            return None
        values = sorted(values)
        return [values[int(0.025 * (len(values) - 1))],
                values[int(round(0.975 * (len(values) - 1)))]]

    return {name: interval(values) for name, values in seen.items()}


def compare(plain: Path, brier: Path) -> dict:
    a, b = pairs(plain), pairs(brier)
    out = {"plain": scores(list(a.values())), "brier": scores(list(b.values()))}
    for key in ("rms_hle", "brier"):
        found = bootstrap(a, b, key)
        out["plain"][f"{key}_ci95"], out["brier"][f"{key}_ci95"] = found["a"], found["b"]
        out[f"{key}_difference"] = (None if out["brier"][key] is None or out["plain"][key] is None
                                    else out["brier"][key] - out["plain"][key])
        out[f"{key}_difference_ci95"] = found["diff"]
    na, nb = out["plain"]["n"], out["brier"]["n"]
    ca, cb = round(out["plain"]["accuracy"] * na), round(out["brier"]["accuracy"] * nb)
    out["plain"]["accuracy_ci95"] = list(M.wilson_interval(ca, na) or [])
    out["brier"]["accuracy_ci95"] = list(M.wilson_interval(cb, nb) or [])
    out["accuracy_difference_ci95"] = list(M.difference_interval(ca, na, cb, nb) or [])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("demo", type=Path, help="a finished demo folder (reasonlab demo)")
    parser.add_argument("--seed", type=int, required=True, help="the demo's seed")
    parser.add_argument("--out", type=Path, help="default: runs/calib-seed<SEED>")
    parser.add_argument("--conf-steps", type=int, default=300,
                        help="steps of the confidence phase (default 300: 60 did not teach the "
                             "tiny model to write the line, docs/training.md)")
    parser.add_argument("--conf-lr", type=float, default=1e-4,
                        help="learning rate of the confidence phase (default 1e-4)")
    parser.add_argument("--brier", type=float, default=1.0,
                        help="weight of the calibration reward (default 1.0)")
    args = parser.parse_args()
    demo, out = args.demo, args.out or Path(f"runs/calib-seed{args.seed}")
    suite = (demo / "suite.yaml").resolve()
    seed, held = f"seed={args.seed}", f"eval.suite={suite}"
    conf = out / "conf"
    if not (conf / "final" / "config.json").is_file():
        reasonlab("train", "sft", "--config", "sft-tiny-habit", "--out", str(conf), "--resume",
                  "--set", f"model={(demo / 'sft' / 'final').resolve()}", "--set", seed,
                  "--set", held, "--set", "eval.every=0", "--set", "prompt.confidence=true",
                  "--set", f"confidence_from={{full: {(demo / 'skill').resolve()}, "
                           f"direct: {(demo / 'base').resolve()}}}",
                  "--set", f"phases=[{{name: confidence, max_steps: {args.conf_steps}, "
                           f"styles: {{full: 0.3, direct: 0.7}}, "
                           f"trl: {{learning_rate: {args.conf_lr}}}}}]",
                  "--no-progress")
    runs = {"plain": [], "brier": ["--set", f"rewards.calibration={args.brier}"]}
    for name, extra in runs.items():
        folder = out / f"rl-{name}"
        if not (folder / "final" / "config.json").is_file():
            reasonlab("train", "rl", "--config", "rl-tiny", "--out", str(folder), "--resume",
                      "--set", f"model={(conf / 'final').resolve()}", "--set", seed,
                      "--set", held, "--set", "eval.every=0", "--set", "prompt.confidence=true",
                      *extra, "--no-progress")
        reasonlab("eval", "--model", str(folder / "final"), "--suite", str(suite), "--out",
                  str(out / f"eval-{name}"), "--confidence", "--no-progress")
    result = {"seed": args.seed, "demo": str(demo), **compare(out / "eval-plain",
                                                              out / "eval-brier")}
    (out / "calibration.json").write_text(json.dumps(result, indent=2) + "\n")
    for name in ("plain", "brier"):
        r = result[name]
        print(f"{name}: RMS {r['rms_hle']} {r['rms_hle_ci95']}, Brier {r['brier']} "
              f"{r['brier_ci95']}, accuracy {r['accuracy']} {r['accuracy_ci95']}, "
              f"stated {r['stated']:.2f} (n={r['n']})")
    for name in ("plain", "brier"):
        if result[name]["stated"] < 0.5:
            print(f"warning: the {name} model stated a confidence in only "
                  f"{100 * result[name]['stated']:.0f} % of its answers; the rest count as 0, so "
                  "this compares the missing line, not calibration (--conf-steps)")
    print(f"brier - plain: RMS {result['rms_hle_difference']} "
          f"{result['rms_hle_difference_ci95']}, Brier {result['brier_difference']} "
          f"{result['brier_difference_ci95']}, accuracy {result['accuracy_difference_ci95']}")


if __name__ == "__main__":
    main()
