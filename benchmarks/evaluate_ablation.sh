#!/usr/bin/env bash
# The Table 1 ablation of docs/RESULTS.md: each model trained by benchmarks/train_ablation.sh, evaluated in the
# same harness as the shipped model (GrabCut, all 50 objects; the same seeded 1,000 DSB2018 val nuclei,
# stopping an object at 90% IoU). One process per model, two at a time, one torch thread each.
# NAMES picks the models (default: all four), DATASETS the datasets (grabcut dsb), RUNS their folder (default
# checkpoints/ablation), DSB_OBJECTS the DSB nuclei (default 1000); RAW=1 scores the bare networks (evaluate
# --raw), REFINE=none the networks with the click correction but without the full-resolution refinement.
# Then: python benchmarks/ablation_table.py runs/ablation_eval --write docs/RESULTS.md
set -euo pipefail
data=${DATA:-../shared/datasets}
out=${OUT:-runs/ablation_eval}
names=${NAMES:-euclidean sp sp_obj sp_obj_iter}
datasets=${DATASETS:-grabcut dsb}
runs=${RUNS:-checkpoints/ablation}
dsb_objects=${DSB_OBJECTS:-1000}
mode="${RAW:+--raw} ${REFINE:+--refine $REFINE}"
export OMP_NUM_THREADS=1
mkdir -p "$out"
evaluate() {  # NAME
    local weights=$runs/$1/last.safetensors
    if [[ $datasets == *grabcut* ]]; then
        napari-cag evaluate --data "$data/grabcut" --method "$1=$weights" $mode --out "$out/grabcut_$1" \
            > "$out/grabcut_$1.log" 2>&1
        grep NoC "$out/grabcut_$1.log"
    fi
    if [[ $datasets == *dsb* ]]; then
        napari-cag evaluate --data "$data/dsb2018:val.txt" --max-instances $dsb_objects --seed 0 --stop-at 0.9 \
            --method "$1=$weights" $mode --out "$out/dsb_$1" > "$out/dsb_$1.log" 2>&1
        grep NoC "$out/dsb_$1.log"
    fi
}
running=0
for name in $names; do
    evaluate "$name" &
    running=$((running + 1))
    if (( running == 2 )); then wait -n; running=$((running - 1)); fi
done
wait
