"""Propagation: carry an object committed on one slice through a volume or a time-lapse.

Each neighbouring slice is segmented as a user would segment it, in a
`napari_cag.Session` of that slice, with the slice before's mask as the
previous mask (the network's ``previous_mask`` channel and its zoom window)
and clicks derived from that mask (`slice_clicks`): a positive click at its
most interior point, and negative clicks around it, where the neighbours or
the background of an object that changes little from slice to slice lie.
The object ends in a direction where the new mask is empty or overlaps the
slice before's mask less than `min_overlap` (intersection over union); that
slice is not taken.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from scipy import ndimage as ndi

from .clicks import Click
from .image import MAX_CHANNELS, as_mask, mask_box, validate_image
from .simulate import mask_depth

__all__ = ["propagate", "propagate_object", "interior_click", "slice_clicks"]

NEGATIVES = 4  # negative clicks around the mask, a quarter turn apart
CLICK_RADIUS = 3  # hard-constraint disk of the derived clicks in the refinement (see `_refine_for`)
RING = 0.6  # their distance outside the mask, in equivalent radii (best of 0.3, 0.6, 1.0 on the 3D nuclei)


def interior_click(mask: np.ndarray) -> Click:
    """A positive click at the most interior pixel of a non-empty 2D mask (distance transform maximum)."""
    depth = mask_depth(mask)  # the image border is a boundary
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return Click(int(y), int(x))


def slice_clicks(mask: np.ndarray, negatives: int = NEGATIVES, ring: float = RING) -> list[Click]:
    """The clicks that carry a non-empty 2D `mask` to the next slice.

    A positive click at its most interior point (`interior_click`), then up to
    `negatives` negative clicks at ``ring`` equivalent radii (``sqrt(area / pi)``)
    outside its boundary, in directions evenly spread around its centroid.
    Without them the network, given the mask as its previous prediction, keeps
    it as it is; with them it redraws the object's boundary on the new slice.

    Examples
    --------
    >>> square = np.zeros((40, 40), bool); square[15:25, 15:25] = True
    >>> [(c.y, c.x, c.positive) for c in slice_clicks(square, negatives=1)]
    [(19.0, 19.0, True), (19.0, 11.0, False)]
    """
    clicks = [interior_click(mask)]
    distance = ndi.distance_transform_edt(~mask)
    offset = ring * np.sqrt(mask.sum() / np.pi)
    band = np.argwhere((distance > offset) & (distance <= offset + 1.5))
    if negatives < 1 or band.size == 0:
        return clicks
    cy, cx = np.argwhere(mask).mean(axis=0)
    angles = np.arctan2(band[:, 0] - cy, band[:, 1] - cx)
    for a in np.linspace(-np.pi, np.pi, negatives, endpoint=False):
        y, x = band[np.argmin(np.abs(np.angle(np.exp(1j * (angles - a)))))]
        clicks.append(Click(int(y), int(x), positive=False))
    return clicks


def propagate(stack, index: int, mask, *, model=None, predictor=None, min_overlap: float = 0.7,
              contrast_limits: tuple[float, float] | None = None,
              max_slices: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Propagate a committed 2D mask through the neighbouring slices of a stack.

    Slices are visited upwards first (``index + 1``, ``index + 2``, ...) until
    the object ends or the stack does, then downwards (``index - 1``, ...),
    each starting from `mask` again. Inputs are checked when this is called;
    the slices are segmented as the iterator is consumed, so a GUI can show
    progress and stop early.

    Parameters
    ----------
    stack : (Z, H, W) or (Z, H, W, C) array_like
        A volume or a time-lapse, slices (or frames) first, channels last.
    index : int
        The slice on which `mask` was committed (``0 <= index < Z``).
    mask : (H, W) array_like
        The committed object on slice `index` (non-zero = object); not empty.
    model : path or (module, ModelConfig), optional
        The network, as for `Session`; None: the shipped weights. Not together
        with `predictor`.
    predictor : Predictor, optional
        An already loaded network (e.g. ``session.predictor``), reused as is.
    min_overlap : float
        Smallest intersection over union between a slice's mask and the mask
        of the slice before for the object to go on, in ``[0, 1]``. The
        default was the best of 0.5-0.8 on the bundled 3D nuclei
        (docs/RESULTS.md); a cross-section that shrinks faster than this
        between slices (the poles of a coarsely cut ball) ends the object.
    contrast_limits : (float, float), optional
        Intensities shown as black and white on every slice (napari's contrast
        limits). By default the 1st and 99.8th percentiles of the whole stack
        for grayscale and RGB(A) stacks, so that all slices are seen alike;
        per slice and channel for other multichannel stacks.
    max_slices : int, optional
        At most this many slices in each direction; None: to the stack's ends.

    Yields
    ------
    slice_index : int
        The slice reached.
    mask2d : (H, W) bool ndarray
        The object on it.

    Raises
    ------
    ValueError
        For a stack that is not 3D or 4D (or has too many channels), an index
        outside it, a mask of the wrong shape or an empty one, `min_overlap`
        outside ``[0, 1]``, a negative `max_slices`, invalid contrast limits,
        or both `model` and `predictor`.
    TypeError
        For a non-numeric stack, a non-integer index or `max_slices`, or a
        `predictor` that is not a `Predictor`.

    Examples
    --------
    >>> from napari_cag.data import nuclei_3d
    >>> stack, truth = nuclei_3d()
    >>> for z, mask2d in propagate(stack, 4, truth[4] == 5):  # doctest: +SKIP
    ...     print(z, mask2d.sum())
    """
    stack, index, mask = _check_stack(stack, index, mask)
    if not 0.0 <= float(min_overlap) <= 1.0:
        raise ValueError(f"min_overlap must be in [0, 1], got {min_overlap}")
    if max_slices is not None:
        if isinstance(max_slices, bool) or not isinstance(max_slices, (int, np.integer)):
            raise TypeError(f"max_slices must be an integer or None, got {max_slices!r}")
        if max_slices < 0:
            raise ValueError(f"max_slices must be >= 0, got {max_slices}")
    limits = _limits(stack, contrast_limits)
    predictor = _predictor(model, predictor)
    return _walk(stack, index, mask, predictor, float(min_overlap), limits, max_slices)


def propagate_object(stack, index: int, mask, **kwargs) -> np.ndarray:
    """The object through the whole stack, ``(Z, H, W)`` bool: `mask` on `index`, `propagate` elsewhere.

    Parameters and errors are those of `propagate`, whose keywords this takes.
    """
    stack, index, mask = _check_stack(stack, index, mask)
    out = np.zeros(stack.shape[:3], bool)
    out[index] = mask
    for z, m in propagate(stack, index, mask, **kwargs):
        out[z] = m
    return out


def _walk(stack, index, mask, predictor, min_overlap, limits, max_slices):
    from .metrics import iou
    from .session import Session

    depth = stack.shape[0]
    for step in (1, -1):
        previous, z, taken = mask, index + step, 0
        while 0 <= z < depth and (max_slices is None or taken < max_slices):
            session = Session(stack[z], model=predictor, contrast_limits=limits)
            clicks = slice_clicks(previous)
            view = session.views.view_for(clicks, mask_box(previous), None)
            prob, _ = predictor.predict(view.image, view.structure, view.local(clicks), previous[view.slices],
                                        refine=_refine_for(predictor, view.image),
                                        keep_previous=False)  # the previous mask is the slice before's
            new = np.zeros(previous.shape, bool)
            new[view.slices] = prob > 0.5
            if not new.any() or iou(new, previous) < min_overlap:
                break
            yield z, new
            previous, z, taken = new, z + step, taken + 1


def _refine_for(predictor, image):
    """The predictor's refinement, with hard disks of at least `CLICK_RADIUS` px around the derived clicks.

    The derived negative clicks lie 0.6 equivalent radii outside the object, so a larger disk cannot bite
    into it; on the bundled 3D nuclei 1-, 2- and 3-px disks gave a mean 3D IoU of 0.24, 0.28 and 0.30.
    """
    from dataclasses import replace

    from .domain import resolve_refine

    settings = resolve_refine(predictor.refine, image)
    return "none" if settings is None else replace(settings, click_radius=max(settings.click_radius, CLICK_RADIUS))


def _check_stack(stack, index, mask):
    stack = np.asarray(stack)
    if stack.ndim not in (3, 4):
        raise ValueError(f"stack must be (Z, H, W) or (Z, H, W, C) with slices first, got shape {stack.shape}")
    if stack.ndim == 4 and stack.shape[3] > MAX_CHANNELS:
        raise ValueError(f"stack has {stack.shape[3]} channels on its last axis (at most {MAX_CHANNELS}); "
                         "channels go last, slices first")
    if stack.shape[0] < 1:
        raise ValueError(f"stack has no slices: shape {stack.shape}")
    validate_image(stack[0])  # dtype, emptiness and finiteness, checked once on one slice
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"index must be an integer, got {index!r}")
    if not 0 <= index < stack.shape[0]:
        raise ValueError(f"index {index} is outside the stack's {stack.shape[0]} slices")
    mask = as_mask(mask, "mask", stack.shape[1:3])
    if not mask.any():
        raise ValueError(f"mask is empty: there is no object on slice {index} to propagate")
    return stack, int(index), mask


def _limits(stack, contrast_limits):
    if contrast_limits is not None:
        lo, hi = (float(v) for v in contrast_limits)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"contrast_limits must be two finite numbers, low < high, got {contrast_limits}")
        return lo, hi
    if stack.ndim == 4 and stack.shape[3] not in (3, 4):
        return None  # each stain its own range, per slice
    pixels = stack[..., :3] if stack.ndim == 4 else stack
    step = max(1, int(np.cbrt(pixels.shape[0] * pixels.shape[1] * pixels.shape[2] / (1 << 22))))
    lo, hi = np.percentile(pixels[::step, ::step, ::step], [1.0, 99.8])
    return (float(lo), float(hi)) if hi > lo else None


def _predictor(model, predictor):
    from .predictor import Predictor

    if predictor is not None:
        if model is not None:
            raise ValueError("give model or predictor, not both")
        if not isinstance(predictor, Predictor):
            raise TypeError(f"predictor must be a napari_cag Predictor, got {type(predictor).__name__}")
        return predictor
    return Predictor(model)
