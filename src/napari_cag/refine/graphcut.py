"""Full-resolution refinement: a graph cut in a band around the network's mask.

The network sees a window resampled to its input size (160 px), so on a
500-px object every boundary it draws is blurred over several pixels. This
stage decides the boundary again at the image's own resolution, minimizing

    E(L) = sum_p U_p(L_p) + sum_{p~q} w_pq [L_p != L_q]

over the pixels of a band around the network's boundary (inside the band the
label is free, beyond it it is fixed to the network's answer), where

- ``U`` is the negative log-odds of the network's probability (weight
  ``net_weight``) plus that of a colour / intensity model of object and
  surroundings fitted to the image (``colour_weight``): smoothed histograms of
  the quantized normalized image inside the current mask and in a ring
  around it, re-fitted on the cut's result for ``iterations`` rounds, as
  GrabCut (Rother et al. 2004) re-fits its colour models;
- ``w_pq = edge_weight * exp(-beta |I_p - I_q|^2)`` on the 8-neighbourhood
  (GrabCut's contrast-sensitive Potts term, ``beta`` from the crop's mean
  contrast), so the cut follows image edges;
- clicks are hard constraints: a disk of ``click_radius`` px around each
  positive (negative) click is tied to the object (background).

The min cut is computed by OR-Tools' `SimpleMaxFlow` (push-relabel, in C++;
Apache-2.0): on a photograph's graphs it solves in about half the time of
SciPy's `scipy.sparse.csgraph.maximum_flow` (Dinic), with the same cut. Large objects
are cut coarse-to-fine (Lombaert et al. 2005, banded graph cuts): first on the
crop resampled so the band has at most ``max_nodes`` pixels, then at native
resolution in a narrow band around the coarse boundary, so a click costs
about the same on a 512² and an 8192² image and for any object size.
Only connected parts that hold a positive click are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import cv2
import numpy as np
from ortools.graph.python import max_flow
from scipy import ndimage as ndi

from ..clicks import Click

__all__ = ["RefineSettings", "REFINE_PRESETS", "graph_cut"]

_SCALE = 100.0            # float energies -> integer capacities (the max-flow solver takes integers)
_HARD = 10**7             # capacity of a hard constraint
_OFFSETS = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, 2 ** -0.5), (1, -1, 2 ** -0.5))


def _bind_numpy() -> None:
    """Give OR-Tools' max-flow binding its first NumPy arrays now, on the importing thread.

    The binding sets up its NumPy interface on the first arrays it is given,
    letting go of the GIL and taking it back on the way (pybind11's
    ``gil_safe_call_once_and_store``). In a worker of napari's thread pool that
    had run a task before (the image's structure), taking it back used a thread
    state left from that task, and the process died (a segmentation fault on the
    widget's first click). Done once here, that step never runs in a worker.
    """
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(np.zeros(1, np.int64), np.ones(1, np.int64), np.ones(1, np.int64))
    flow.solve(0, 1)
    flow.get_source_side_min_cut()


_bind_numpy()


@dataclass(frozen=True)
class RefineSettings:
    """Weights and sizes of the refinement energy (see the module docstring).

    Attributes
    ----------
    net_weight : float
        Weight of the network's log-odds in the unary term.
    colour_weight : float
        Weight of the colour / intensity model's log-odds.
    edge_weight : float
        Weight of the contrast-sensitive pairwise term.
    band : float
        Half-width of the free band, as a fraction of sqrt(mask area).
    min_band : int
        Smallest half-width in pixels.
    click_radius : int
        Radius of the hard-constraint disk of each click, in pixels.
    iterations : int
        Colour-model fits and cuts (GrabCut's outer loop).
    bins : int
        Histogram bins per channel (colour); grey images use 4x as many.
    max_nodes : int
        Free pixels above which the cut runs coarse-to-fine.
    max_side : int
        Crops around the object larger than this (either side) are refined
        on the crop resampled to this size, so a click's cost is bounded for
        any object: the boundary is then decided at ``crop / max_side`` pixels,
        still finer than the network's view of the same object.
    neck_ratio : float
        After a first, lone positive click, lobes joined to the clicked one by a neck narrower than this x
        the smaller lobe's inscribed radius are dropped (`napari_cag.refine.necks`); 0 keeps every lobe.
    """

    net_weight: float = 1.0
    colour_weight: float = 1.0
    edge_weight: float = 3.0
    band: float = 0.15
    min_band: int = 4
    click_radius: int = 3
    iterations: int = 2
    bins: int = 16
    max_nodes: int = 40_000
    max_side: int = 512
    neck_ratio: float = 0.0


#: Settings per image domain; ``"none"`` (no refinement) is handled by the caller.
REFINE_PRESETS: dict[str, RefineSettings] = {
    # a photographed object differs from its surroundings in colour, and the network's 160-px view
    # can be far off on a large one: a wide band and a strong, re-fitted colour model
    "natural": RefineSettings(colour_weight=2.0, band=0.5, iterations=2, max_nodes=20_000),
    # a nucleus is one of many alike blobs: the network leads, colour helps a little, and the
    # band stays narrow so that neighbours are not annexed; small click disks keep a negative
    # click just outside a nucleus from biting into it; a first click's mask keeps the clicked one of two
    # touching nuclei
    "microscopy": RefineSettings(colour_weight=0.5, edge_weight=2.0, band=0.15, min_band=3, click_radius=1,
                                 neck_ratio=0.8),
}


def graph_cut(prob: np.ndarray, image: np.ndarray, clicks: Sequence[Click],
              settings: RefineSettings = RefineSettings()) -> np.ndarray:
    """The mask decided by a graph cut in a band around the network's mask.

    Parameters
    ----------
    prob : (H, W) float ndarray
        The network's object probability at full resolution.
    image : (H, W, 3) float ndarray
        The normalized image in [0, 1], as the network sees it.
    clicks : sequence of Click
        All clicks of the object (hard constraints).
    settings : RefineSettings
        Energy weights and sizes.

    Returns
    -------
    (H, W) bool ndarray
        The refined mask (``prob > 0.5`` when there is nothing to refine).
    """
    mask = prob > 0.5
    positives = [c for c in clicks if c.positive]
    if not positives or not mask.any():
        return mask
    area = float(mask.sum())
    band = max(settings.min_band, settings.band * np.sqrt(area))
    h, w = mask.shape
    rows, cols = np.nonzero(mask)
    r0, r1 = min(rows.min(), *(c.pixel[0] for c in positives)), max(rows.max(), *(c.pixel[0] for c in positives))
    c0, c1 = min(cols.min(), *(c.pixel[1] for c in positives)), max(cols.max(), *(c.pixel[1] for c in positives))
    pad = int(np.ceil(band)) + 2
    ys = slice(max(r0 - pad, 0), min(r1 + pad + 1, h))
    xs = slice(max(c0 - pad, 0), min(c1 + pad + 1, w))
    crop_clicks = [Click(c.y - ys.start, c.x - xs.start, c.positive) for c in clicks
                   if ys.start <= c.pixel[0] < ys.stop and xs.start <= c.pixel[1] < xs.stop]
    p, img = prob[ys, xs].astype(np.float32), image[ys, xs].astype(np.float32)
    shape = p.shape
    scale = settings.max_side / max(shape)
    if scale < 1:  # a very large object: refine the crop resampled to max_side
        small = (max(int(round(shape[0] * scale)), 1), max(int(round(shape[1] * scale)), 1))
        p, img, crop_clicks = _resample(p, img, crop_clicks, small)
        band = band * scale
    result = _refine_crop(p, img, crop_clicks, band, settings)
    if scale < 1:
        result = cv2.resize(result.astype(np.float32), shape[::-1], interpolation=cv2.INTER_LINEAR) > 0.5
    out = np.zeros_like(mask)
    out[ys, xs] = result
    return out


def _refine_crop(p, img, crop_clicks, band, settings) -> np.ndarray:
    """`graph_cut` on one crop: coarse-to-fine when the band is large; connected parts holding a positive click."""
    free = _band(p > 0.5, band)
    factor = int(np.ceil(np.sqrt(free.sum() / settings.max_nodes)))
    if factor > 1:  # coarse pass, then a native pass in a narrow band around its boundary
        small = (max(p.shape[0] // factor, 1), max(p.shape[1] // factor, 1))
        ps, imgs, sclicks = _resample(p, img, crop_clicks, small)
        coarse_settings = replace(settings, click_radius=max(1, settings.click_radius // factor))
        coarse = _cut(ps, imgs, sclicks, ps > 0.5, _band(ps > 0.5, band / factor), coarse_settings)
        start = cv2.resize(coarse.astype(np.uint8), p.shape[::-1], interpolation=cv2.INTER_LINEAR) > 0
        result = _cut(p, img, crop_clicks, start, _band(start, 1.5 * factor + 1), replace(settings, iterations=1))
    else:
        result = _cut(p, img, crop_clicks, p > 0.5, free, settings)
    return _keep_clicked(result, [c for c in crop_clicks if c.positive])


def _resample(prob, image, clicks, shape):
    """Probability, image and clicks of a crop, resampled to ``shape = (h, w)`` (area averaging)."""
    sy, sx = shape[0] / prob.shape[0], shape[1] / prob.shape[1]
    clicks = [Click(min(c.y * sy, shape[0] - 1), min(c.x * sx, shape[1] - 1), c.positive) for c in clicks]
    return (cv2.resize(prob, shape[::-1], interpolation=cv2.INTER_AREA),
            cv2.resize(image, shape[::-1], interpolation=cv2.INTER_AREA), clicks)


def _band(mask: np.ndarray, half_width: float) -> np.ndarray:
    """Pixels within `half_width` of the mask's boundary, on either side."""
    m = mask.astype(np.uint8)
    inside = cv2.distanceTransform(m, cv2.DIST_L2, 5)
    outside = cv2.distanceTransform(1 - m, cv2.DIST_L2, 5)
    return np.where(mask, inside, outside) <= half_width


def _disks(shape, clicks: Sequence[Click], radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean maps of the positive and the negative clicks' disks."""
    pos, neg = np.zeros(shape, bool), np.zeros(shape, bool)
    for c in clicks:
        r, col = c.pixel
        ys = slice(max(r - radius, 0), min(r + radius + 1, shape[0]))
        xs = slice(max(col - radius, 0), min(col + radius + 1, shape[1]))
        yy, xx = np.ogrid[ys, xs]
        disk = (yy - r) ** 2 + (xx - col) ** 2 <= radius ** 2
        (pos if c.positive else neg)[ys, xs] |= disk
    pos &= ~neg  # a negative click wins where disks overlap: it is the later correction
    return pos, neg


def _colour_log_odds(image: np.ndarray, fg: np.ndarray, bins: int, grey: bool) -> np.ndarray:
    """Per-pixel log p(colour | object) - log p(colour | surroundings), from smoothed histograms."""
    if grey:
        bins = bins * 4
        index = np.clip((image[..., 0] * bins).astype(np.int64), 0, bins - 1)
        n_bins = bins
    else:
        q = np.clip((image * bins).astype(np.int64), 0, bins - 1)
        index = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
        n_bins = bins ** 3
    h_fg = np.bincount(index[fg], minlength=n_bins).astype(np.float64)
    h_bg = np.bincount(index[~fg], minlength=n_bins).astype(np.float64)
    if grey:  # neighbouring intensities are alike: smooth the 1D histograms
        h_fg, h_bg = ndi.gaussian_filter1d(h_fg, 1.0), ndi.gaussian_filter1d(h_bg, 1.0)
    h_fg = (h_fg + 0.5) / (h_fg.sum() + 0.5 * n_bins)
    h_bg = (h_bg + 0.5) / (h_bg.sum() + 0.5 * n_bins)
    return np.clip(np.log(h_fg / h_bg), -5, 5)[index].astype(np.float32)


def _cut(prob, image, clicks, start, free, settings: RefineSettings) -> np.ndarray:
    """`iterations` rounds of colour fit + min cut; pixels outside `free` keep `start`."""
    shape = prob.shape
    net = np.log(np.clip(prob, 1e-3, 1 - 1e-3) / np.clip(1 - prob, 1e-3, 1 - 1e-3))
    pos, neg = _disks(shape, clicks, settings.click_radius)
    free = free | pos | neg
    graph = _BandGraph(_pairwise(image, settings.edge_weight), free, start, pos, neg)
    labels = start.copy()
    grey = bool(np.all(image[..., 0] == image[..., 1]) and np.all(image[..., 1] == image[..., 2]))
    for _ in range(settings.iterations):
        unary = settings.net_weight * net
        if settings.colour_weight > 0 and labels.any() and not labels.all():
            unary = unary + settings.colour_weight * _colour_log_odds(image, labels, settings.bins, grey)
        labels = graph.cut(unary)
    return labels


def _pairwise(image: np.ndarray, weight: float) -> list[tuple[int, int, np.ndarray]]:
    """Contrast-sensitive Potts weights for each neighbour offset: ``(dy, dx, (H', W') weights)``."""
    diffs = []
    for dy, dx, _ in _OFFSETS:
        a, b = _shifted(image, dy, dx)
        d = a - b
        diffs.append(np.einsum("ijk,ijk->ij", d, d))
    mean = np.mean([d.mean() for d in diffs if d.size]) if any(d.size for d in diffs) else 0.0
    beta = 1.0 / (2 * mean) if mean > 0 else 0.0
    return [(dy, dx, weight * dist * np.exp(-beta * d)) for (dy, dx, dist), d in zip(_OFFSETS, diffs)]


def _shifted(array: np.ndarray, dy: int, dx: int) -> tuple[np.ndarray, np.ndarray]:
    """The overlapping parts of `array` and `array` shifted by ``(dy, dx)`` (dy >= 0)."""
    h, w = array.shape[:2]
    xa = slice(max(-dx, 0), w - max(dx, 0))
    xb = slice(max(dx, 0), w - max(-dx, 0))
    return array[0:h - dy, xa], array[dy:h, xb]


class _BandGraph:
    """The graph of one crop's cut, built once for all its colour-model rounds.

    Nodes are the `free` pixels plus the source (object) and the sink
    (background). The pairwise arcs, the pull of fixed neighbours (a free pixel
    next to a fixed object pixel pays its weight to be background, and the other
    way round) and the clicks' hard constraints stay; each round sets only the
    terminal capacities from its unary term and solves the maximum flow
    (OR-Tools' `SimpleMaxFlow`, push-relabel, Apache-2.0).
    """

    def __init__(self, pairs, free: np.ndarray, start: np.ndarray, pos: np.ndarray, neg: np.ndarray):
        self.free, self.start = free, start
        n = int(free.sum())
        index = np.full(free.shape, -1, np.int64)
        index[free] = np.arange(n)
        self.to_object, self.to_background = np.zeros(n), np.zeros(n)
        rows, cols, caps = [], [], []
        for dy, dx, weight in pairs:
            ia, ib = _shifted(index, dy, dx)
            fa, fb = _shifted(start, dy, dx)
            for i, j, fixed in ((ia, ib, fb), (ib, ia, fa)):  # free i next to j
                ok = i >= 0
                both = ok & (j >= 0)
                rows.append(i[both]), cols.append(j[both]), caps.append(weight[both])
                lone = ok & (j < 0)
                np.add.at(self.to_object, i[lone & fixed], weight[lone & fixed])
                np.add.at(self.to_background, i[lone & ~fixed], weight[lone & ~fixed])
        self.pos, self.neg = pos[free], neg[free]
        caps = np.round(np.concatenate(caps) * _SCALE).astype(np.int64)
        keep = caps > 0
        self.flow = max_flow.SimpleMaxFlow()
        self.flow.add_arcs_with_capacity(np.concatenate(rows)[keep], np.concatenate(cols)[keep], caps[keep])
        self.s, self.t, nodes = n, n + 1, np.arange(n)
        self.terminals = self.flow.add_arcs_with_capacity(
            np.concatenate([np.full(n, self.s), nodes]), np.concatenate([nodes, np.full(n, self.t)]),
            np.zeros(2 * n, np.int64)).astype(np.int32)

    def cut(self, unary: np.ndarray) -> np.ndarray:
        """The least-energy labelling for the unary term `unary` (positive: object); fixed pixels keep `start`."""
        source = np.maximum(unary, 0)[self.free] + self.to_object  # cost of labelling background
        sink = np.maximum(-unary, 0)[self.free] + self.to_background
        source[self.pos] = _HARD / _SCALE
        sink[self.neg] = _HARD / _SCALE
        self.flow.set_arcs_capacity(self.terminals, np.round(np.concatenate([source, sink]) * _SCALE).astype(np.int64))
        if self.flow.solve(self.s, self.t) != self.flow.OPTIMAL:
            raise RuntimeError("the refinement's max-flow failed")
        # the source side that the source still reaches in the residual graph: the smallest one, so unique
        side = np.zeros(self.t + 1, bool)
        side[self.flow.get_source_side_min_cut()] = True
        labels = self.start.copy()
        labels[self.free] = side[:self.s]
        return labels


def _keep_clicked(mask: np.ndarray, positives: Sequence[Click]) -> np.ndarray:
    """The connected parts of `mask` that hold a positive click."""
    components, _ = ndi.label(mask)
    ids = {components[c.pixel] for c in positives} - {0}
    return np.isin(components, list(ids)) if ids else mask
