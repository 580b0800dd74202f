"""Simulated users: evaluation clicks (Sec. 4.1) and training clicks (Sec. 3.4, 4.2).

Two kinds of simulated user live here.

* The **evaluation user** (`next_click`) follows the protocol of RITM / f-BRS:
  it clicks in the middle of the largest error region, positive when that
  region is a missed part of the object, negative otherwise.
* The **training sampler** (`sample_training_clicks`) follows Sec. 3.4 of the
  paper, itself after iFCN (Xu et al., "Deep Interactive Object Selection",
  CVPR 2016): positive clicks spread inside the object, negative clicks either
  in the background around the object (strategy 1) or on other objects
  (strategy 2), with the numbers and distances drawn per sample from the sets
  of Sec. 4.2 ("Click Sampling"). `error_clicks` adds the error-correcting
  clicks of the iterative training scheme of Sec. 3.4.

The Sec. 4.2 sets are garbled by the text extraction of the paper (sub- and
superscripts land on other lines). Reading the fragments in order, each
``N 1`` / ``din`` / ``dout`` stem joined to the ``1 = {..}`` / ``2 = {..}``
fragment that continues it, gives one consistent reading, used below:
``N_pos = {2,3,4,5}, N^1_neg = {3,5}, N^2_neg = {5,10}, d^in_1 = {15,20,40},
d^in_2 = {7,10,20}, d^out_1 = {15,40,60}, d^out_2 = {10,15,25}``. The roles
follow Sec. 3.4 and iFCN: ``d^in_1`` margin of positive clicks from the object
boundary, ``d^in_2`` spacing of positive clicks, ``d^out_1`` margin of
background clicks from the object, ``d^out_2`` spacing of background clicks.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from scipy import ndimage

from .clicks import Click, click_pixels
from .image import as_mask

__all__ = [
    "N_POS", "N_NEG1", "N_NEG2", "D_IN1", "D_IN2", "D_OUT1", "D_OUT2", "NEG_BAND",
    "farthest_point", "mask_depth", "next_click", "sample_training_clicks", "error_clicks",
]

# Sec. 4.2 "Click Sampling", reconstructed from the garbled extraction (see the
# module docstring): one value of each set is drawn per training sample.
N_POS = (2, 3, 4, 5)  # positive clicks
N_NEG1 = (3, 5)  # background clicks, strategy 1
N_NEG2 = (5, 10)  # clicks on other objects, strategy 2 (at most one per object)
D_IN1 = (15, 20, 40)  # px, positive clicks from the object boundary
D_IN2 = (7, 10, 20)  # px, positive clicks from each other
D_OUT1 = (15, 40, 60)  # px, background clicks from the object
D_OUT2 = (10, 15, 25)  # px, background clicks from each other
# Strategy 1 samples background clicks in a band around the object (iFCN) so
# they stay informative; the paper gives no width, this default is our choice.
NEG_BAND = 40  # px beyond d_out1


def _as_rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got {rng!r}")


def mask_depth(mask: np.ndarray) -> np.ndarray:
    """Distance of each mask pixel to the nearest pixel outside, the image edge counting as outside."""
    return ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]


def farthest_point(mask) -> tuple[int, int]:
    """The pixel of a mask farthest from its boundary.

    Parameters
    ----------
    mask : (H, W) bool ndarray
        A non-empty mask. The image edge counts as boundary (the mask is padded
        with a False border before the distance transform).

    Returns
    -------
    (row, col) : tuple of int
        The argmax of the Euclidean distance transform; ties go to the first
        pixel in raster (row-major) order.

    Raises
    ------
    ValueError
        If the mask is not 2D or is empty.

    Examples
    --------
    >>> m = np.zeros((5, 7), bool); m[1:4, 1:6] = True
    >>> farthest_point(m)
    (2, 2)
    """
    mask = as_mask(mask, "mask")
    if not mask.any():
        raise ValueError(f"mask of shape {mask.shape} is empty; it has no farthest point")
    return tuple(int(i) for i in np.unravel_index(np.argmax(mask_depth(mask)), mask.shape))


def _error_maps(pred, gt, ignore, clicks):
    gt = as_mask(gt, "gt")
    pred = as_mask(pred, "pred", gt.shape)
    keep = np.ones_like(gt) if ignore is None else ~as_mask(ignore, "ignore", gt.shape)
    if clicks is not None:
        # As RITM: never click twice on the same pixel.
        pixels, _ = click_pixels(clicks, gt.shape)
        keep[pixels[:, 0], pixels[:, 1]] = False
    return gt & ~pred & keep, pred & ~gt & keep


def next_click(pred, gt, ignore=None, *, clicks: Iterable[Click] | None = None) -> Click | None:
    """The evaluation user's next click (the RITM / f-BRS protocol, Sec. 4.1).

    False negatives are ``gt & ~pred``, false positives ``pred & ~gt``, both
    outside ``ignore``. The click goes to the error pixel farthest from the
    boundary of its error region, i.e. the centre of the largest error region
    measured by distance-transform depth (image edge counts as boundary).

    Parameters
    ----------
    pred, gt : (H, W) bool ndarray
        Current prediction and ground truth.
    ignore : (H, W) bool ndarray, optional
        Pixels that are never errors (e.g. GrabCut's 128 band).
    clicks : iterable of Click, optional
        Clicks made so far; their pixels are removed from the error maps so
        the same pixel is never clicked twice (as RITM does).

    Returns
    -------
    Click or None
        Positive if the deepest error is a false negative, negative if it is a
        false positive (on a tie of depths the click is negative, as in RITM);
        coordinates are integer pixel positions, ties go to the first pixel in
        raster order. None when there is no error left.

    Raises
    ------
    ValueError
        If the masks are not 2D, shapes differ, or a click is outside the image.

    Examples
    --------
    >>> gt = np.zeros((5, 5), bool); gt[1:4, 1:4] = True
    >>> next_click(np.zeros_like(gt), gt)
    Click(y=2.0, x=2.0, positive=True)
    >>> next_click(gt, gt) is None
    True
    """
    fn, fp = _error_maps(pred, gt, ignore, clicks)
    fn_depth, fp_depth = mask_depth(fn), mask_depth(fp)
    fn_max, fp_max = fn_depth.max(initial=0.0), fp_depth.max(initial=0.0)
    if fn_max == 0 and fp_max == 0:
        return None
    positive = bool(fn_max > fp_max)
    depth = fn_depth if positive else fp_depth
    r, c = np.unravel_index(np.argmax(depth), depth.shape)
    return Click(float(r), float(c), positive)


def error_clicks(pred, gt, rng, n: int = 1, *, ignore=None, jitter: float = 0.0) -> list[Click]:
    """Error-correcting clicks for iterative training (Sec. 3.4, after [35]).

    The first click is `next_click`'s; the error region it lands in is then
    taken as corrected and the next click goes to the largest remaining error
    region, and so on: ``n`` clicks on the ``n`` largest error regions.

    Parameters
    ----------
    pred, gt : (H, W) bool ndarray
        Prediction of the network and ground truth.
    rng : numpy.random.Generator or int
        Randomness for ``jitter``.
    n : int
        Number of clicks wanted (fewer come back when the errors run out).
    ignore : (H, W) bool ndarray, optional
        Pixels that are never errors.
    jitter : float
        0 (default) clicks exactly "closest to the centre of the largest
        misclassified region" as the paper says. With ``0 < jitter <= 1`` the
        click is drawn uniformly among the region's pixels at depth
        ``>= (1 - jitter) * max depth``, for more varied training clicks.

    Returns
    -------
    list of Click
        Up to ``n`` clicks, each positive on a missed part of the object and
        negative on a false positive.

    Raises
    ------
    ValueError
        If ``n < 1``, ``jitter`` is outside [0, 1], or the masks do not match.
    TypeError
        If ``rng`` is not a Generator or int seed.

    Examples
    --------
    >>> gt = np.zeros((9, 9), bool); gt[1:8, 1:8] = True
    >>> pred = gt.copy(); pred[1:4, 1:8] = False; pred[8, :] = True
    >>> error_clicks(pred, gt, rng=0, n=3)  # two error regions: two clicks
    [Click(y=2.0, x=2.0, positive=True), Click(y=8.0, x=0.0, positive=False)]
    """
    rng = _as_rng(rng)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must lie in [0, 1], got {jitter!r}")
    gt = as_mask(gt, "gt")
    pred = as_mask(pred, "pred", gt.shape).copy()
    out: list[Click] = []
    for _ in range(int(n)):
        click = next_click(pred, gt, ignore)
        if click is None:
            break
        fn, fp = _error_maps(pred, gt, ignore, None)
        err = fn if click.positive else fp
        regions, _ = ndimage.label(err)
        region = regions == regions[click.pixel]
        if jitter > 0:
            depth = mask_depth(region)
            rows, cols = np.nonzero(depth >= (1.0 - jitter) * depth.max())
            k = rng.integers(rows.size)
            click = Click(float(rows[k]), float(cols[k]), click.positive)
        out.append(click)
        pred[region] = click.positive  # this region now counts as corrected
    return out


def _draw(value, choices: Sequence[int], rng: np.random.Generator, name: str) -> int:
    """One hyperparameter value: fixed int, drawn from ``value`` or from the paper's set."""
    if value is None:
        value = choices
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
        return int(value)
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) > 0:
        return _draw(value[rng.integers(len(value))], (), rng, name)
    raise TypeError(f"{name} must be None, an int or a non-empty sequence of ints, got {value!r}")


def _relaxed(distance: np.ndarray, allowed: np.ndarray, margin: float) -> np.ndarray:
    """Pixels of ``allowed`` at ``distance >= margin``, halving the margin until some exist.

    The margin halves down to 1 px (any allowed pixel), so a non-empty
    ``allowed`` always yields candidates: small objects still get a click.
    """
    margin = float(margin)
    while True:
        ok = allowed & (distance >= margin)
        if ok.any() or margin <= 1.0:
            return ok if ok.any() else allowed
        margin /= 2.0


def _spaced(candidates: np.ndarray, n: int, min_dist: float, rng: np.random.Generator) -> list:
    """Up to ``n`` random pixels of a (H, W) candidate mask, pairwise ``>= min_dist`` apart."""
    pts = np.argwhere(candidates)
    alive = np.ones(len(pts), bool)
    chosen = []
    for _ in range(n):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break  # no room left at this spacing: fewer clicks, never closer ones
        p = pts[idx[rng.integers(idx.size)]]
        chosen.append((int(p[0]), int(p[1])))
        alive &= ((pts - p) ** 2).sum(axis=1) >= min_dist**2
    return chosen


def _other_ids(gt: np.ndarray, instances) -> np.ndarray:
    """Ids of the labelled objects that are not the target (most of their area outside ``gt``)."""
    if instances is None:
        return np.zeros(0, np.int64)
    labels = np.asarray(instances)
    if labels.shape != gt.shape:
        raise ValueError(f"instances must have the shape of gt {gt.shape}, got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"instances must be an integer label image, got dtype {labels.dtype}")
    ids, counts = np.unique(labels[labels > 0], return_counts=True)
    if ids.size == 0:
        return ids
    inside = ndimage.sum_labels(gt, labels, ids)
    return ids[inside * 2 < counts]


def _object_click(obj: np.ndarray, margin: float, center: bool, rng: np.random.Generator):
    """One click on a negative object, computed on its bounding box only."""
    rows, cols = np.nonzero(obj)
    r0, c0 = rows.min(), cols.min()
    crop = obj[r0 : rows.max() + 1, c0 : cols.max() + 1]
    if center:
        r, c = farthest_point(crop)
    else:
        (r, c), = _spaced(_relaxed(mask_depth(crop), crop, margin), 1, 0.0, rng)
    return int(r0 + r), int(c0 + c)


def sample_training_clicks(
    gt,
    instances=None,
    *,
    rng,
    ignore=None,
    strategy: int | None = None,
    n_pos=None,
    n_neg1=None,
    n_neg2=None,
    d_in1=None,
    d_in2=None,
    d_out1=None,
    d_out2=None,
    band: float = NEG_BAND,
    object_point: str = "random",
) -> list[Click]:
    """Simulated clicks for one training sample (Sec. 3.4 and 4.2, after iFCN).

    Every count or distance left as None is drawn from the paper's set
    (`N_POS`, `N_NEG1`, `N_NEG2`, `D_IN1`, `D_IN2`, `D_OUT1`, `D_OUT2`); pass
    an int to fix it or a sequence to draw from instead.

    * Positive clicks: ``n_pos`` pixels of the object at least ``d_in1`` from
      its boundary (image edge included) and ``d_in2`` from each other. When
      no pixel is ``d_in1`` deep the margin is halved until some are (down to
      any object pixel), so a non-empty object always gets one positive
      click; when the spacing leaves no room, fewer clicks are returned.
    * Strategy 1: ``n_neg1`` background pixels at distance ``d_out1`` to
      ``d_out1 + band`` from the object, ``d_out2`` from each other (the band
      widens to all of the background, then ``d_out1`` halves, when empty).
    * Strategy 2: one click on each of up to ``n_neg2`` other objects of
      ``instances``, chosen at random, at a random pixel ``d_in1``-deep (with
      the same relaxation) or, with ``object_point="center"``, at the
      object's `farthest_point`.

    Parameters
    ----------
    gt : (H, W) bool ndarray
        The target object; must not be empty.
    instances : (H, W) int ndarray, optional
        Label image of all objects (0 = background). Labels mostly inside
        ``gt`` are the target itself; the others are negative objects.
    rng : numpy.random.Generator or int
        Source of all randomness (required: the same seed gives the same clicks).
    ignore : (H, W) bool ndarray, optional
        Pixels never clicked (e.g. a "don't care" band).
    strategy : {None, 1, 2}
        Negative strategy; None draws 1 or 2 with equal odds when other
        objects exist, else uses 1.
    n_pos, n_neg1, n_neg2, d_in1, d_in2, d_out1, d_out2 : int or sequence, optional
        Override the paper's sets (see above).
    band : float
        Width in px of the background band of strategy 1 (`NEG_BAND`).
    object_point : {"random", "center"}
        Where strategy 2 clicks on a negative object.

    Returns
    -------
    list of Click
        Integer pixel positions inside the image. The first click is positive
        and, when any negative was sampled, the second is negative (the scale
        of Sec. 3.3 is estimated from this pair); the rest are shuffled.

    Raises
    ------
    ValueError
        If ``gt`` is empty (outside ``ignore``), shapes differ, a count or
        distance is negative, or ``strategy``/``object_point`` is unknown.
    TypeError
        If ``rng`` or an override has the wrong type.

    Examples
    --------
    >>> gt = np.zeros((100, 100), bool); gt[20:80, 20:80] = True
    >>> clicks = sample_training_clicks(gt, rng=0, n_pos=2, n_neg1=3)
    >>> clicks[0].positive, clicks[1].positive, len(clicks)
    (True, False, 5)
    """
    rng = _as_rng(rng)
    gt = as_mask(gt, "gt")
    keep = np.ones_like(gt) if ignore is None else ~as_mask(ignore, "ignore", gt.shape)
    if not (gt & keep).any():
        raise ValueError(f"gt of shape {gt.shape} has no object pixel to click on")
    if strategy not in (None, 1, 2):
        raise ValueError(f"strategy must be None, 1 or 2, got {strategy!r}")
    if object_point not in ("random", "center"):
        raise ValueError(f"object_point must be 'random' or 'center', got {object_point!r}")
    others = _other_ids(gt, instances)
    if strategy is None:
        strategy = 1 if others.size == 0 else int(rng.integers(1, 3))

    n_pos = _draw(n_pos, N_POS, rng, "n_pos")
    if n_pos < 1:
        raise ValueError(f"n_pos must be >= 1 (the first click is positive), got {n_pos}")
    d_in1 = _draw(d_in1, D_IN1, rng, "d_in1")
    d_in2 = _draw(d_in2, D_IN2, rng, "d_in2")
    candidates = _relaxed(mask_depth(gt), gt & keep, d_in1)
    positives = _spaced(candidates, n_pos, d_in2, rng)

    negatives = []
    if strategy == 1:
        n_neg = _draw(n_neg1, N_NEG1, rng, "n_neg1")
        d_out1 = _draw(d_out1, D_OUT1, rng, "d_out1")
        d_out2 = _draw(d_out2, D_OUT2, rng, "d_out2")
        background = ~gt & keep
        if n_neg and background.any():
            dist = ndimage.distance_transform_edt(~gt)
            in_band = background & (dist <= d_out1 + band)
            region = in_band if (in_band & (dist >= d_out1)).any() else background
            negatives = _spaced(_relaxed(dist, region, d_out1), n_neg, d_out2, rng)
    else:
        n_neg = min(_draw(n_neg2, N_NEG2, rng, "n_neg2"), others.size)
        for i in rng.permutation(others)[:n_neg]:
            obj = (np.asarray(instances) == i) & keep
            if obj.any():
                negatives.append(_object_click(obj, d_in1, object_point == "center", rng))

    first = [Click(float(r), float(c), True) for r, c in positives[:1]]
    first += [Click(float(r), float(c), False) for r, c in negatives[:1]]
    rest = [Click(float(r), float(c), True) for r, c in positives[1:]]
    rest += [Click(float(r), float(c), False) for r, c in negatives[1:]]
    return first + [rest[i] for i in rng.permutation(len(rest))]
