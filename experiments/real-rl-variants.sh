#!/usr/bin/env bash
# RL variants from a finished real-model demo's cold start (docs/training.md, "RL on a
# pretrained model", design 3): rl-smollm2 with one --set changed, evaluated greedily on the
# tuning suite (experiments/dev-real.yaml, seed 5000: never the demo's items). The demo's eval
# suite stays held out of training, as in the demo.
#   experiments/real-rl-variants.sh DEMO NAME [--set KEY=VALUE ...]
#   experiments/real-rl-variants.sh runs/demo-real-v3-seed0 lr5e-6 --set trl.learning_rate=5e-6
# Without a --set it evaluates DEMO's own skill, base and rl models on the tuning suite.
set -euo pipefail
DEMO=$1; NAME=$2; shift 2
X=runs/exp-real/$(basename "$DEMO")
BIN=${BIN:-.venv/bin}
if [ $# -eq 0 ]; then
  for role in skill:sft/phases/skill/final base:sft/final rl:rl-train/final; do
    "$BIN/reasonlab" eval --model "$DEMO/${role#*:}" --suite experiments/dev-real.yaml \
        --out "$X/${role%%:*}-dev" --no-progress
  done
  exit 0
fi
SEED=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seed'])" "$DEMO/demo.json")
"$BIN/reasonlab" train rl --config rl-smollm2 --out "$X/$NAME" --set "model=$DEMO/sft/final" \
    --set "seed=$SEED" --set "eval.suite=$(realpath "$DEMO/suite.yaml")" --set eval.every=0 "$@"
"$BIN/reasonlab" eval --model "$X/$NAME/final" --suite experiments/dev-real.yaml \
    --out "$X/$NAME-dev" --no-progress
python3 experiments/trace_errors.py "$X/$NAME-dev"
