#!/usr/bin/env bash
# The generator <-> verifier loop on the CPU, two rounds (docs/judges.md, "The loop"):
#   judge data -> judge 1 -> RL against judge 1 -> judge 2 on the new generator's samples -> RL
# Usage: scripts/judge-loop.sh WARM_START OUT
#   WARM_START: a generator that can reason, e.g. runs/demo/sft/final
#               (reasonlab train sft --config sft-tiny-habit --out runs/sft)
# Per round it prints the judge's kappa against the truth and the generator's true accuracy.
set -euo pipefail
WARM=${1:?usage: scripts/judge-loop.sh WARM_START OUT}
OUT=${2:?usage: scripts/judge-loop.sh WARM_START OUT}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
R=${REASONLAB:-reasonlab}
# For a quick check of the script itself (not for measurements), e.g.
#   JUDGE_SET="--set max_steps=5" RL_SET="--set max_steps=2 --set eval.suite.items=2" N=40
JUDGE_SET=${JUDGE_SET:-}
RL_SET=${RL_SET:-}
N=${N:-400}
mkdir -p "$OUT"
start=$(date +%s)
step() { echo "== $(( $(date +%s) - start ))s: $*" >&2; }

step "held-out candidates (seed 1; judges train on seed 0)"
$R judge data --task addition --difficulty 1 2 3 --n "$N" --seed 1 --out "$OUT/heldout.jsonl"

step "round 1: judge"
$R train judge --config judge-tiny --out "$OUT/judge1" $JUDGE_SET
$R judge calibrate --judge "$OUT/judge1/final" --data "$OUT/heldout.jsonl" --no-progress \
    --out "$OUT/judge1.calibration.json"

step "round 1: RL against judge 1"
$R train rl --config rl-tiny-judge --out "$OUT/rl1" --set "model=$WARM" \
    --set "judge.model=$OUT/judge1/final" $RL_SET

step "round 2: the new generator's samples, labelled by the rule verifier"
$R judge data --task addition --difficulty 1 2 3 --n "$N" --seed 2 --policy "$OUT/rl1/final" \
    --policy-samples 2 --prompt-template raw --out "$OUT/policy.jsonl"
$R judge data --task addition --difficulty 1 2 3 --n $((N / 2)) --seed 3 --policy "$OUT/rl1/final" \
    --policy-samples 2 --prompt-template raw --out "$OUT/heldout-policy.jsonl"
$R judge data --task addition --difficulty 1 2 3 --n $((N * 3)) --seed 0 --out "$OUT/perturbed.jsonl"
cat "$OUT/policy.jsonl" "$OUT/perturbed.jsonl" > "$OUT/judge2-data.jsonl"

step "round 2: judge 2 (judge 1 trained on, with the policy's samples)"
$R train judge --config judge-tiny --out "$OUT/judge2" --set "model=$OUT/judge1/final" \
    --set "judge.data=$OUT/judge2-data.jsonl" --set max_steps=150 \
    --set trl.learning_rate=1.0e-3 --set trl.warmup_steps=10 $JUDGE_SET
for j in 1 2; do
  $R judge calibrate --judge "$OUT/judge$j/final" --data "$OUT/heldout.jsonl" --no-progress \
      --out "$OUT/judge$j.calibration.json" > /dev/null
  $R judge calibrate --judge "$OUT/judge$j/final" --data "$OUT/heldout-policy.jsonl" \
      --no-progress --out "$OUT/judge$j.policy-calibration.json" > /dev/null
done

step "round 2: RL against judge 2, from the round-1 generator"
$R train rl --config rl-tiny-judge --out "$OUT/rl2" --set "model=$OUT/rl1/final" \
    --set "judge.model=$OUT/judge2/final" $RL_SET

step "summary"
python3 - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
def steps(run):
    return [json.loads(line) for line in (out / run / "evals/steps.jsonl").read_text().splitlines()]
for r in (1, 2):
    cal = json.loads((out / f"judge{r}.calibration.json").read_text())
    pol = json.loads((out / f"judge{r}.policy-calibration.json").read_text())
    rows = steps(f"rl{r}")
    first, last = rows[0], rows[-1]
    alarms = [json.loads(l) for l in (out / f"rl{r}/metrics.jsonl").read_text().splitlines()]
    alarms = [a["step"] for a in alarms if a.get("alarm/reward_hacking")]
    print(f"round {r}: judge kappa {cal['kappa']} {cal['ci95']['kappa']} on {cal['compared']} "
          f"perturbed, {pol['kappa']} {pol['ci95']['kappa']} on {pol['compared']} policy "
          f"samples; generator true accuracy {first['true_accuracy']} -> "
          f"{last['true_accuracy']} (ci95 {first['ci95']} -> {last['ci95']}), judge reward "
          f"{first['judge_reward']} -> {last['judge_reward']}; alarms at steps {alarms}")
PY
step "done"
