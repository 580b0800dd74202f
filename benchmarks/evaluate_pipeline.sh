#!/usr/bin/env bash
# The accuracy figures of docs/RESULTS.md for the full pipeline (network + scale-searched first view +
# graph-cut refinement + click correction), against the previous pipeline (the same weights, whole-image
# first view, no refinement) and the training-free random walker, in one harness: GrabCut (all 50
# objects, 20 clicks each) and a seeded subset of 1,000 DSB2018 val nuclei (stopping an object at 90%
# IoU; its IoU curve keeps its last value). Two processes, one torch thread each. Run from the
# repository root; datasets at ../shared/datasets.
set -euo pipefail
data=${DATA:-../shared/datasets}
out=${OUT:-runs}
mkdir -p "$out"
export OMP_NUM_THREADS=1
methods=(--method pipeline --method "previous,refine=none,first_view=whole" --method random-walker)
napari-cag evaluate --data "$data/grabcut" "${methods[@]}" --out "$out/eval_grabcut" > "$out/eval_grabcut.log" 2>&1 &
napari-cag evaluate --data "$data/dsb2018:val.txt" --max-instances 1000 --seed 0 --stop-at 0.9 \
    "${methods[@]}" --out "$out/eval_dsb" > "$out/eval_dsb.log" 2>&1 &
wait
tail -n 5 "$out/eval_grabcut.log" "$out/eval_dsb.log"
