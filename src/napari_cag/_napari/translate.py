"""Small translations between napari layer data and the core (no Qt, no viewer needed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..clicks import Click

__all__ = ["SliceIndex", "points_to_clicks", "image_plane"]


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


def points_to_clicks(coords: np.ndarray, positive: np.ndarray, index: SliceIndex) -> list[Click]:
    """Clicks of the points that lie on the plane `index` (others belong to other slices).

    Parameters
    ----------
    coords : (N, D) ndarray
        Points layer data in the image's data coordinates.
    positive : (N,) bool ndarray
        Polarity of each point.
    index : SliceIndex
        The plane on display.
    """
    coords = np.asarray(coords, dtype=float).reshape(len(positive), -1)
    lead = len(index.leading)
    on_plane = np.all(np.round(coords[:, :lead]) == np.array(index.leading), axis=1) if lead else np.ones(len(coords), bool)
    return [Click(c[-2], c[-1], bool(p)) for c, p, keep in zip(coords, positive, on_plane) if keep]
