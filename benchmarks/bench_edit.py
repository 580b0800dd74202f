"""Editing a committed object (the widget's Shift+click, `napari_cag._napari.edit.EditSession`) on the bundled nuclei.

    python benchmarks/bench_edit.py [--no-anchor]

Each of the first nuclei of at least 100 px is committed after one click at its
most interior point (shipped microscopy model, full pipeline), then edited
twice from that committed mask: one negative click on the background 2-4 px
beside it, and one positive click on the first pixel, in raster order, of the
nucleus that the mask missed. Prints the mean IoU of the committed mask with
the truth, of the mask after the negative click with the committed mask and
with the truth, and of the mask after the positive click with the truth.
``--no-anchor`` edits without the positive click that stands for the object
(`anchor_click`), as before 2026-12-07.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import ndimage as ndi


def main() -> None:
    import napari_cag._napari.edit as edit
    from napari_cag import Session
    from napari_cag.data import nuclei_2d
    from napari_cag.metrics import iou
    from napari_cag.simulate import farthest_point

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10)
    parser.add_argument("--no-anchor", action="store_true", help="edit without the anchor click")
    args = parser.parse_args()
    if args.no_anchor:
        edit.anchor_click = lambda mask, clicks: None

    image, labels = nuclei_2d()
    session, rows = Session(image, model="microscopy"), []
    for label in np.unique(labels)[1:]:
        truth = labels == label
        if len(rows) == args.objects:
            break
        if truth.sum() < 100:
            continue
        session.reset()
        committed = session.add_click(*farthest_point(truth)).astype(bool)
        beside = ndi.binary_dilation(committed, iterations=4) & ~ndi.binary_dilation(committed, iterations=2)
        beside &= labels == 0
        if not beside.any():
            continue
        negative = edit.EditSession(session, 1, committed).add_click(*np.argwhere(beside)[0], False)
        missed = truth & ~committed
        positive = (edit.EditSession(session, 1, committed).add_click(*np.argwhere(missed)[0], True)
                    if missed.any() else committed)
        rows.append((iou(committed, truth), iou(negative, committed), iou(negative, truth), iou(positive, truth)))
    a = np.array(rows).mean(axis=0)
    print(f"{len(rows)} nuclei{' (no anchor)' if args.no_anchor else ''}: committed vs truth {a[0]:.3f}; "
          f"after a negative click beside it: vs committed {a[1]:.3f}, vs truth {a[2]:.3f}; "
          f"after a positive click on a missed part: vs truth {a[3]:.3f}")


if __name__ == "__main__":
    main()
