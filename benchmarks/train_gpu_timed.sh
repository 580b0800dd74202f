#!/usr/bin/env bash
# The microscopy model on one GPU in a fixed time (a short lease): runs from the shipped weights (or INIT) at
# the learning rates LRS, side by side, each a torchrun job of RANKS processes that share the GPU (the simulated
# clicks are CPU work, so one GPU feeds on many cores; ranks that share a GPU talk through gloo).
# Each run trains for MINUTES (napari-cag train --minutes), then the click latency on the GPU is measured.
# Validate the runs afterwards on any machine: python benchmarks/validate_run.py ... (checkpoints/README.md).
#
#   DATA=runs/packed MINUTES=5 RANKS=7 bash benchmarks/train_gpu_timed.sh
#
# DATA: the training sets (benchmarks/pack_data.py makes a small copy); OUT_DIR: where runs go;
# PER_RANK: examples per rank and step; LRS: the runs' peak learning rates (one run per rate); DEVICE: cuda
# (cpu to try it); INIT: the starting weights; EXTRA: more set folders under DATA (photographs, say), drawn
# with odds 1 - SHARE against the micrographs' SHARE; LATENCY=0 skips the latency measurement;
# SAVE_EVERY: steps between checkpoints.
# If a torchrun job fails, the run starts again in one process from the same weights for the time left.
set -uo pipefail
cd "$(dirname "$0")/.."
data=${DATA:-../shared/datasets}
out=${OUT_DIR:-runs/gpu_timed}
minutes=${MINUTES:-5}
ranks=${RANKS:-7}
per_rank=${PER_RANK:-8}
device=${DEVICE:-cuda}
lrs=(${LRS:-1e-3 4e-4})
init=${INIT:-src/napari_cag/weights/microscopy.safetensors}
share=${SHARE:-0.5}
python=${PYTHON:-python}
started=$(date +%s)
limit_s=$($python -c "import sys; m = float(sys.argv[1]); assert 0 < m < 1e4; print(int(m * 60))" "$minutes") || {
    echo "MINUTES must be a positive number, got '$minutes'" >&2; exit 2; }
sets=(--data "$data/dsb2018:train.txt" --data "$data/monuseg" --data "$data/cpm15" --data "$data/usiigaci"
       --data "$data/isbi2012_em")
for name in ${EXTRA:-}; do sets+=(--data "$data/$name"); done
mkdir -p "$out"
$python -m napari_cag.cli cache "${sets[@]}" --cache "$out/cache" --jobs "${CACHE_JOBS:-$(nproc)}" || exit 1
echo "cache: $(( $(date +%s) - started )) s"

train_run() {  # name, lr: torchrun first; if it fails, one process for the time that is left
    local name=$1 lr=$2 t0=$(date +%s)
    local args=(train "${sets[@]}" --cache "$out/cache" --init "$init"
                --microscopy-share "$share" --lr "$lr" --device "$device" --threads 1 --val-objects 0
                --save-every "${SAVE_EVERY:-1000000}")
    $python -m torch.distributed.run --standalone --nproc-per-node "$ranks" -m napari_cag.cli "${args[@]}" \
        --run-dir "$out/$name" --shards "$ranks" --batch-size $(( ranks * per_rank )) --minutes "$minutes" \
        > "$out/$name.log" 2>&1 && return 0
    local left=$(( limit_s - $(date +%s) + t0 - 20 ))
    echo "$name: torchrun failed after $(( $(date +%s) - t0 )) s (tail of $out/$name.log below); one process for ${left} s"
    tail -n 5 "$out/$name.log"
    [ "$left" -gt 60 ] || return 1
    $python -m napari_cag.cli "${args[@]}" --run-dir "$out/${name}_single" --overwrite --batch-size 16 \
        --minutes "$($python -c "print($left / 60)")" > "$out/${name}_single.log" 2>&1
}

pids=()
for k in "${!lrs[@]}"; do
    train_run "run$k" "${lrs[$k]}" &
    pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || { echo "a run failed"; failed=1; }; done
echo "training: $(( $(date +%s) - started )) s"
for f in "$out"/run*/log.csv; do echo "$f: $(tail -n 1 "$f")"; done

for weights in "$init" "$out"/run*/last.safetensors; do
    [ -f "$weights" ] && [ "${LATENCY:-1}" != 0 ] || continue
    echo "latency of $weights on $device:"
    $python benchmarks/bench_click.py --model "$weights" --device "$device" --sizes 512 --threads 1 \
        --sessions 3 2>&1 | grep -v "^\s*$" | tail -n 12
done
echo "total: $(( $(date +%s) - started )) s"
exit $failed
