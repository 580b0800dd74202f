#!/usr/bin/env bash
# One-shot GPU training (about 8 minutes on one modern GPU, plus the structure cache on its CPUs):
#   1. the paper's FCN-8s with the staged schedule, 32s -> 16s -> 8s, each stage started from the last;
#   2. the compact microscopy and natural models at several times their CPU budget.
# Run from the repository root on a machine with CUDA; datasets at ../shared/datasets (DATA=...).
# Outputs in runs/gpu/<name>; evaluate them with `napari-cag evaluate --method NAME=runs/gpu/<name>/last.safetensors`.
# STEPS scales every stage (default 1); CACHE_JOBS the processes that build the cache.
set -euo pipefail
data=${DATA:-../shared/datasets}
scale=${STEPS:-1}
jobs=${CACHE_JOBS:-$(nproc)}
micro=(--data "$data/dsb2018:train.txt" --data "$data/monuseg" --data "$data/cpm15" --data "$data/usiigaci"
       --data "$data/isbi2012_em")
natural=(--data "$data/coco_mval" --data "$data/davis345" --data "$data/coco128_train" --data "$data/weizmann_horse")
common=(--cache runs/cache --device cuda --batch-size 32 --save-every 100 --validate-every 100000 --threads 4)
mkdir -p runs/gpu
napari-cag cache "${micro[@]}" "${natural[@]}" --jobs "$jobs"

stage() {  # name, steps, extra arguments...
    local name=$1 steps=$(( $2 * scale )); shift 2
    local resume=$([[ -f runs/gpu/$name/state.pt ]] && echo --resume || true)
    /usr/bin/time -f "$name: %e s" napari-cag train "${common[@]}" --run "runs/gpu/$name" --steps "$steps" $resume "$@" \
        > "runs/gpu/$name.log" 2>&1
    tail -n 1 "runs/gpu/$name.log"
}

# FCN-8s, staged as in the paper (Sec. 4.2), on both domains
stage fcn8s_32s 400 --arch fcn8s --stride 32 "${micro[@]}" "${natural[@]}" --lr 1e-4
stage fcn8s_16s 300 --arch fcn8s --stride 16 --init runs/gpu/fcn8s_32s/last.safetensors "${micro[@]}" "${natural[@]}" --lr 5e-5
stage fcn8s_8s 300 --arch fcn8s --stride 8 --init runs/gpu/fcn8s_16s/last.safetensors "${micro[@]}" "${natural[@]}" --lr 2e-5

# the compact models, from the shipped weights, at several times the CPU budget
stage microscopy 3000 "${micro[@]}" --init src/napari_cag/weights/microscopy.safetensors --lr 1e-3
stage natural 3000 "${natural[@]}" --init src/napari_cag/weights/cag_default.safetensors --lr 1e-3

# GPU click latency of each model (median of a session's clicks)
for name in fcn8s_8s microscopy natural; do
    python benchmarks/bench_click.py --model "runs/gpu/$name/last.safetensors" --device cuda --threads 1 \
        > "runs/gpu/$name.latency" 2>&1 || echo "latency benchmark failed for $name (see runs/gpu/$name.latency)"
done
