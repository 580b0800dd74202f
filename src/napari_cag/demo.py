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


def _draw(image, truth, labels, chosen, clicks, ious, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from skimage.segmentation import find_boundaries

    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(image, cmap="gray")
    shown = np.ma.masked_equal(labels, 0)
    ax.imshow(shown, cmap="tab10", alpha=0.45, interpolation="nearest")
    edge = find_boundaries(np.isin(truth, chosen) * truth, mode="inner")
    ax.imshow(np.ma.masked_equal(edge, 0), cmap="autumn", interpolation="nearest")
    for c in clicks:
        ax.plot(c.x, c.y, "o", ms=6, mec="white", mfc="lime" if c.positive else "red")
    ax.set_title(f"napari-cag demo: {len(ious)} nuclei, mean IoU {np.mean(ious):.3f}\n"
                 "fill: predicted masks · yellow: ground-truth outlines · dots: simulated clicks")
    ax.set_axis_off()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
