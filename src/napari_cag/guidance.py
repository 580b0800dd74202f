"""Guidance maps: clicks turned into network input channels (paper Sec. 3).

Every map is float32 on the paper's ``[0, 255]`` scale. Distance-type maps
(Eq. 1, 2, 4 and the previous-mask distance) hold 255 where there is no click
of their polarity; the object maps (Eq. 3, 5) and the Gaussian maps hold 0.

Choices the paper leaves open, made here:

- Distances are in pixels and map to ``255 * min(d / max_distance, 1)``, with
  ``max_distance=255`` by default: iFCN's truncation of Euclidean maps at 255.
  The same rule serves Eq. 1, Eq. 2 and the previous-mask distance, so that
  with one-pixel superpixels Eq. 2 equals Eq. 1 exactly (Sec. 4.5).
- Eq. 4's truncation ``f * s`` is a distance and goes through the same rule;
  the paper gives no ``f``: the default ``f = 1`` truncates at one object scale.
- Eq. 3 and 5 are counts, rescaled so that the most supported pixel is 255.
- Eq. 5 uses ``f1 = 0`` (Sec. 4.4) and ``f2 = 3``, within the range the
  paper's Fig. 4a explores (1.1 to 6).
- Without a scale (no positive/negative pair yet) the scale-aware maps fall
  back to their scale-agnostic equations.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from scipy import ndimage

from .clicks import Click, as_clicks, click_pixels
from .structure import ImageStructure

__all__ = [
    "CHANNELS",
    "estimate_scale",
    "euclidean_maps",
    "gaussian_maps",
    "guidance_maps",
    "mask_distance_map",
    "object_map",
    "superpixel_maps",
    "VARIANT_OF",
]

MAX_VALUE = 255.0
DEFAULT_MAX_DISTANCE = 255.0
DEFAULT_F = 1.0
DEFAULT_F1 = 0.0
DEFAULT_F2 = 3.0

#: Names of the channels `guidance_maps` can compute, with what they show.
CHANNELS = {
    "euclidean_pos": "positive Euclidean distance (Eq. 1)",
    "euclidean_neg": "negative Euclidean distance (Eq. 1)",
    "superpixel_pos": "positive superpixel map (Eq. 2)",
    "superpixel_neg": "negative superpixel map (Eq. 2)",
    "object": "object map (Eq. 3)",
    "object_unrefuted": "object map over the proposals holding no negative click (beyond the paper)",
    "superpixel_pos_scaled": "scale-aware positive superpixel map (Eq. 4)",
    "superpixel_neg_scaled": "scale-aware negative superpixel map (Eq. 4)",
    "object_scaled": "scale-aware object map (Eq. 5)",
    "previous_mask": "previous-mask distance",
    "previous_mask_binary": "previous mask itself: 0 inside, 255 outside (beyond the paper)",
}

#: Channels that are another's variant (the same map, fewer proposals counted; the previous mask without its
#: distance ramp, which in a window the object fills rises by 1/160 of 255 per input pixel, too gentle for the
#: network to follow): a network trained on the plain one may start training on the variant.
VARIANT_OF = {"object_unrefuted": "object", "previous_mask_binary": "previous_mask"}


def _check_max_distance(max_distance: float) -> float:
    if not max_distance > 0:
        raise ValueError(f"max_distance must be > 0 pixels, got {max_distance}")
    return float(max_distance)


def _to_map_scale(distance: np.ndarray, max_distance: float) -> np.ndarray:
    """Pixel distances -> ``[0, 255]`` guidance values (float64)."""
    return np.minimum(distance * (MAX_VALUE / max_distance), MAX_VALUE)


class _Grid:
    """Where maps are evaluated: rows x cols pixel coordinates, possibly outside the image."""

    def __init__(self, shape, region=None, grid=None):
        if region is not None and grid is not None:
            raise ValueError("give region or grid, not both")
        if grid is not None:
            rows, cols = (np.asarray(v, dtype=np.int64).ravel() for v in grid)
            if rows.size == 0 or cols.size == 0:
                raise ValueError("grid rows and cols must not be empty")
        elif region is not None:
            y0, y1, x0, x1 = (int(v) for v in region)
            if not (0 <= y0 < y1 <= shape[0] and 0 <= x0 < x1 <= shape[1]):
                raise ValueError(
                    f"region (y0, y1, x0, x1) = {tuple(region)} is not a non-empty window of an image of shape {shape}"
                )
            rows, cols = np.arange(y0, y1), np.arange(x0, x1)
        else:
            rows, cols = np.arange(shape[0]), np.arange(shape[1])
        # a window (or the whole image) is read by slicing, without copying the label image
        self.window = None if grid is not None else (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        self.rows, self.cols = rows, cols
        self.row_in = (rows >= 0) & (rows < shape[0])
        self.col_in = (cols >= 0) & (cols < shape[1])
        self.shape = (rows.size, cols.size)

    def paint(self, table: np.ndarray, labels: np.ndarray, outside: float) -> np.ndarray:
        """``table[labels]`` at the grid points; `outside` where they leave the image."""
        where = self.window or np.ix_(self.rows[self.row_in], self.cols[self.col_in])
        inner = np.take(table.astype(np.float32), labels[where])
        if self.row_in.all() and self.col_in.all():
            return inner
        out = np.full(self.shape, outside, dtype=np.float32)
        out[np.ix_(self.row_in, self.col_in)] = inner
        return out


def _check_shape(shape: Sequence[int]) -> tuple[int, int]:
    shape = tuple(int(v) for v in shape)
    if len(shape) < 2 or shape[0] < 1 or shape[1] < 1:
        raise ValueError(f"shape must be (H, W) with H, W >= 1, got {shape}")
    return shape[:2]


def euclidean_maps(
    shape: Sequence[int],
    clicks: Iterable[Click],
    *,
    max_distance: float = DEFAULT_MAX_DISTANCE,
    region: Sequence[int] | None = None,
    grid: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Euclidean distance maps of positive and negative clicks (Eq. 1, iFCN).

    Parameters
    ----------
    shape : (H, W) tuple
        Image shape.
    clicks : iterable of Click
        Clicks, rounded to their pixels.
    max_distance : float
        Distance in pixels that maps to 255; farther pixels are clipped there.
    region : (y0, y1, x0, x1), optional
        Compute only this window of the image (clicks outside it still count).
    grid : (rows, cols) pair of int arrays, optional
        Compute the maps at these pixel rows x columns (e.g. a subsampled
        window for the network); points may lie outside the image.

    Returns
    -------
    maps : (2, H, W) float32 ndarray
        ``maps[0]`` positive, ``maps[1]`` negative; 255 everywhere for a
        polarity without clicks. With `region` or `grid`, the window's shape.

    Raises
    ------
    ValueError
        If a click lies outside the image.

    Examples
    --------
    >>> euclidean_maps((1, 4), [Click(0, 0)])[0]
    array([[0., 1., 2., 3.]], dtype=float32)
    """
    shape = _check_shape(shape)
    max_distance = _check_max_distance(max_distance)
    pixels, positive = click_pixels(clicks, shape)
    where = _Grid(shape, region, grid)
    rows = where.rows.astype(np.float64)[:, None]
    cols = where.cols.astype(np.float64)[None, :]
    maps = np.full((2, *where.shape), MAX_VALUE, dtype=np.float32)
    for channel, polarity in enumerate((True, False)):
        squared = None
        for r, c in pixels[positive == polarity]:
            d2 = (rows - r) ** 2 + (cols - c) ** 2
            squared = d2 if squared is None else np.minimum(squared, d2, out=squared)
        if squared is not None:
            maps[channel] = _to_map_scale(np.sqrt(squared), max_distance)
    return maps


def gaussian_maps(shape: Sequence[int], clicks: Iterable[Click], *, sigma: float = 10.0) -> np.ndarray:
    """Gaussian click encoding of positive and negative clicks (ITIS, DEXTR).

    Each click adds a Gaussian bump of peak 255 at its pixel; overlapping
    bumps take the maximum.

    Parameters
    ----------
    shape : (H, W) tuple
        Image shape.
    clicks : iterable of Click
        Clicks, rounded to their pixels.
    sigma : float
        Standard deviation of the bumps, in pixels.

    Returns
    -------
    maps : (2, H, W) float32 ndarray
        Positive then negative; 0 everywhere for a polarity without clicks.

    Examples
    --------
    >>> gaussian_maps((3, 3), [Click(1, 1)], sigma=1.0)[0, 1, 1]
    255.0
    """
    shape = _check_shape(shape)
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    pixels, positive = click_pixels(clicks, shape)
    rows = np.arange(shape[0], dtype=np.float64)[:, None]
    cols = np.arange(shape[1], dtype=np.float64)[None, :]
    maps = np.zeros((2, *shape), dtype=np.float32)
    for channel, polarity in enumerate((True, False)):
        for r, c in pixels[positive == polarity]:
            bump = MAX_VALUE * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2.0 * sigma**2))
            np.maximum(maps[channel], bump, out=maps[channel])
    return maps


def estimate_scale(clicks: Iterable[Click]) -> float | None:
    """Object scale from the first positive and the first negative click (Sec. 4.4).

    ``s = sqrt(pi) * d`` with ``d`` the distance between the two clicks: the
    side of a square with the area of a disc of radius ``d``.

    Parameters
    ----------
    clicks : iterable of Click
        Clicks in the order they were made.

    Returns
    -------
    scale : float or None
        In pixels, at least 1 (two clicks on one pixel give no zero scale);
        None until both a positive and a negative click exist.

    Examples
    --------
    >>> round(estimate_scale([Click(0, 0), Click(3, 4, positive=False)]), 3)
    8.862
    """
    clicks = as_clicks(clicks)
    first_pos = next((c for c in clicks if c.positive), None)
    first_neg = next((c for c in clicks if not c.positive), None)
    if first_pos is None or first_neg is None:
        return None
    d = np.hypot(first_pos.y - first_neg.y, first_pos.x - first_neg.x)
    return max(float(np.sqrt(np.pi) * d), 1.0)


def _check_scale(scale: float | None) -> float | None:
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number of pixels or None, got {scale}")
    return scale


def _superpixel_tables(structure: ImageStructure, clicks, max_distance: float) -> np.ndarray:
    """Eq. 2 per superpixel: ``(2, S)`` guidance values, positive then negative."""
    pixels, positive = click_pixels(clicks, structure.shape)
    clicked = structure.superpixel_at(pixels)
    tables = np.full((2, structure.n_superpixels), MAX_VALUE)
    centroids = structure.centroids
    for channel, polarity in enumerate((True, False)):
        targets = centroids[np.unique(clicked[positive == polarity])]
        if len(targets):
            d2 = ((centroids[:, None, :] - targets[None, :, :]) ** 2).sum(axis=2).min(axis=1)
            tables[channel] = _to_map_scale(np.sqrt(d2), max_distance)
    return tables


def _truncate(tables: np.ndarray, scale: float | None, f: float, max_distance: float) -> np.ndarray:
    """Eq. 4 on per-superpixel values: ``min(G_sp, f s)``."""
    if scale is None:
        return tables
    return np.minimum(tables, _to_map_scale(np.float64(f * scale), max_distance))


def _object_table(structure: ImageStructure, clicks, scale, f1: float, f2: float,
                  unrefuted: bool = False) -> np.ndarray:
    """Eq. 3 (or Eq. 5 with a scale) per superpixel, rescaled to ``[0, 255]``; with `unrefuted`, only
    the proposals that hold no negative click count."""
    pixels, positive = click_pixels(clicks, structure.shape)
    if scale is None:
        lo, hi = 0.0, np.inf
    else:
        lo, hi = f1 * scale**2, f2 * scale**2
    refuted = structure.superpixel_at(pixels[~positive]) if unrefuted else ()
    counts = np.zeros(structure.n_superpixels)
    for s in structure.superpixel_at(pixels[positive]):
        for hierarchy in structure.hierarchies:
            counts += hierarchy.shared_proposals(s, lo, hi, refuted)
    top = counts.max(initial=0.0)
    return counts * (MAX_VALUE / top) if top > 0 else counts


def _paint(structure: ImageStructure, table: np.ndarray) -> np.ndarray:
    """Per-superpixel values -> the whole image's map."""
    return _Grid(structure.shape).paint(table, structure.superpixels, 0.0)


def superpixel_maps(
    structure: ImageStructure,
    clicks: Iterable[Click],
    *,
    scale: float | None = None,
    f: float = DEFAULT_F,
    max_distance: float = DEFAULT_MAX_DISTANCE,
) -> np.ndarray:
    """Superpixel guidance maps (Eq. 2; Eq. 4 when a scale is given).

    Every pixel of superpixel ``q`` gets the distance from ``q``'s centroid to
    the nearest centroid of a clicked superpixel of the map's polarity.

    Parameters
    ----------
    structure : ImageStructure
        From `compute_structure`.
    clicks : iterable of Click
        The clicks; each selects the superpixel under its pixel.
    scale : float, optional
        Object scale ``s`` in pixels (see `estimate_scale`); with it, distances
        are truncated at ``f * s`` (Eq. 4).
    f : float
        Eq. 4's tolerance factor (the paper gives none; default 1).
    max_distance : float
        Distance in pixels that maps to 255 (as in `euclidean_maps`).

    Returns
    -------
    maps : (2, H, W) float32 ndarray
        Positive then negative; 255 everywhere for a polarity without clicks.

    Raises
    ------
    ValueError
        If a click lies outside the image, or `scale`, `f` or `max_distance`
        is not positive.
    """
    max_distance = _check_max_distance(max_distance)
    if not f > 0:
        raise ValueError(f"f must be > 0, got {f}")
    tables = _truncate(_superpixel_tables(structure, clicks, max_distance), _check_scale(scale), f, max_distance)
    return np.stack([_paint(structure, t) for t in tables])


def object_map(
    structure: ImageStructure,
    clicks: Iterable[Click],
    *,
    scale: float | None = None,
    f1: float = DEFAULT_F1,
    f2: float = DEFAULT_F2,
) -> np.ndarray:
    """Object-proposal guidance map (Eq. 3; Eq. 5 when a scale is given).

    Per pixel, the number of (positive click, proposal) pairs where the
    proposal contains both the click and the pixel, summed over positive
    clicks; with a scale only proposals with ``f1 <= |L| / s**2 <= f2`` count.

    Parameters
    ----------
    structure : ImageStructure
        From `compute_structure` (with hierarchies; without, the map is 0).
    clicks : iterable of Click
        The clicks; only positive ones contribute.
    scale : float, optional
        Object scale ``s`` in pixels (see `estimate_scale`).
    f1, f2 : float
        Eq. 5's size tolerance factors; the paper sets ``f1 = 0``.

    Returns
    -------
    map : (H, W) float32 ndarray
        Counts rescaled so the most supported pixel is 255; 0 everywhere
        without positive clicks or when no proposal passes the size filter.

    Raises
    ------
    ValueError
        If a click lies outside the image, `scale` is not positive or
        ``0 <= f1 <= f2`` does not hold.
    """
    if not 0 <= f1 <= f2:
        raise ValueError(f"need 0 <= f1 <= f2, got f1={f1}, f2={f2}")
    return _paint(structure, _object_table(structure, clicks, _check_scale(scale), f1, f2))


def mask_distance_map(
    previous_mask: np.ndarray | None,
    *,
    shape: Sequence[int] | None = None,
    max_distance: float = DEFAULT_MAX_DISTANCE,
    region: Sequence[int] | None = None,
    grid: tuple[np.ndarray, np.ndarray] | None = None,
    step: bool = False,
) -> np.ndarray:
    """Distance transform of the previous prediction (Sec. 4.2, Interaction Loop).

    Every pixel gets its Euclidean distance to the nearest pixel of the
    previous mask (0 inside it), scaled as in `euclidean_maps`.

    Parameters
    ----------
    previous_mask : (H, W) bool ndarray or None
        The previous prediction. None, or an empty mask, gives 255 everywhere.
    shape : (H, W) tuple, optional
        Needed only when `previous_mask` is None.
    max_distance : float
        Distance in pixels that maps to 255.
    region : (y0, y1, x0, x1), optional
        Compute only this window; distances are then to the mask's pixels
        inside the window.
    grid : (rows, cols) pair of int arrays, optional
        Sample the map at these pixel rows x columns (255 outside the image);
        distances are measured on the grid's own spacing, so a coarse grid
        gives coarse distances.
    step : bool
        0 inside the mask and 255 everywhere else instead of the distance
        (the ``"previous_mask_binary"`` channel).

    Returns
    -------
    map : (H, W) float32 ndarray
        With `region` or `grid`, the window's shape.

    Examples
    --------
    >>> mask_distance_map(np.array([[True, False, False]]))
    array([[0., 1., 2.]], dtype=float32)
    """
    max_distance = _check_max_distance(max_distance)
    if previous_mask is None:
        if shape is None:
            raise ValueError("shape is needed when previous_mask is None")
        return np.full(_Grid(_check_shape(shape), region, grid).shape, MAX_VALUE, dtype=np.float32)
    mask = np.asarray(previous_mask)
    if mask.ndim != 2:
        raise ValueError(f"previous_mask must be 2D (H, W), got shape {mask.shape}")
    where = _Grid(mask.shape, region, grid)
    sampled = where.paint(np.array([0.0, 1.0]), mask.astype(np.int8), outside=0.0) > 0
    if not sampled.any():
        return np.full(where.shape, MAX_VALUE, dtype=np.float32)
    if step:
        return np.where(sampled, 0.0, MAX_VALUE).astype(np.float32)
    spacing = [np.mean(np.diff(v)) if v.size > 1 else 1.0 for v in (where.rows, where.cols)]
    distance = ndimage.distance_transform_edt(~sampled, sampling=spacing)
    return _to_map_scale(distance, max_distance).astype(np.float32)


def guidance_maps(
    structure: ImageStructure,
    clicks: Iterable[Click],
    *,
    names: Iterable[str] | None = None,
    previous_mask: np.ndarray | None = None,
    scale: float | None = None,
    f: float = DEFAULT_F,
    f1: float = DEFAULT_F1,
    f2: float = DEFAULT_F2,
    max_distance: float = DEFAULT_MAX_DISTANCE,
    region: Sequence[int] | None = None,
    grid: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Several guidance channels at once, sharing their per-superpixel work.

    Parameters
    ----------
    structure : ImageStructure
        From `compute_structure`.
    clicks : iterable of Click
        The clicks in the order they were made.
    names : iterable of str, optional
        Channels to compute, keys of `CHANNELS`; default all but the
        Euclidean ones.
    previous_mask : (H, W) bool ndarray, optional
        For the ``"previous_mask"`` channel.
    scale : float, optional
        Object scale for the ``*_scaled`` channels; by default `estimate_scale`
        of the clicks.
    f, f1, f2, max_distance : float
        As in `superpixel_maps`, `object_map` and `euclidean_maps`.
    region : (y0, y1, x0, x1), optional
        Paint the maps only on this window of the image (the network's input
        window), so a click's cost does not grow with the image; clicks
        outside the window still count.
    grid : (rows, cols) pair of int arrays, optional
        Evaluate the maps at these pixel rows x columns instead: a window,
        subsampled to the network's input size, that may extend past the
        image (there the structure and mask maps take their no-click value;
        Euclidean distances are defined there and continue).

    Returns
    -------
    dict of str to (H, W) float32 ndarray
        In the order of `names`; with `region` or `grid`, the window's shape.

    Raises
    ------
    ValueError
        For an unknown channel name, or as the single-map functions do.
    """
    clicks = as_clicks(clicks)
    names = [n for n in CHANNELS if not n.startswith("euclidean")] if names is None else list(names)
    unknown = [n for n in names if n not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown guidance channel(s) {unknown}; expected some of {list(CHANNELS)}")
    max_distance = _check_max_distance(max_distance)
    scale = _check_scale(scale) if scale is not None else estimate_scale(clicks)
    if not 0 <= f1 <= f2:
        raise ValueError(f"need 0 <= f1 <= f2, got f1={f1}, f2={f2}")
    where = _Grid(structure.shape, region, grid)
    sample = (where.rows, where.cols)
    out, tables, euclid = {}, None, None
    for name in names:
        if name.startswith("superpixel"):
            if tables is None:
                tables = _superpixel_tables(structure, clicks, max_distance)
            chosen = _truncate(tables, scale, f, max_distance) if name.endswith("scaled") else tables
            out[name] = where.paint(chosen[0 if "_pos" in name else 1], structure.superpixels, MAX_VALUE)
        elif name.startswith("object"):
            table = _object_table(structure, clicks, scale if name.endswith("scaled") else None, f1, f2,
                                  unrefuted=name == "object_unrefuted")
            out[name] = where.paint(table, structure.superpixels, 0.0)
        elif name.startswith("euclidean"):
            if euclid is None:
                euclid = euclidean_maps(structure.shape, clicks, max_distance=max_distance, grid=sample)
            out[name] = euclid[0 if name.endswith("pos") else 1]
        else:
            out[name] = mask_distance_map(previous_mask, shape=structure.shape, max_distance=max_distance, grid=sample,
                                          step=name == "previous_mask_binary")
    return out
