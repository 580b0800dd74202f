"""Small translations between napari layer data and the core (no Qt, no viewer needed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..clicks import Click

__all__ = ["SliceIndex", "points_to_clicks", "image_plane", "click_ops"]


@dataclass(frozen=True)
class SliceIndex:
    """Where a 2D plane sits in an nD layer: the leading (non-displayed) indices."""

    leading: tuple[int, ...]

    @classmethod
    def from_point(cls, point, ndim: int) -> "SliceIndex":
        """From napari's ``dims.current_step`` (or a click's coordinates) for an ``ndim``-D layer."""
        return cls(tuple(int(round(v)) for v in list(point)[: max(ndim - 2, 0)]))


def image_plane(data, index: SliceIndex, rgb: bool) -> np.ndarray:
    """The 2D plane (``(H, W)`` or ``(H, W, C)`` when RGB) of an image layer's data at `index`."""
    plane = data[index.leading] if index.leading else data
    return np.asarray(plane)


def points_to_clicks(coords: np.ndarray, positive: np.ndarray, index: SliceIndex,
                     shape: tuple[int, int] | None = None) -> list[Click]:
    """Clicks of the points that lie on the plane `index` (others belong to other slices).

    Parameters
    ----------
    coords : (N, D) ndarray
        Points layer data in the image's data coordinates.
    positive : (N,) bool ndarray
        Polarity of each point.
    index : SliceIndex
        The plane on display.
    shape : (H, W), optional
        The plane's shape: points outside it are left out.
    """
    coords = np.asarray(coords, dtype=float).reshape(len(positive), -1)
    lead = len(index.leading)
    keep = np.all(np.round(coords[:, :lead]) == np.array(index.leading), axis=1) if lead else np.ones(len(coords), bool)
    if shape is not None:
        y, x = coords[:, -2], coords[:, -1]
        keep &= (y >= -0.5) & (y < shape[0] - 0.5) & (x >= -0.5) & (x < shape[1] - 0.5)
    return [Click(c[-2], c[-1], bool(p)) for c, p, k in zip(coords, positive, keep) if k]


def click_ops(old: list[Click], new: list[Click]) -> list[tuple[str, Click | None]]:
    """The session operations that take an object's clicks from `old` to `new`.

    Points appended to the layer are clicks, points taken off its end are undone
    (each click keeps the mask it made), and any other change (a point deleted
    in the middle, moved, or its polarity edited) replays the remaining clicks.

    Examples
    --------
    >>> a, b = Click(1, 1), Click(5, 5, False)
    >>> click_ops([a], [a, b])
    [('click', Click(y=5.0, x=5.0, positive=False))]
    >>> click_ops([a, b], [a])
    [('undo', None)]
    >>> click_ops([a, b], [b])
    [('reset', None), ('click', Click(y=5.0, x=5.0, positive=False))]
    """
    if new[:len(old)] == old:
        return [("click", c) for c in new[len(old):]]
    if old[:len(new)] == new:
        return [("undo", None)] * (len(old) - len(new))
    return [("reset", None)] + [("click", c) for c in new]
