"""``napari-cag demo``: a real interactive session on the bundled nuclei, run headless.

A simulated user (the NoC protocol's click placement) segments a few nuclei
of the bundled CC0 fluorescence image with a handful of clicks each; the
result is written as a PNG and the IoU against the ground truth is printed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import nuclei_2d
from .metrics import iou
from .session import Session
from .simulate import next_click

__all__ = ["run_demo"]


def run_demo(out: str | Path = "napari-cag-demo.png", *, n_objects: int = 6, clicks: int = 3,
             model=None, device: str | None = None, seed: int = 0) -> dict:
    """Segment `n_objects` nuclei with up to `clicks` simulated clicks each.

    Returns
    -------
    dict
        ``ious`` per object, their ``mean``, and the PNG's ``path``.
    """
    image, truth = nuclei_2d()
    session = Session(image, model=model, device=device)
    rng = np.random.default_rng(seed)
    edge = np.unique(np.concatenate([truth[0], truth[-1], truth[:, 0], truth[:, -1]]))
    ids = np.setdiff1d(np.unique(truth[truth > 0]), edge)  # whole nuclei: not cut by the border
    chosen = rng.choice(ids, size=min(n_objects, len(ids)), replace=False)
    labels = np.zeros(truth.shape, np.int32)
    ious, all_clicks = [], []
    for object_id in chosen:
        gt = truth == object_id
        for _ in range(clicks):
            click = next_click(session.mask, gt)
            if click is None:
                break
            session.add_click(click.y, click.x, click.positive)
        ious.append(iou(session.mask, gt))
        all_clicks += session.clicks
        labels = session.commit(labels)
    path = _draw(image, truth, labels, chosen, all_clicks, ious, Path(out))
    return {"ious": ious, "mean": float(np.mean(ious)), "path": path}


# One colour per meaning, none shared: the legend is drawn from these, so it cannot drift from the picture.
COLORS = {"mask": "deepskyblue", "truth": "yellow", "positive": "lime", "negative": "red"}


def _draw(image, truth, labels, chosen, clicks, ious, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from skimage.segmentation import find_boundaries

    fig, ax = plt.subplots(figsize=(7, 7.4))
    ax.imshow(image, cmap="gray")
    ax.imshow(np.ma.masked_equal(labels > 0, False), cmap=ListedColormap([COLORS["mask"]]), alpha=0.6,
              interpolation="nearest", vmin=0, vmax=1)
    edge = find_boundaries(np.isin(truth, chosen) * truth, mode="inner")
    ax.imshow(np.ma.masked_equal(edge, False), cmap=ListedColormap([COLORS["truth"]]), interpolation="nearest",
              vmin=0, vmax=1)
    for c in clicks:
        ax.plot(c.x, c.y, "o", ms=6, mec="white", mfc=COLORS["positive" if c.positive else "negative"])
    ax.set_title(f"napari-cag demo: {len(ious)} nuclei, {len(clicks)} simulated clicks, mean IoU {np.mean(ious):.3f}")
    handles = [Patch(color=COLORS["mask"], alpha=0.6, label="predicted masks"),
               Line2D([], [], color=COLORS["truth"], lw=2, label="ground-truth outlines"),
               Line2D([], [], ls="", marker="o", mec="white", mfc=COLORS["positive"], label="positive clicks"),
               Line2D([], [], ls="", marker="o", mec="white", mfc=COLORS["negative"], label="negative clicks")]
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, fontsize=9, handlelength=1.5)
    ax.set_axis_off()
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
