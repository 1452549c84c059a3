#!/usr/bin/env bash
# One process with two threads against two processes with one thread each, the same global
# batch (32 completions per step: 32 on one process, 16 on each of two), rl-tiny from the demo's
# warm start, 12 steps; the time per step is read from each run's metrics.jsonl (TRL's
# step_time), first step left out.
#   experiments/processes.sh runs/demo/sft/final runs/exp/processes
set -euo pipefail
MODEL=${1:?warm start folder}; OUT=${2:?output folder}
PY=${PYTHON:-.venv/bin/python}
COMMON=(train rl --config rl-tiny --set "model=$MODEL" --set max_steps=12 --set eval.every=0
        --set checkpoint.every=1000 --set rollouts=false --no-progress)
mkdir -p "$OUT"
start=$(date +%s.%N)
OMP_NUM_THREADS=2 $PY -m reasonlab "${COMMON[@]}" --out "$OUT/one-process" \
    --set trl.per_device_train_batch_size=32
mid=$(date +%s.%N)
OMP_NUM_THREADS=1 $PY -m accelerate.commands.launch --multi_gpu --num_processes 2 \
    --num_machines 1 --mixed_precision no --dynamo_backend no --main_process_port 29533 \
    -m reasonlab "${COMMON[@]}" --out "$OUT/two-processes" --set trl.per_device_train_batch_size=16
end=$(date +%s.%N)
$PY -c 'import sys; a, b, c = map(float, sys.argv[1:]); print(f"wall: one process {b - a:.1f} s, two processes {c - b:.1f} s")' "$start" "$mid" "$end"
$PY - "$OUT" <<'PYEOF'
import json, statistics, sys
from pathlib import Path
for name in ("one-process", "two-processes"):
    rows = [json.loads(x) for x in (Path(sys.argv[1]) / name / "metrics.jsonl").read_text().splitlines()]
    times = [r["step_time"] for r in rows if "step_time" in r][1:]
    print(f"{name}: {statistics.median(times):.2f} s per step (median of steps 2-{len(times) + 1}), "
          f"{1 / statistics.median(times):.3f} steps/s")
PYEOF
