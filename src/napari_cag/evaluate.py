"""The standard NoC protocol (Sec. 4.1): simulated clicks until the mask is good enough.

Per object, the first click goes to the point of the object farthest from its
boundary, each next one to the centre of the largest error region (positive
on a missed part of the object, negative otherwise), up to 20 clicks. NoC@85
and NoC@90 count the clicks needed to reach 85 % / 90 % IoU (20 when never
reached) and the mean IoU after each click is recorded.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from .clicks import Click
from .image import mask_box
from .metrics import iou, noc, summarize
from .simulate import next_click

__all__ = ["LabelledObject", "ObjectResult", "Segmenter", "RandomWalkerSession", "run_protocol", "write_report", "plot_curves"]


class Segmenter(Protocol):
    """What the protocol drives: `napari_cag.Session` and the baselines."""

    def add_click(self, y: float, x: float, positive: bool = True) -> np.ndarray: ...

    def reset(self) -> None: ...


class LabelledObject:
    """One object of an in-memory label image, as a sample `run_protocol` takes.

    Objects with the same `key` share a session (and so the image's structure).
    """

    def __init__(self, key, image: np.ndarray, labels: np.ndarray, object_id: int, ignore: np.ndarray | None = None):
        self.image_path, self.name, self.image = key, f"{key}#{object_id}", image
        self.labels, self.object_id, self.ignore = labels, object_id, ignore

    def load(self):
        from .datasets import LoadedSample

        return LoadedSample(self.image, self.labels == self.object_id, self.ignore, None)


@dataclass
class ObjectResult:
    """The protocol's outcome for one object."""

    name: str
    ious: list[float]
    clicks: list[Click] = field(repr=False)
    area: int = 0


def run_protocol(
    samples: Iterable,
    make_session: Callable[[object], Segmenter],
    *,
    max_clicks: int = 20,
    stop_at: float | None = None,
    progress: Callable[[ObjectResult], None] | None = None,
) -> list[ObjectResult]:
    """Run the click protocol on every object.

    Parameters
    ----------
    samples : iterable of dataset samples
        Each with ``name``, ``image_path``, ``image``, ``mask`` and ``ignore``
        (`napari_cag.datasets`); consecutive samples of one image share a session.
    make_session : callable
        ``make_session(sample) -> Segmenter``, called once per image (with its
        first sample).
    max_clicks : int
        Clicks per object (20 in the paper).
    stop_at : float, optional
        Stop an object once its IoU reaches this (the rest of its IoU curve
        keeps the last value); None runs every click.
    progress : callable, optional
        Called with each finished `ObjectResult`.

    Returns
    -------
    list of ObjectResult
    """
    results, session, current = [], None, None
    for sample in samples:
        if sample.image_path != current:
            session, current = make_session(sample), sample.image_path
        session.reset()
        loaded = sample.load()
        gt, ignore = loaded.mask, loaded.ignore
        pred = np.zeros_like(gt, dtype=bool)
        ious, clicks = [], []
        for _ in range(max_clicks):
            click = next_click(pred, gt, ignore)
            if click is None:  # perfect already: every further click keeps it
                ious.append(ious[-1] if ious else 1.0)
                continue
            clicks.append(click)
            pred = session.add_click(click.y, click.x, click.positive)
            ious.append(iou(pred, gt, ignore))
            if stop_at is not None and ious[-1] >= stop_at:
                break
        ious += [ious[-1]] * (max_clicks - len(ious))
        result = ObjectResult(sample.name, ious, clicks, int(gt.sum()))
        results.append(result)
        if progress:
            progress(result)
    return results


class RandomWalkerSession:
    """Training-free baseline: scikit-image's random walker seeded by the clicks.

    It runs on a window around the clicks and the previous mask (twice their
    extent, 64 to ``2 * max_half + 1`` px) whose border seeds the background
    when there is no negative click yet, resampled to at most `side` px, so
    a click costs about the same for any object or image size.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array_like
    beta : float
        Random walker edge sensitivity.
    max_half : int
        Half the largest window side.
    side : int
        The window is resampled to at most this many pixels a side for the
        walk (a direct sparse solve), and the probability resampled back.
    """

    def __init__(self, image: np.ndarray, beta: float = 130.0, max_half: int = 512, side: int = 128):
        from .image import normalize_image

        self.image = normalize_image(image)
        self.beta, self.max_half, self.side = beta, max_half, side
        self.reset()

    def reset(self) -> None:
        self.clicks: list[Click] = []
        self.mask = np.zeros(self.image.shape[:2], bool)

    def add_click(self, y: float, x: float, positive: bool = True) -> np.ndarray:
        from skimage.segmentation import random_walker
        from skimage.transform import resize

        self.clicks.append(Click(y, x, positive))
        h, w = self.mask.shape
        box = mask_box(self.mask)
        pts = np.array([c.pixel for c in self.clicks] + ([box[:2], box[2:]] if box else []))
        (r0, c0), (r1, c1) = pts.min(axis=0), pts.max(axis=0)
        half = int(np.clip(max(r1 - r0, c1 - c0), 32, self.max_half))
        cy, cx = (r0 + r1) // 2, (c0 + c1) // 2
        ys, xs = slice(max(cy - half, 0), min(cy + half + 1, h)), slice(max(cx - half, 0), min(cx + half + 1, w))
        # the walk runs on the window resampled to at most `side` px: same cost for any object size
        wh, ww = ys.stop - ys.start, xs.stop - xs.start
        f = min(1.0, self.side / max(wh, ww))
        sh, sw = max(int(round(wh * f)), 2), max(int(round(ww * f)), 2)
        seeds = np.zeros((sh, sw), np.int32)
        if not any(not c.positive for c in self.clicks):
            seeds[[0, -1], :] = 2
            seeds[:, [0, -1]] = 2
        for c in self.clicks:
            r, col = c.pixel
            if ys.start <= r < ys.stop and xs.start <= col < xs.stop:
                seeds[min(int((r - ys.start) * f), sh - 1), min(int((col - xs.start) * f), sw - 1)] = \
                    1 if c.positive else 2
        mask = np.zeros_like(self.mask)
        if (seeds == 1).any() and (seeds == 2).any():
            small = resize(self.image[ys, xs], (sh, sw), anti_aliasing=f < 1)
            prob = random_walker(small, seeds, beta=self.beta, mode="bf", channel_axis=-1, return_full_prob=True)[0]
            mask[ys, xs] = resize(prob, (wh, ww), order=1) > 0.5
        self.mask = mask
        return mask.copy()


def write_report(
    results: dict[str, list[ObjectResult]],
    out_dir: str | Path,
    *,
    dataset: str,
    command: str,
    thresholds: Sequence[float] = (0.85, 0.90),
    max_clicks: int = 20,
) -> dict:
    """Write ``summary.json``, ``objects.csv`` and ``miou.png`` for one or more methods.

    Returns
    -------
    dict
        The summary: per method NoC@85/90, failures, object count, mean IoU per click.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {"dataset": dataset, "command": command, "methods": {}}
    for method, objects in results.items():
        figures = summarize([r.ious for r in objects], thresholds=thresholds, max_clicks=max_clicks)
        figures["mean_iou"] = [round(float(v), 4) for v in figures["mean_iou"]]
        summary["methods"][method] = figures
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    with (out_dir / "objects.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["method", "object", "area"] + [f"noc@{round(t * 100)}" for t in thresholds]
                        + [f"iou@{k}" for k in range(1, max_clicks + 1)])
        for method, objects in results.items():
            for r in objects:
                writer.writerow([method, r.name, r.area] + [noc(r.ious, t, max_clicks) for t in thresholds]
                                + [f"{v:.4f}" for v in r.ious])
    plot_curves(summary, out_dir / "miou.png", max_clicks)
    return summary


def plot_curves(summary: dict, path: Path, max_clicks: int = 20) -> None:
    """Mean IoU vs clicks, one curve per method of a summary (the ``miou.png`` of `write_report`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for method, s in summary["methods"].items():
        curve = s["mean_iou"]
        ax.plot(np.arange(1, len(curve) + 1), curve, marker="o", ms=3,
                label=f"{method} (NoC@85 {s['noc@85']:.2f}, NoC@90 {s['noc@90']:.2f})")
    ax.axhline(0.85, color="0.7", lw=0.8, ls="--")
    ax.axhline(0.90, color="0.7", lw=0.8, ls="--")
    ax.set(xlabel="number of clicks", ylabel="mean IoU", xlim=(1, max_clicks), ylim=(0, 1),
           title=f"{summary['dataset']}: mean IoU vs clicks")
    ax.set_xticks([1, *range(5, max_clicks + 1, 5)])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
