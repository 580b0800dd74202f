"""The refinement stage in a picture: the network's mask against the refined mask, on a photograph and on nuclei.

Run ``python examples/refinement.py [--out docs/refinement.png]``. The same clicks go to two
sessions on each image, one with ``refine="none"`` (the network's 160-px view pasted back) and one
with the default ``refine="auto"`` (the graph cut at full resolution); the panels zoom on the object.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from skimage import data  # noqa: E402

from napari_cag import Session  # noqa: E402
from napari_cag.data import nuclei_2d  # noqa: E402
from napari_cag.metrics import iou  # noqa: E402


def cases():
    """(title, image, clicks, truth or None, zoom box)."""
    yield "photograph (scikit-image's coffee)", data.coffee(), [(190, 300, True)], None, (20, 400, 60, 560)
    image, labels = nuclei_2d()
    ids = np.unique(labels)[1:]
    obj = labels == ids[12]
    rows, cols = np.nonzero(obj)
    r, c = int(np.median(rows)), int(np.median(cols))
    box = (max(r - 40, 0), r + 40, max(c - 40, 0), c + 40)
    yield "nuclei (bundled sample)", image, [(r, c, True)], obj, box


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/refinement.png")
    args = parser.parse_args()
    rows = list(cases())
    fig, axes = plt.subplots(len(rows), 2, figsize=(9, 4.3 * len(rows)))
    for ax_row, (title, image, clicks, truth, (r0, r1, c0, c1)) in zip(axes, rows):
        base = Session(image, refine="none")
        refined = Session(image, structure=base.structure)
        for y, x, positive in clicks:
            base.add_click(y, x, positive)
            refined.add_click(y, x, positive)
        shown = image if image.ndim == 3 else np.clip(image / np.percentile(image, 99.8), 0, 1)
        for ax, session, name in ((ax_row[0], base, "network (refine='none')"),
                                  (ax_row[1], refined, "refined (default)")):
            ax.imshow(shown[r0:r1, c0:c1], cmap="gray")
            ax.contour(session.mask[r0:r1, c0:c1], levels=[0.5], colors=["#00e5ff"], linewidths=1.5)
            if truth is not None:
                ax.contour(truth[r0:r1, c0:c1], levels=[0.5], colors=["#ffd400"], linewidths=1, linestyles="--")
                name += f", IoU {iou(session.mask, truth):.2f}"
            for y, x, positive in clicks:
                ax.plot(x - c0, y - r0, "o", ms=7, mec="white", color="#2ecc40" if positive else "#ff4136")
            ax.set_title(f"{title}\n{name}", fontsize=9)
            ax.axis("off")
    fig.text(0.5, 0.01, "cyan: mask; dashed yellow: ground truth; green: positive clicks",
             ha="center", fontsize=9)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(args.out, dpi=80)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
