"""Negative clicks the network overrules, before and after they cut the mask instead of a pinhole, drawn.

    python benchmarks/plot_pinholes.py ../shared/datasets/dsb2018:val.txt --objects 300 \
        --figure docs/negative_click_pinholes.png

Runs the click protocol (up to ``--clicks`` clicks) on the seeded objects of `napari-cag evaluate` with the
shipped model chosen per image, and at every negative click answers it twice from the same previous state:
as shipped (an overruled negative click in a pinhole of the mask cuts it, `napari_cag.refine.respect_clicks`)
and as before (the pinhole stays). Draws the first ``--rows`` clicks where the two answers differ: the
previous answer with the click, the answer before, the answer now, the true mask in green (only clicks whose
IoU moves by at least ``--min-change``). Prints how many negative clicks the change touched and their mean IoU
both ways.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

import numpy as np


def differing_clicks(spec: str, objects: int, clicks: int, rows: int, min_change: float):
    """``(image, gt, previous, click, before, after)`` for the negative clicks whose two answers differ,
    the IoU pairs of all of them, and the number of negative clicks seen."""
    from napari_cag import Session
    from napari_cag.cli import _data_spec
    from napari_cag.datasets import load_dataset
    from napari_cag.predictor import Predictor
    from napari_cag.refine import clicks as refine_clicks
    from napari_cag.metrics import iou
    from napari_cag.simulate import next_click

    root, split = _data_spec(spec)
    predictor, found, changes, negatives, current, session = Predictor("auto"), [], [], 0, None, None
    for sample in load_dataset(root, split=split, max_instances=objects, seed=0):
        loaded = sample.load()
        if sample.image_path != current:
            session, current = Session(loaded.image, model=predictor), sample.image_path
        session.reset()
        gt, mask = loaded.mask, np.zeros_like(loaded.mask)
        for _ in range(clicks):
            click = next_click(mask, gt, loaded.ignore)
            if click is None:
                break
            if not click.positive:  # answered as before, undone, then answered as shipped
                negatives += 1
                with mock.patch.object(refine_clicks, "_pinholes", lambda *a: None):
                    before = session.add_click(click.y, click.x, False)
                session.undo()
            after = session.add_click(click.y, click.x, click.positive)
            if not click.positive and not np.array_equal(before, after):
                changes.append((iou(before, gt, loaded.ignore), iou(after, gt, loaded.ignore)))
                if abs(changes[-1][1] - changes[-1][0]) >= min_change and len(found) < rows:
                    found.append((loaded.image, gt, mask, click, before, after))
            mask = after
    return found, changes, negatives


def plot(found, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from napari_cag.metrics import iou

    fig, axes = plt.subplots(len(found), 3, figsize=(7.5, 2.5 * len(found)), squeeze=False)
    for row, (image, gt, previous, click, before, after) in zip(axes, found):
        ys, xs = np.nonzero(gt | previous | before | after)
        y0, x0 = max(ys.min() - 10, 0), max(xs.min() - 10, 0)
        crop = (slice(y0, ys.max() + 11), slice(x0, xs.max() + 11))
        shown = image[crop] if image.ndim == 2 else image[crop][..., :3]
        for ax, mask, title in zip(row, (previous, before, after), ("previous answer", "before: pinhole", "now")):
            ax.imshow(shown, cmap="gray")
            ax.contour(gt[crop], [0.5], colors="lime", linewidths=1)
            if mask[crop].any():
                ax.contour(mask[crop], [0.5], colors="red", linewidths=1.5)
            ax.plot(click.x - x0, click.y - y0, "x", color="magenta", ms=9, mew=2.5)
            ax.set_title(f"{title}: IoU {iou(mask, gt):.2f}", fontsize=9)
            ax.axis("off")
    fig.suptitle("negative click (x) the network overruled; true mask green, answer red", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="PATH or PATH:SPLIT, as for napari-cag evaluate")
    parser.add_argument("--objects", type=int, default=300)
    parser.add_argument("--clicks", type=int, default=8)
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--min-change", type=float, default=0.03, help="IoU change of the clicks drawn")
    parser.add_argument("--figure", type=Path, required=True)
    args = parser.parse_args(argv)
    found, changes, negatives = differing_clicks(args.data, args.objects, args.clicks, args.rows, args.min_change)
    if not found:
        raise SystemExit(f"none of {negatives} negative clicks met a pinhole")
    before, after = np.mean(changes, axis=0)
    better = sum(b > a for a, b in changes)
    print(f"{len(changes)} of {negatives} negative clicks changed ({better} for the better); "
          f"mean IoU {before:.3f} (pinhole) -> {after:.3f} (cut)")
    plot(found, args.figure)
    print(f"figure: {args.figure}")


if __name__ == "__main__":
    main()
