"""The training validation (held-out images of each training set) for any weights, e.g. step 0 of a curve.

    python benchmarks/validate_run.py --data ../shared/datasets/cpm15 ... --weights W.safetensors --out F.json

Uses the split and the seeded objects of `napari-cag train` with the same
``--data``, ``--val-fraction``, ``--val-objects`` and ``--seed``, and the
structure cache that training built.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    from napari_cag.cli import _training_images
    from napari_cag.model import ModelConfig, load_model
    from napari_cag.training.cache import build_cache, load_cache, split_validation
    from napari_cag.training.validation import make_validator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--val-objects", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step", type=int, default=0, help="the step to record the figures at")
    parser.add_argument("--out", required=True)
    parser.add_argument("--calibrate", type=int, default=0,
                        help="first recompute batch-norm statistics on this many training batches of 16")
    args = parser.parse_args()
    paths = build_cache(_training_images(args.data, None), args.cache, ModelConfig())
    training, held_out = split_validation(load_cache(paths), args.val_fraction)
    net, config = load_model(args.weights)
    if args.calibrate:
        import numpy as np

        from napari_cag.training.loop import TrainSettings, recalibrate_statistics
        from napari_cag.training.sampler import TrainingSampler

        rng = np.random.default_rng(args.seed)
        recalibrate_statistics(net, TrainingSampler(training, config, rng), args.calibrate, rng,
                               TrainSettings(batch_size=16), config, "cpu")
        net.eval()
    figures = make_validator(held_out, n_objects=args.val_objects, seed=args.seed)(net, config)
    Path(args.out).write_text(json.dumps({"step": args.step, "weights": args.weights, **figures}, indent=1))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
