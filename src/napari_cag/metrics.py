"""Evaluation metrics for interactive segmentation: IoU and number of clicks (NoC).

The protocol is the one of Sec. 4.1 of the paper (after Xu et al. 2016 and the
later RITM / f-BRS code): a simulated user clicks up to ``max_clicks = 20``
times per object, the IoU is recorded after every click, and NoC@t is the
number of clicks needed to first reach IoU >= t (``max_clicks`` when never).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from .image import as_mask

__all__ = ["iou", "noc", "summarize", "threshold_key"]


def iou(pred, gt, ignore=None) -> float:
    """Intersection over union of two binary masks, leaving out ignored pixels.

    Parameters
    ----------
    pred, gt : (H, W) bool ndarray
        Predicted and ground-truth masks. Numeric arrays are read as ``!= 0``.
    ignore : (H, W) bool ndarray, optional
        Pixels to leave out of both intersection and union (e.g. GrabCut's
        128 "don't care" band, as RITM and f-BRS do).

    Returns
    -------
    float
        ``|pred & gt| / |pred | gt|`` over the pixels not ignored; 1.0 when
        the union is empty (nothing to find and nothing predicted).

    Raises
    ------
    ValueError
        If the masks are not 2D or their shapes differ.
    TypeError
        If a mask is neither boolean nor numeric.

    Examples
    --------
    >>> gt = np.zeros((4, 4), bool); gt[:2] = True
    >>> pred = np.zeros((4, 4), bool); pred[:1] = True
    >>> iou(pred, gt)
    0.5
    """
    pred = as_mask(pred, "pred")
    gt = as_mask(gt, "gt")
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt must have the same shape, got {pred.shape} and {gt.shape}")
    if ignore is not None:
        ignore = as_mask(ignore, "ignore")
        if ignore.shape != gt.shape:
            raise ValueError(f"ignore must have the shape of gt {gt.shape}, got {ignore.shape}")
        keep = ~ignore
        pred = pred & keep
        gt = gt & keep
    union = np.count_nonzero(pred | gt)
    if union == 0:
        return 1.0
    return float(np.count_nonzero(pred & gt) / union)


def _check_threshold(threshold) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)):
        raise TypeError(f"threshold must be a number, got {threshold!r}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
    return float(threshold)


def _check_max_clicks(max_clicks) -> int:
    if isinstance(max_clicks, bool) or not isinstance(max_clicks, (int, np.integer)):
        raise TypeError(f"max_clicks must be an int, got {max_clicks!r}")
    if max_clicks < 1:
        raise ValueError(f"max_clicks must be >= 1, got {max_clicks}")
    return int(max_clicks)


def _check_ious(ious, name: str = "ious") -> np.ndarray:
    a = np.asarray(ious, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1D sequence of IoU values, got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any((a < 0) | (a > 1)):
        raise ValueError(f"{name} must hold IoU values in [0, 1], got {a.tolist()}")
    return a


def noc(ious: Sequence[float], threshold: float, max_clicks: int = 20) -> int:
    """Number of clicks needed to first reach an IoU threshold.

    Parameters
    ----------
    ious : (N,) sequence of float
        ``ious[i]`` is the IoU after click ``i + 1``.
    threshold : float
        Target IoU in (0, 1], e.g. 0.85 or 0.90. Reaching it exactly counts.
    max_clicks : int
        Click budget (20 in the paper, Sec. 4.1). Values beyond it are not read.

    Returns
    -------
    int
        The 1-based index of the first click with ``IoU >= threshold``, or
        ``max_clicks`` if no click within the budget reaches it (an object
        reached exactly at click ``max_clicks`` also scores ``max_clicks``;
        `summarize` tells the two apart with its failure count).

    Raises
    ------
    ValueError
        If ``threshold`` is outside (0, 1], ``max_clicks < 1`` or an IoU is
        outside [0, 1].
    TypeError
        If ``threshold`` or ``max_clicks`` has the wrong type.

    Examples
    --------
    >>> noc([0.5, 0.86, 0.95], 0.85)
    2
    >>> noc([0.5, 0.6], 0.9)
    20
    """
    threshold = _check_threshold(threshold)
    max_clicks = _check_max_clicks(max_clicks)
    reached = _check_ious(ious)[:max_clicks] >= threshold
    return int(np.argmax(reached)) + 1 if reached.any() else max_clicks


def threshold_key(threshold: float) -> str:
    """Percent suffix used in result keys: 0.85 -> ``"85"``, 0.875 -> ``"87.5"``."""
    return f"{round(float(threshold) * 100, 6):g}"


def summarize(
    iou_sequences: Iterable[Sequence[float]],
    thresholds: Sequence[float] = (0.85, 0.90),
    max_clicks: int = 20,
) -> dict:
    """Aggregate per-object IoU curves into the paper's NoC table (Sec. 4.1).

    Parameters
    ----------
    iou_sequences : iterable of (N_k,) sequences of float
        One IoU curve per object; element ``i`` is the IoU after click ``i+1``.
        Curves may have different lengths (``1 <= N_k``).
    thresholds : sequence of float
        IoU targets, each in (0, 1].
    max_clicks : int
        Click budget (20 in the paper).

    Returns
    -------
    dict
        ``"noc@85"`` (float): mean NoC over objects, for each threshold;
        ``"failures@85"`` (int): objects that never reached the threshold
        within ``max_clicks`` clicks; ``"n_objects"`` (int); ``"max_clicks"``
        (int); ``"mean_iou"``: (max_clicks,) float ndarray, the mean IoU after
        clicks ``1 .. max_clicks``.

        For ``mean_iou`` a curve shorter than ``max_clicks`` is padded with
        its last value: we assume the IoU would have stayed where it was when
        the evaluation of that object stopped (e.g. an evaluation loop that
        stops once the target is reached). A curve longer than ``max_clicks``
        is cut. The NoC values never depend on the padding.

    Raises
    ------
    ValueError
        If there are no sequences, a sequence is empty, or an argument is out
        of range (see `noc`).

    Examples
    --------
    >>> r = summarize([[0.9], [0.5, 0.86, 0.91]], max_clicks=3)
    >>> r["noc@85"], r["noc@90"], r["failures@90"]
    (1.5, 2.0, 0)
    >>> r["mean_iou"].tolist()
    [0.7, 0.88, 0.905]
    """
    max_clicks = _check_max_clicks(max_clicks)
    thresholds = [_check_threshold(t) for t in thresholds]
    if not thresholds:
        raise ValueError("thresholds must name at least one IoU target, got an empty sequence")
    curves = []
    for k, seq in enumerate(iou_sequences):
        a = _check_ious(seq, name=f"iou_sequences[{k}]")
        if a.size == 0:
            raise ValueError(f"iou_sequences[{k}] is empty; every object needs at least one click")
        a = a[:max_clicks]
        curves.append(np.concatenate([a, np.full(max_clicks - a.size, a[-1])]))
    if not curves:
        raise ValueError("iou_sequences is empty; nothing to summarize")
    table = np.stack(curves)  # (n_objects, max_clicks)
    out: dict = {"n_objects": len(curves), "max_clicks": max_clicks}
    for t in thresholds:
        key = threshold_key(t)
        nocs = [noc(c, t, max_clicks) for c in curves]
        out[f"noc@{key}"] = float(np.mean(nocs))
        out[f"failures@{key}"] = int(np.count_nonzero(~(table >= t).any(axis=1)))
    out["mean_iou"] = table.mean(axis=0)
    return out
