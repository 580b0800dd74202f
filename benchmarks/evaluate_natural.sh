#!/usr/bin/env bash
# The natural-image model against the previous one (cag_default) and the random walker, on GrabCut (50
# objects, 20 clicks, full pipeline), and the automatic choice on DSB2018 val nuclei (to show micrographs
# are untouched: auto must still pick the microscopy model there). One process per method, one torch
# thread each, so the two cores share the work.
# MODEL: the weights to test (default: the shipped natural model). Run from the repository root.
# Then: python benchmarks/results_table.py runs/eval_nat_grabcut_* (see docs/RESULTS.md).
set -euo pipefail
data=${DATA:-../shared/datasets}
out=${OUT:-runs}
model=${MODEL:-src/napari_cag/weights/natural.safetensors}
previous=src/napari_cag/weights/cag_default.safetensors
export OMP_NUM_THREADS=1
mkdir -p "$out"
run() {  # name, method, data spec, extra arguments...
    local name=$1 method=$2 spec=$3; shift 3
    napari-cag evaluate --data "$spec" --method "$method" --seed 0 --out "$out/$name" "$@" > "$out/$name.log" 2>&1
    tail -n 2 "$out/$name.log" | head -n 1
}
run eval_nat_grabcut_natural "natural=$model" "$data/grabcut" &
run eval_nat_grabcut_previous "previous=$previous" "$data/grabcut" &
wait
if [[ ${RANDOM_WALKER:-1} == 1 ]]; then run eval_nat_grabcut_rw random-walker "$data/grabcut"; fi
