#!/usr/bin/env bash
# The microscopy model against the previous shipped model, full pipeline (first view and refinement by
# domain), one process per model so the two cores share the work (one torch thread each):
#   - 1,000 seeded DSB2018 val nuclei (DSB_OBJECTS; stop at 90 % IoU, 20 clicks at most), as in evaluate_pipeline.sh;
#   - the held-out images of each new microscopy training set (PATH:holdout), 40 seeded objects each (HOLDOUT_OBJECTS);
#   - GrabCut with `default` (the automatic choice), to show photographs are untouched.
# MODEL: the weights to test (default: the shipped microscopy model); PREVIOUS: the model to compare with
# (default: cag_default). ONLY=micro|previous|grabcut runs one
# part (the previous model's DSB run is evaluate_pipeline.sh's "pipeline"; SKIP_DSB=1 leaves it out here).
# Run from the repository root.
# Then: python benchmarks/results_table.py runs/eval_micro_dsb ... (see docs/RESULTS.md).
set -euo pipefail
data=${DATA:-../shared/datasets}
out=${OUT:-runs}
model=${MODEL:-src/napari_cag/weights/microscopy.safetensors}
previous=${PREVIOUS:-src/napari_cag/weights/cag_default.safetensors}
export OMP_NUM_THREADS=1
mkdir -p "$out"
run() {  # name, method, data spec, extra arguments...
    local name=$1 method=$2 spec=$3; shift 3
    napari-cag evaluate --data "$spec" --method "$method" --seed 0 --stop-at 0.9 --out "$out/$name" "$@" \
        > "$out/$name.log" 2>&1
    tail -n 2 "$out/$name.log" | head -n 1
}
both() {  # label, method spec (microscopy or previous)
    local label=$1 method=$2
    [[ $label == previous && ${SKIP_DSB:-0} == 1 ]] || \
        run "eval_${label}_dsb" "$method" "$data/dsb2018:val.txt" --max-instances "${DSB_OBJECTS:-1000}"
    for set in monuseg cpm15 usiigaci isbi2012_em; do
        run "eval_${label}_$set" "$method" "$data/$set:holdout" --max-instances "${HOLDOUT_OBJECTS:-40}"
    done
}
case ${ONLY:-all} in
    micro) both micro "microscopy=$model" ;;
    previous) both previous "previous=$previous" ;;
    grabcut) run eval_auto_grabcut default "$data/grabcut" ;;
    all) both micro "microscopy=$model" & both previous "previous=$previous" & wait
         run eval_auto_grabcut default "$data/grabcut" ;;
esac
