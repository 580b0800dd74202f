#!/usr/bin/env bash
# The accuracy figures of docs/RESULTS.md: the full pipeline (network + first view by domain + graph-cut
# refinement + click correction), the previous pipeline (the same weights, whole-image first view, no
# refinement) and the training-free random walker, on GrabCut (all 50 objects, 20 clicks each, the three
# methods in one run) and on a seeded subset of 1,000 DSB2018 val nuclei (stopping an object at 90% IoU;
# its IoU curve keeps its last value; one process per method on the same seeded objects, so that the two
# cores share the work). One torch thread per process. Run from the repository root; datasets at
# ../shared/datasets. Then: python benchmarks/results_table.py runs/eval_grabcut \
#   runs/eval_dsb_pipeline+runs/eval_dsb_previous+runs/eval_dsb_rw --write docs/RESULTS.md
set -euo pipefail
data=${DATA:-../shared/datasets}
out=${OUT:-runs}
mkdir -p "$out"
export OMP_NUM_THREADS=1
previous="previous,refine=none,first_view=whole"
dsb() {  # folder suffix, method spec
    napari-cag evaluate --data "$data/dsb2018:val.txt" --max-instances 1000 --seed 0 --stop-at 0.9 \
        --method "$2" --out "$out/eval_dsb_$1" > "$out/eval_dsb_$1.log" 2>&1
}
{ dsb pipeline pipeline; dsb rw random-walker; } &
{
    dsb previous "$previous"
    napari-cag evaluate --data "$data/grabcut" --method pipeline --method "$previous" --method random-walker \
        --out "$out/eval_grabcut" > "$out/eval_grabcut.log" 2>&1
} &
wait
tail -n 5 "$out"/eval_*.log
