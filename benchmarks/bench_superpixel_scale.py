"""How well superpixels of a given size follow the objects of an evaluation set.

    python benchmarks/bench_superpixel_scale.py ../shared/datasets/dsb2018:val.txt --areas 400 200 100 50 \
        --objects 100 --figure docs/superpixel_scale.png

Eq. 2 gives every pixel of a clicked superpixel the click's side. Where a superpixel is as large as the
object (1,000 superpixels of a 520 x 696 micrograph are 360 px each, a DSB2018 nucleus is 50-800 px), a
corrective click near the boundary claims a piece of the other side with it. For each superpixel size
(``ModelConfig.max_superpixel_area``, with the model's 1,000 superpixels at least), on the seeded objects
of `napari-cag evaluate`:

- the best IoU that whole superpixels can give the object (each superpixel taken when most of it is
  inside): an upper bound of what the superpixel maps can say about the boundary;
- at the protocol's first click (the object's point farthest from its boundary), the share of the clicked
  superpixel lying outside the object, and how often that share exceeds 30 %.

``--figure`` draws one object's superpixels at the smallest and largest size, with the truth's outline.
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    from napari_cag.cli import _data_spec
    from napari_cag.datasets import load_dataset
    from napari_cag.metrics import iou
    from napari_cag.model import ModelConfig
    from napari_cag.simulate import farthest_point
    from napari_cag.structure import compute_structure

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("data", help="dataset folder, optionally PATH:SPLIT")
    p.add_argument("--areas", type=int, nargs="+", default=[400, 200, 100, 50])
    p.add_argument("--objects", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--figure", default=None, help="where to save the picture (PNG)")
    p.add_argument("--show", type=int, default=0, help="which object the figure shows")
    args = p.parse_args()

    root, split = _data_spec(args.data)
    samples = load_dataset(root, split=split, max_instances=args.objects, seed=args.seed)
    current, structures, rows = None, {}, {a: [] for a in args.areas}
    for sample in samples:  # consecutive samples of one image share its superpixels
        loaded = sample.load()
        gt = loaded.mask
        if sample.image_path != current:
            current, structures = sample.image_path, {}
        for area in args.areas:
            if area not in structures:
                n = ModelConfig(max_superpixel_area=area).n_segments_for(gt.shape)
                structures[area] = compute_structure(loaded.image, n_segments=n, hierarchies=False).superpixels
            sp = structures[area]
            n = int(sp.max()) + 1
            inside = np.bincount(sp.ravel(), gt.ravel(), n)
            total = np.bincount(sp.ravel(), minlength=n)
            best = (inside > total / 2)[sp]
            clicked = sp[tuple(farthest_point(gt))]
            rows[area].append((iou(best, gt), 1 - inside[clicked] / total[clicked], int(gt.sum())))
    print(f"{root.name}{':' + split if split else ''}, {len(samples)} objects")
    print("| largest superpixel (px) | best IoU of whole superpixels | objects under 200 px | "
          "clicked superpixel outside the object | share over 30 % |")
    print("| --- | --- | --- | --- | --- |")
    for area in args.areas:
        r = np.array(rows[area])
        small = r[:, 2] < 200
        print(f"| {area} | {r[:, 0].mean():.3f} | {r[small, 0].mean():.3f} | {r[:, 1].mean():.3f} | "
              f"{np.mean(r[:, 1] > 0.3):.2f} |")
    if args.figure:
        draw(samples[args.show], [min(args.areas), max(args.areas)], args.figure)


def draw(sample, areas, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from skimage.segmentation import find_boundaries

    from napari_cag.image import normalize_image
    from napari_cag.model import ModelConfig
    from napari_cag.structure import compute_structure

    loaded = sample.load()
    gt, image = loaded.mask, normalize_image(loaded.image)
    ys, xs = np.nonzero(gt)
    half = int(max(np.ptp(ys), np.ptp(xs), 16) * 1.5)
    cy, cx = int(ys.mean()), int(xs.mean())
    crop = slice(max(cy - half, 0), cy + half), slice(max(cx - half, 0), cx + half)
    grey = image.mean(axis=2) if image.ndim == 3 else image
    fig, axes = plt.subplots(1, len(areas), figsize=(4 * len(areas), 4.3))
    for ax, area in zip(axes, sorted(areas, reverse=True)):
        n = ModelConfig(max_superpixel_area=area).n_segments_for(gt.shape)
        sp = compute_structure(loaded.image, n_segments=n, hierarchies=False).superpixels
        ax.imshow(grey[crop], cmap="gray")
        edges = np.ma.masked_where(~find_boundaries(sp[crop]), np.ones(gt[crop].shape))
        ax.imshow(edges, cmap="autumn", alpha=0.7, interpolation="nearest")
        ax.contour(gt[crop], [0.5], colors="cyan", linewidths=1.5)
        ax.set_title(f"superpixels of at most {area} px (red), object (cyan)", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
