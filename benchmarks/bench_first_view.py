"""The first click on the held-out objects of the microscopy training sets: IoU and network passes per set.

    python benchmarks/bench_first_view.py --weights src/napari_cag/weights/microscopy.safetensors

One positive click at each object's centre (its farthest point from the
boundary), full pipeline, on the seeded validation objects of `napari-cag
train` (the same split, ``--val-objects`` per set, seed 0) and the structure
cache it built. A pass is one window through the network (a forward hook
counts the batch items), zoom included. Run it on two checkouts to compare
first-view code, or pick the policy here (``--policy``):

- ``search``: the pipeline's own (`napari_cag.firstview`: windows smallest first, stopping once a larger
  one can only frame the object worse);
- ``all``: the same windows, every one scored (no early stop);
- ``whole``: the whole image, then a zoom on its answer (``Predictor(first_view="whole")``);
- ``ideal``: a window of twice the true object's box, then the zoom (a bound no user reaches).

Two trials on top of the policy (docs/RESULTS.md, ninth session of the models issue; neither is in the
pipeline):

- ``--prior-span K``: the search's smallest view is at least K times the side of the longest-persisting
  boundary-tree proposal at the click (`bench_object_map_scale.persistent_area`), a size the image suggests;
- ``--flips h|hv``: test-time augmentation, the network's logits averaged over the input flipped left-right
  (``h``) or over all four flips (``hv``); a pass counts each flip.
"""

from __future__ import annotations

import argparse
import json
import types

import numpy as np
import torch

SETS = ["dsb2018:train.txt", "monuseg", "cpm15", "usiigaci", "isbi2012_em"]
POLICIES = ("search", "all", "whole", "ideal")


def ideal_view(truth: dict):
    """A `Predictor._first_view` that frames the true object (``truth["gt"]``) at twice its box."""
    from napari_cag.image import mask_box
    from napari_cag.predictor import Window

    def view(self, image, structure, clicks, first):
        y0, x0, y1, x1 = mask_box(truth["gt"])
        side = max(2 * (max(y1 - y0, x1 - x0) + 1), self.config.min_window)  # mask_box is inclusive
        window = Window((y0 + y1) // 2 - side // 2, (x0 + x1) // 2 - side // 2, side)
        prob, maps = self._pass(image, structure, clicks, None, [window])[0]
        return self._zoom(image, structure, clicks, prob, maps, window)

    return view


def main() -> None:
    from napari_cag import predictor as predictor_module
    from napari_cag.cli import _training_images
    from napari_cag.firstview import candidate_windows, search_done
    from napari_cag.model import ModelConfig
    from napari_cag.predictor import Predictor
    from napari_cag.training.cache import build_cache, load_cache, split_validation
    from napari_cag.training.validation import held_out_objects

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True)
    parser.add_argument("--data", default="../shared/datasets")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--val-objects", type=int, default=12)
    parser.add_argument("--policy", default="search", choices=POLICIES)
    parser.add_argument("--prior-span", type=float, default=0.0, help="see above (0: none)")
    parser.add_argument("--flips", choices=("h", "hv"), help="see above")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated, from " + ",".join(SETS))
    args = parser.parse_args()
    sets = args.sets.split(",")
    if set(sets) - set(SETS):
        raise SystemExit(f"--sets: choose from {','.join(SETS)}")
    paths = build_cache(_training_images([f"{args.data}/{s}" for s in sets], None), args.cache, ModelConfig())
    _, held_out = split_validation(load_cache(paths), 0.1)
    samples, items = held_out_objects(held_out, args.val_objects, seed=0)
    predictor = Predictor(args.weights, respect_clicks=False,
                          first_view="whole" if args.policy == "whole" else "search")
    truth: dict = {}
    if args.policy == "all":
        predictor_module.search_done = lambda *a: False  # the module's name, as `Predictor` looks it up
    elif args.policy == "ideal":
        predictor._first_view = types.MethodType(ideal_view(truth), predictor)
    if args.prior_span:
        truth["span"] = args.prior_span
        predictor_module.candidate_windows = lambda shape, click, smallest: candidate_windows(
            shape, click, max(smallest, int(truth["span"] * truth["prior"])))
    passes: list[int] = []
    predictor.net.register_forward_pre_hook(lambda module, inputs: passes.append(inputs[0].shape[0]))
    figures = {}
    try:
        if args.flips:
            predictor.net = Flips(predictor.net, [(-1,)] if args.flips == "h" else [(-1,), (-2,), (-2, -1)])
        measure(samples, items, predictor, truth, passes, figures)
    finally:
        predictor_module.search_done = search_done
        predictor_module.candidate_windows = candidate_windows
    print(json.dumps({"policy": args.policy, "prior_span": args.prior_span, "flips": args.flips,
                      "weights": args.weights, **figures}))


class Flips(torch.nn.Module):
    """A network whose logits are averaged over flipped copies of its input (``--flips``)."""

    def __init__(self, net, flips):
        super().__init__()
        self.net, self.flips = net, flips

    def forward(self, x):
        out = self.net(x)
        for dims in self.flips:
            out = out + self.net(x.flip(dims)).flip(dims)
        return out / (1 + len(self.flips))


def measure(samples, items, predictor, truth, passes, figures) -> None:
    """First-click IoU and network passes per set into `figures`."""
    from bench_object_map_scale import persistent_area, trees_with_heights

    from napari_cag.metrics import iou
    from napari_cag.session import Session
    from napari_cag.simulate import farthest_point

    trees = {}
    for name, objects in samples.items():
        ious, counts = [], []
        for sample in objects:
            truth["gt"] = gt = sample.labels == sample.object_id
            y, x = farthest_point(gt)
            if "span" in truth:  # the size prior of --prior-span, from the boundary tree
                item = items[sample.image_path]
                if sample.image_path not in trees:
                    trees[sample.image_path] = trees_with_heights(item)["boundary"]
                leaf = int(item.structure.superpixels[int(y), int(x)])
                truth["prior"] = np.sqrt(persistent_area(*trees[sample.image_path], leaf, 0.25 * gt.size))
            session = Session(sample.image, model=predictor, structure=items[sample.image_path].structure)
            passes.clear()
            ious.append(iou(session.add_click(y, x), gt))
            counts.append(sum(passes))
        figures[name] = {"iou@1": round(float(np.mean(ious)), 3), "passes": round(float(np.mean(counts)), 2)}


if __name__ == "__main__":
    main()
