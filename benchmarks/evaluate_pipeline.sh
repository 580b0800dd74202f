#!/usr/bin/env bash
# The accuracy figures of docs/RESULTS.md for the full pipeline (network + first view by domain +
# graph-cut refinement + click correction) against the previous pipeline (the same weights, whole-image
# first view, no refinement) and the training-free random walker: GrabCut (all 50 objects, 20 clicks
# each, the three methods in one run) and a seeded subset of 1,000 DSB2018 val nuclei (stopping an
# object at 90% IoU; its IoU curve keeps its last value), one process per method so that the two cores
# share the work. Each process uses one torch thread. Run from the repository root; datasets at
# ../shared/datasets. DSB_METHODS picks the DSB methods (default: pipeline and previous).
set -euo pipefail
data=${DATA:-../shared/datasets}
out=${OUT:-runs}
mkdir -p "$out"
export OMP_NUM_THREADS=1
previous="previous,refine=none,first_view=whole"
dsb() {  # one DSB method: name, method spec
    napari-cag evaluate --data "$data/dsb2018:val.txt" --max-instances 1000 --seed 0 --stop-at 0.9 \
        --method "$2" --out "$out/eval_dsb_$1" > "$out/eval_dsb_$1.log" 2>&1
}
dsb pipeline pipeline &
{
    napari-cag evaluate --data "$data/grabcut" --method pipeline --method "$previous" --method random-walker \
        --out "$out/eval_grabcut" > "$out/eval_grabcut.log" 2>&1
    for m in ${DSB_METHODS:-previous}; do
        case $m in previous) dsb previous "$previous" ;; *) dsb "$m" "$m" ;; esac
    done
} &
wait
tail -n 5 "$out"/eval_*.log
