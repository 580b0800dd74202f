"""The first click on the held-out objects of the microscopy training sets: IoU and network passes per set.

    python benchmarks/bench_first_view.py --weights src/napari_cag/weights/microscopy.safetensors

One positive click at each object's centre (its farthest point from the
boundary), full pipeline, on the seeded validation objects of `napari-cag
train` (the same split, ``--val-objects`` per set, seed 0) and the structure
cache it built. A pass is one window through the network (a forward hook
counts the batch items), zoom included. Run it on two checkouts to compare
first-view policies.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

SETS = ["dsb2018:train.txt", "monuseg", "cpm15", "usiigaci", "isbi2012_em"]


def main() -> None:
    from napari_cag.cli import _training_images
    from napari_cag.metrics import iou
    from napari_cag.model import ModelConfig
    from napari_cag.predictor import Predictor
    from napari_cag.session import Session
    from napari_cag.simulate import farthest_point
    from napari_cag.training.cache import build_cache, load_cache, split_validation
    from napari_cag.training.validation import held_out_objects

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True)
    parser.add_argument("--data", default="../shared/datasets")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--val-objects", type=int, default=12)
    args = parser.parse_args()
    paths = build_cache(_training_images([f"{args.data}/{s}" for s in SETS], None), args.cache, ModelConfig())
    _, held_out = split_validation(load_cache(paths), 0.1)
    samples, items = held_out_objects(held_out, args.val_objects, seed=0)
    predictor = Predictor(args.weights, respect_clicks=False)
    passes: list[int] = []
    predictor.net.register_forward_pre_hook(lambda module, inputs: passes.append(inputs[0].shape[0]))
    figures = {}
    for name, objects in samples.items():
        ious, counts = [], []
        for sample in objects:
            truth = sample.labels == sample.object_id
            session = Session(sample.image, model=predictor, structure=items[sample.image_path].structure)
            passes.clear()
            ious.append(iou(session.add_click(*farthest_point(truth)), truth))
            counts.append(sum(passes))
        figures[name] = {"iou@1": round(float(np.mean(ious)), 3), "passes": round(float(np.mean(counts)), 2)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
