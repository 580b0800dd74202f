"""The first click's worst answers on a dataset, with and without the touching-nucleus split, drawn.

    python benchmarks/plot_first_click_failures.py ../shared/datasets/dsb2018:val.txt --objects 300 \
        --min-area 400 --below 0.75 --figure docs/first_click_touching.png

Runs the protocol's first click (the centre of the object) with the shipped model chosen per image on the
seeded objects of `napari-cag evaluate`, twice: with the microscopy preset's ``neck_ratio`` (as shipped) and
with it set to 0. Draws the first 16 objects of at least ``--min-area`` px whose answer without the split is
under ``--below`` IoU: the true mask in green, the answer without the split dashed, with it solid, the other
annotated objects thin. Prints the mean first-click IoU of all objects of that size both ways.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np


def first_answers(spec: str, objects: int, min_area: int):
    """``(sample, loaded, click, without, with)`` for every seeded object of at least `min_area` px."""
    from napari_cag import Session
    from napari_cag.cli import _data_spec
    from napari_cag.datasets import load_dataset
    from napari_cag.domain import image_domain
    from napari_cag.predictor import Predictor
    from napari_cag.refine import REFINE_PRESETS
    from napari_cag.simulate import next_click

    root, split = _data_spec(spec)
    no_split = dataclasses.replace(REFINE_PRESETS["microscopy"], neck_ratio=0.0)
    predictor, rows, current, sessions = Predictor("auto"), [], None, []
    for sample in load_dataset(root, split=split, max_instances=objects, seed=0):
        loaded = sample.load()
        if loaded.mask.sum() < min_area:
            continue
        if sample.image_path != current:  # one pair of sessions per image: its structure is computed once each
            current = sample.image_path
            without = no_split if image_domain(loaded.image) == "microscopy" else None
            sessions = [Session(loaded.image, model=predictor, refine=refine) for refine in (without, None)]
        click = next_click(np.zeros_like(loaded.mask), loaded.mask, loaded.ignore)
        masks = []
        for session in sessions:
            session.reset()
            masks.append(session.add_click(click.y, click.x, True))
        rows.append((sample, loaded, click, *masks))
    return rows


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from napari_cag.metrics import iou

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="PATH or PATH:SPLIT, as for napari-cag evaluate")
    parser.add_argument("--objects", type=int, default=300)
    parser.add_argument("--min-area", type=int, default=400)
    parser.add_argument("--below", type=float, default=0.75)
    parser.add_argument("--figure", type=Path, required=True)
    args = parser.parse_args()
    rows = first_answers(args.data, args.objects, args.min_area)
    scores = np.array([[iou(a, r[1].mask, r[1].ignore) for a in r[3:]] for r in rows])
    print(f"{len(rows)} objects of at least {args.min_area} px: first-click IoU {scores[:, 0].mean():.3f} without "
          f"the split, {scores[:, 1].mean():.3f} with it; changed on {(np.abs(scores[:, 1] - scores[:, 0]) > 0.01).sum()}")
    bad = [(r, s) for r, s in zip(rows, scores) if s[0] < args.below][:16]
    fig, axes = plt.subplots(4, 4, figsize=(12, 12))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, ((sample, loaded, click, without, with_), s) in zip(axes.ravel(), bad):
        ys, xs = np.nonzero(loaded.mask | without | with_)
        image = loaded.image if loaded.image.ndim == 2 else loaded.image[..., :3]
        ax.imshow(image, cmap="gray")
        if loaded.instances is not None:
            ax.contour(loaded.instances > 0, [0.5], colors="c", linewidths=0.5)
        ax.contour(loaded.mask, [0.5], colors="lime")
        ax.contour(without, [0.5], colors="r", linestyles="dashed")
        ax.contour(with_, [0.5], colors="r")
        ax.plot(click.x, click.y, "y*")
        ax.set_xlim(max(xs.min() - 15, 0), xs.max() + 15)
        ax.set_ylim(ys.max() + 15, max(ys.min() - 15, 0))
        ax.set_title(f"{int(loaded.mask.sum())} px: IoU {s[0]:.2f} → {s[1]:.2f}", fontsize=9)
    fig.suptitle(f"first click, {args.data.split('/')[-1]}: truth (green), without the split (dashed), "
                 f"with it (solid)", fontsize=10)
    fig.tight_layout()
    fig.savefig(args.figure, dpi=60)


if __name__ == "__main__":
    main()
