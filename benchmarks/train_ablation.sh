#!/usr/bin/env bash
# The Table 1 ablation of docs/RESULTS.md: the same network, recipe, seed and budget on four input sets
# (Euclidean = iFCN, SP, SP+Obj, SP+Obj+Iter), trained one after the other into $RUNS/NAME.
# STEPS sets the budget, RUNS the folder (default checkpoints/ablation), VAL_OBJECTS the validation objects
# per set, THREADS the torch threads. Re-running the script skips finished runs and resumes an interrupted one.
# Run from the repository root; datasets at ../shared/datasets.
set -euo pipefail
data=${DATA:-../shared/datasets}
steps=${STEPS:-1200}
runs=${RUNS:-checkpoints/ablation}
export OMP_WAIT_POLICY=PASSIVE
mkdir -p runs
for guidance in euclidean sp sp+obj sp+obj+iter; do
    run=$runs/${guidance//+/_}
    # finished: history.json, written last at each save, holds the final step
    if grep -q "\"step\": $steps," "$run/history.json" 2>/dev/null; then continue; fi
    resume=$([[ -f $run/state.pt ]] && echo --resume || true)
    echo "training $guidance -> $run $resume"
    napari-cag train --data "$data/coco_mval" --data "$data/davis345" --data "$data/dsb2018:train.txt" \
        --guidance "$guidance" --run "$run" --cache runs/cache --steps "$steps" --batch-size 16 --seed 0 \
        --validate-every $((steps / 2)) --save-every 50 --val-objects "${VAL_OBJECTS:-40}" --threads "${THREADS:-2}" $resume \
        > "runs/ablation_${guidance//+/_}.log" 2>&1
done
