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

# Every data set uses judge-tiny's task settings (restate: false). Held-out sets share no prompt
# with any set a judge trained on (--exclude): addition level 1 has 100 prompts and judge-tiny's
# 6,400 candidates use all of them, so held-out candidates are levels 2 and 3.
TASK="--task addition --config restate=false"
step "round 1: judge-tiny's training candidates, written out (the recipe's own draw)"
$R judge data $TASK --difficulty 1 2 3 --n 6400 --seed 0 --out "$OUT/train1.jsonl" --force
step "held-out candidates, disjoint from them by prompt"
$R judge data $TASK --difficulty 2 3 --n "$N" --seed 1 --exclude "$OUT/train1.jsonl" \
    --out "$OUT/heldout.jsonl" --force

step "round 1: judge"
$R train judge --config judge-tiny --out "$OUT/judge1" --set "judge.data=$OUT/train1.jsonl" \
    $JUDGE_SET
$R judge calibrate --judge "$OUT/judge1/final" --data "$OUT/heldout.jsonl" --no-progress \
    --out "$OUT/judge1.calibration.json"

step "round 1: RL against judge 1"
$R train rl --config rl-tiny-judge --out "$OUT/rl1" --set "model=$WARM" \
    --set "judge.model=$OUT/judge1/final" $RL_SET

step "round 2: the new generator's samples, labelled by the rule verifier"
$R judge data $TASK --difficulty 1 2 3 --n "$N" --seed 2 --policy "$OUT/rl1/final" \
    --policy-samples 2 --prompt-template raw --out "$OUT/policy.jsonl" --force
$R judge data $TASK --difficulty 1 2 3 --n $((N * 3)) --seed 0 --out "$OUT/perturbed.jsonl" --force
cat "$OUT/policy.jsonl" "$OUT/perturbed.jsonl" > "$OUT/judge2-data.jsonl"
$R judge data $TASK --difficulty 2 3 --n $((N / 2)) --seed 3 --policy "$OUT/rl1/final" \
    --policy-samples 2 --prompt-template raw --exclude "$OUT/train1.jsonl" \
    --exclude "$OUT/judge2-data.jsonl" --out "$OUT/heldout-policy.jsonl" --force

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
