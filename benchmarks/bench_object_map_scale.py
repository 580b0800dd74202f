"""Whether the object-proposal map (Eq. 3) around a first click tells the object's size.

    python benchmarks/bench_object_map_scale.py usiigaci monuseg cpm15 isbi2012_em

A scale prior from the image itself could let the first-view search (`napari_cag.firstview`) stop at the
right view where the network's own answer does not (phase-contrast cells, a large even object). For each of
``--val-objects`` seeded held-out objects per set (the split and structure cache of `napari-cag train`), one
positive click at the object's centre; the map's connected region at the click, thresholded at a share of
its peak (255), is compared with the true object: ``log2(region extent / object extent)`` (0 is right, 1 is
twice too large), its median and inter-quartile range, and the share of objects within 2x.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

SHARES = (0.3, 0.5, 0.7, 0.9)


def main() -> None:
    from scipy import ndimage as ndi

    from napari_cag.cli import _training_images
    from napari_cag.clicks import Click
    from napari_cag.guidance import object_map
    from napari_cag.image import mask_box
    from napari_cag.model import ModelConfig
    from napari_cag.simulate import farthest_point
    from napari_cag.splits import split_validation
    from napari_cag.training.cache import build_cache, load_cache
    from napari_cag.training.validation import held_out_objects

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="set folders under --data")
    parser.add_argument("--data", default="../shared/datasets")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--val-objects", type=int, default=20)
    args = parser.parse_args()

    def extent(mask):
        r0, c0, r1, c1 = mask_box(mask)
        return max(r1 - r0 + 1, c1 - c0 + 1)

    for name in args.sets:
        paths = build_cache(_training_images([f"{args.data}/{name}"], None), args.cache, ModelConfig())
        _, held_out = split_validation(load_cache(paths), 0.1)
        samples, items = held_out_objects(held_out, args.val_objects, seed=0)
        for set_name, objects in samples.items():
            ratios = []
            for sample in objects:
                gt = sample.labels == sample.object_id
                y, x = farthest_point(gt)
                m = object_map(items[sample.image_path].structure, [Click(y, x, True)])
                row = []
                for share in SHARES:
                    regions, _ = ndi.label(m >= share * 255)
                    row.append(np.log2(extent(regions == regions[int(y), int(x)]) / extent(gt)))
                ratios.append(row)
            a = np.array(ratios)
            print(json.dumps({"set": set_name, "objects": len(a), "shares": SHARES,
                              "median_log2": np.round(np.median(a, 0), 2).tolist(),
                              "iqr_log2": np.round(np.percentile(a, 75, 0) - np.percentile(a, 25, 0), 2).tolist(),
                              "within_2x": np.round((np.abs(a) <= 1).mean(0), 2).tolist()}), flush=True)


if __name__ == "__main__":
    main()
