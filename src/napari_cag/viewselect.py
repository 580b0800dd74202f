"""Which first view to keep: a small scorer fitted to the network on training images.

`napari_cag.firstview` keeps the view that frames the object at the zoom's
proportions. That rule is blind to what the network does at each scale: a
tiny nucleus in a 64-px view comes out as a blob twice its size, a part of a
phase-contrast cell seen close looks like a whole cell. Tried on every view
and scored after the full pipeline, the best view of each object does much
better than the rule's: on training images, mean IoU over the first three
clicks 0.61 against 0.42 on phase-contrast cells, 0.70 against 0.61 on EM
(docs/RESULTS.md, "A learned choice of the first view").

So a model may carry a view selector (``ModelConfig.view_selector``): every
candidate view down to `SMALLEST_VIEW` px is run, each answer is zoomed on
as usual, and a small network scores each view from what its answers look
like (`view_features`: the component's extent and confidence, whether
neighbouring views agree, the image contrast across its edge...). The view
of highest score is kept. The selector is fitted (`fit_selector`, expected
IoU of the chosen view under a softmax over the views) on the score of
every view, the mean IoU over the first clicks of the protocol started from
its answer through the full pipeline, on the training sets' objects only
(`benchmarks/fit_view_selector.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from .firstview import click_component

__all__ = ["SMALLEST_VIEW", "FEATURES", "ViewAnswer", "view_features", "score_views", "fit_selector"]

SMALLEST_VIEW = 24  # the smallest candidate view's side, in image pixels, when a selector chooses

FEATURES = (
    "extent", "log_extent", "whole", "framing_error", "mean_prob", "edge_margin", "window_margin",
    "components", "contrast", "gradient", "inside_spread", "agree_larger", "has_larger", "agree_smaller",
    "has_smaller", "whole_image", "smallest", "frames", "rule_choice", "rule_choice_all", "below_min_window",
    "zoom_contrast", "zoom_gradient", "zoom_inside_spread", "zoom_agree_larger", "zoom_agree_smaller",
    "zoom_mean_prob", "zoom_growth",
)


@dataclass
class ViewAnswer:
    """One candidate view's answer to a first click.

    Attributes
    ----------
    side : int
        The view's side in image pixels.
    extent, whole : float, bool
        `napari_cag.firstview.object_extent` of the view's answer.
    small : (S, S) ndarray
        The network's probability at input size.
    row, col : int
        The click in input pixels.
    mask : (H, W) bool ndarray
        The view's answer at full resolution.
    zoomed : (H, W) ndarray
        The probability after the zoom on that answer (before refinement).
    """

    side: int
    extent: float
    whole: bool
    small: np.ndarray
    row: int
    col: int
    mask: np.ndarray
    zoomed: np.ndarray


def _box(mask: np.ndarray):
    """``(r0, r1, c0, c1)``, the rows and columns a mask spans (ends exclusive), or None when empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if not rows.size:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


_SOBEL = [(dr, dc, w) for dc, w in ((-1, 1.0), (0, 2.0), (1, 1.0)) for dr in (-1, 1)]


def _gradient_at(g: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """`scipy.ndimage.sobel`'s gradient magnitude of `g` at the given pixels only (same border mode)."""
    padded = np.pad(g, 1, mode="symmetric")  # scipy's "reflect"
    r, c = rows + 1, cols + 1
    gy = sum(w * dr * padded[r + dr, c + dc] for dr, dc, w in _SOBEL)
    gx = sum(w * dr * padded[r + dc, c + dr] for dr, dc, w in _SOBEL)
    return np.hypot(gy, gx)


def _edge_stats(mask: np.ndarray, image: np.ndarray, box) -> tuple[float, float, float]:
    """Image contrast across a mask's edge (inner vs outer 2-px ring, in units of the local spread),
    mean gradient on the edge, and the spread inside (same units), on the mean of an ``(H, W, 3)`` image's
    channels taken around the mask only (on a whole 2048² image it alone took 70 ms); `box` is
    `_box(mask)`."""
    if box is None:
        return 0.0, 0.0, 0.0
    r0, r1, c0, c1 = box
    crop = slice(max(r0 - 4, 0), r1 + 4), slice(max(c0 - 4, 0), c1 + 4)
    g, m = image[crop].mean(axis=2), mask[crop]
    inner = m & ~ndi.binary_erosion(m, iterations=2)
    outer = ndi.binary_dilation(m, iterations=2) & ~m
    edge = ndi.binary_dilation(m) & ~ndi.binary_erosion(m)
    spread = g.std() + 1e-3
    contrast = abs(g[inner].mean() - g[outer].mean()) / spread if inner.any() and outer.any() else 0.0
    gradient = _gradient_at(g, *np.nonzero(edge)).mean()
    return float(contrast), float(gradient), float(g[m].std() / spread)


def _span(box) -> tuple[slice, slice]:
    return slice(box[0], box[1]), slice(box[2], box[3])


def _mean_inside(values: np.ndarray, mask: np.ndarray, box) -> float:
    """Mean of `values` on a mask (`box` its `_box`), 0 when empty."""
    return float(values[_span(box)][mask[_span(box)]].mean()) if box is not None else 0.0


def _count(mask: np.ndarray, box) -> int:
    return int(mask[_span(box)].sum()) if box is not None else 0


def _agreement(a: np.ndarray, b: np.ndarray, box_a, box_b) -> float:
    """IoU of two masks, on the span of their union (`_box` of each)."""
    if box_a is None or box_b is None:
        return 0.0
    crop = (slice(min(box_a[0], box_b[0]), max(box_a[1], box_b[1])),
            slice(min(box_a[2], box_b[2]), max(box_a[3], box_b[3])))
    a, b = a[crop], b[crop]
    return float((a & b).sum() / (a | b).sum())


def view_features(answers: list[ViewAnswer], image: np.ndarray, rule: int, rule_all: int,
                  zoom_expand: float, min_window: int) -> np.ndarray:
    """``(V, len(FEATURES))`` features of the candidate views (largest first, as `candidate_windows`).

    Parameters
    ----------
    answers : list of ViewAnswer
    image : (H, W, 3) ndarray
        The normalized image.
    rule, rule_all : int
        The framing rule's choice among the views of at least `min_window` px, and among all views.
    zoom_expand, min_window : float, int
        The model's.
    """
    zoomed = [a.zoomed > 0.5 for a in answers]
    boxes, zoom_boxes = [_box(a.mask) for a in answers], [_box(z) for z in zoomed]
    rows = []
    for i, a in enumerate(answers):
        e = a.extent
        comp, n = click_component(a.small, a.row, a.col)
        ring = ndi.binary_dilation(comp, iterations=3) & ~ndi.binary_erosion(comp, iterations=3)
        larger, smaller = i - 1, i + 1
        has_larger, has_smaller = larger >= 0, smaller < len(answers)
        z = zoomed[i]
        rows.append([
            e, np.log(e + 0.02), float(a.whole), abs(np.log(max(e, 0.02) * zoom_expand)),
            float(a.small[comp].mean()) if comp.any() else 0.0,
            float(np.abs(2 * a.small[ring] - 1).mean()) if ring.any() else 0.0,
            float(np.abs(2 * a.small - 1).mean()), np.log1p(n), *_edge_stats(a.mask, image, boxes[i]),
            _agreement(a.mask, answers[larger].mask, boxes[i], boxes[larger]) if has_larger else 0.0,
            float(has_larger),
            _agreement(a.mask, answers[smaller].mask, boxes[i], boxes[smaller]) if has_smaller else 0.0,
            float(has_smaller),
            float(i == 0), float(i == len(answers) - 1), float(a.whole and e >= 0.2),
            float(i == rule), float(i == rule_all), float(a.side < min_window), *_edge_stats(z, image, zoom_boxes[i]),
            _agreement(z, zoomed[larger], zoom_boxes[i], zoom_boxes[larger]) if has_larger else 0.0,
            _agreement(z, zoomed[smaller], zoom_boxes[i], zoom_boxes[smaller]) if has_smaller else 0.0,
            _mean_inside(a.zoomed, z, zoom_boxes[i]),
            np.log((_count(z, zoom_boxes[i]) + 1) / (_count(a.mask, boxes[i]) + 1)),
        ])
    return np.asarray(rows, np.float32)


def score_views(selector: dict, features: np.ndarray) -> np.ndarray:
    """A selector's score of each view (higher is better): a one-hidden-layer tanh network."""
    if list(selector["features"]) != list(FEATURES):
        raise ValueError("this view selector was fitted on other features; fit it again "
                         "(benchmarks/fit_view_selector.py)")
    x = (features - np.asarray(selector["mean"], np.float32)) / np.asarray(selector["std"], np.float32)
    hidden = np.tanh(x @ np.asarray(selector["w1"], np.float32) + np.asarray(selector["b1"], np.float32))
    return hidden @ np.asarray(selector["w2"], np.float32) + float(selector["b2"])


def fit_selector(examples: list[tuple[np.ndarray, np.ndarray, str]], hidden: int = 16, l2: float = 1e-4,
                 iters: int = 600, seed: int = 0) -> dict:
    """Fit a selector: maximize the expected IoU of the view picked under a softmax of the scores.

    Parameters
    ----------
    examples : list of (features, scores, group)
        Per object: its views' `view_features`, each view's score (an IoU,
        or a mean of IoUs over clicks, after the full pipeline), and its
        set; every set weighs the same.
    hidden : int
        Hidden units.
    l2 : float
        Weight decay on every parameter.
    iters, seed : int
        Full-batch Adam steps; the initialization's seed.

    Returns
    -------
    dict
        JSON-ready: ``features``, ``mean``, ``std``, ``w1``, ``b1``, ``w2``, ``b2``.
    """
    import torch

    if not examples:
        raise ValueError("no examples to fit a view selector on")
    torch.manual_seed(seed)
    stacked = np.concatenate([f for f, _, _ in examples])
    mean, std = stacked.mean(axis=0), stacked.std(axis=0) + 1e-6
    groups = [g for _, _, g in examples]
    weight = {g: 1.0 / groups.count(g) / len(set(groups)) for g in set(groups)}
    net = torch.nn.Sequential(torch.nn.Linear(len(FEATURES), hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
    width = max(len(f) for f, _, _ in examples)  # views padded to the most any object has
    x = torch.zeros(len(examples), width, len(FEATURES))
    y = torch.zeros(len(examples), width)
    real = torch.zeros(len(examples), width, dtype=torch.bool)
    for k, (f, ious, _) in enumerate(examples):
        x[k, :len(f)] = torch.from_numpy((f - mean) / std)
        y[k, :len(f)] = torch.as_tensor(ious, dtype=torch.float32)
        real[k, :len(f)] = True
    w = torch.tensor([weight[g] for g in groups])
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(iters):
        opt.zero_grad()
        chosen = torch.softmax(net(x)[..., 0].masked_fill(~real, -torch.inf), dim=1)
        loss = -(w * (chosen * y).sum(dim=1)).sum() + l2 * sum((p ** 2).sum() for p in net.parameters())
        loss.backward()
        opt.step()
    first, last = net[0], net[2]
    return {"features": list(FEATURES), "mean": mean.tolist(), "std": std.tolist(),
            "w1": first.weight.detach().T.tolist(), "b1": first.bias.detach().tolist(),
            "w2": last.weight.detach()[0].tolist(), "b2": float(last.bias.detach()[0])}
