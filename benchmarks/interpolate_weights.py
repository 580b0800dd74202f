"""Interpolate a fine-tuned model's weights toward the model it started from (WiSE-FT), then recompute its
batch-norm statistics on training batches.

Fine-tuning can trade what a model did well for what its new data rewards; the straight line between the two
weight vectors often keeps most of the gain and much of what was lost (Wortsman et al., "Robust fine-tuning of
zero-shot models", CVPR 2022). ``--alpha`` is the share of the fine-tuned weights (0: the start, 1: the end).

    python benchmarks/interpolate_weights.py --start A.safetensors --end B.safetensors --alpha 0.5 \
        --data ../shared/datasets/dsb2018:train.txt ... --out C.safetensors
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch


def main() -> None:
    from napari_cag.cli import _training_images
    from napari_cag.model import load_model, save_model
    from napari_cag.training.cache import build_cache, load_cache, split_validation
    from napari_cag.training.loop import TrainSettings, recalibrate_statistics
    from napari_cag.training.sampler import TrainingSampler

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", required=True, help="the weights fine-tuning started from")
    parser.add_argument("--end", required=True, help="the fine-tuned weights")
    parser.add_argument("--alpha", type=float, required=True, help="share of --end, in [0, 1]")
    parser.add_argument("--data", action="append", required=True, help="training sets, for the statistics")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--batches", type=int, default=20, help="training batches of 16 for the statistics")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not 0 <= args.alpha <= 1:
        raise SystemExit(f"--alpha must lie in [0, 1], got {args.alpha}")
    start, start_config = load_model(args.start)
    net, config = load_model(args.end)
    if start_config.to_dict() | {"meta": None} != config.to_dict() | {"meta": None}:
        raise SystemExit(f"{args.start} and {args.end} are different networks; only the same one interpolates")
    ends = start.state_dict()
    mixed = {k: torch.lerp(ends[k], v, args.alpha) if v.is_floating_point() else v
             for k, v in net.state_dict().items()}
    net.load_state_dict(mixed)
    training, _ = split_validation(load_cache(build_cache(_training_images(args.data, None), args.cache, config)))
    rng = np.random.default_rng(args.seed)
    recalibrate_statistics(net, TrainingSampler(training, config, rng), args.batches, rng,
                           TrainSettings(batch_size=16), config, "cpu")
    config.meta = {**config.meta, "interpolated": {"start": args.start, "end": args.end, "alpha": args.alpha,
                                                   "statistics_batches": args.batches, "seed": args.seed}}
    save_model(args.out, net.eval(), config)
    print(json.dumps(config.meta["interpolated"]))


if __name__ == "__main__":
    main()
