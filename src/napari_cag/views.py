"""Views: the part of an image a session works on, so large images cost what small ones do.

An image up to ``max_side`` pixels a side is one view. A larger one (a slide,
a stitched mosaic, 8192² and beyond) is worked on through square views of
``tile`` to ``max_side`` pixels around the current object, snapped to a grid
and cached, whose structure is computed when a click first needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .clicks import Click
from .structure import ImageStructure, compute_structure

__all__ = ["View", "ViewCache"]

GRID = 256


@dataclass(eq=False)
class View:
    """A window ``[y0:y0+h, x0:x0+w]`` of the image with its normalized pixels and structure."""

    y0: int
    x0: int
    image: np.ndarray = field(repr=False)
    structure: ImageStructure = field(repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.structure.shape

    @property
    def slices(self) -> tuple[slice, slice]:
        h, w = self.shape
        return slice(self.y0, self.y0 + h), slice(self.x0, self.x0 + w)

    def contains(self, y: float, x: float, margin: float = 0.0) -> bool:
        h, w = self.shape
        return (self.y0 + margin <= y < self.y0 + h - margin) and (self.x0 + margin <= x < self.x0 + w - margin)

    def local(self, clicks: list[Click]) -> list[Click]:
        """The clicks inside the view, in its coordinates."""
        return [Click(c.y - self.y0, c.x - self.x0, c.positive) for c in clicks if self.contains(c.y, c.x)]


class ViewCache:
    """Makes and remembers the views of one image.

    Parameters
    ----------
    image : (H, W[, C]) ndarray
        The validated image.
    make_image : callable
        ``make_image(pixels) -> (h, w, 3) float32`` normalization of a window.
    n_segments : callable
        ``n_segments(shape, image) -> int`` superpixels for a window of that
        shape whose normalized pixels are `image`.
    max_side, tile : int
        Images up to `max_side` are one view; larger ones get views of
        `tile` to `max_side` pixels a side.
    structure : ImageStructure, optional
        A precomputed structure for a single-view image.
    """

    def __init__(self, image, make_image, n_segments, *, max_side: int = 2048, tile: int = 1024,
                 structure: ImageStructure | None = None, keep: int = 8):
        self.image, self.make_image, self.n_segments = image, make_image, n_segments
        self.shape = image.shape[:2]
        self.max_side, self.tile, self.keep = max_side, min(tile, max_side), keep
        self.single = max(self.shape) <= max_side
        self._cache: dict[tuple[int, int, int, int], View] = {}
        if self.single:
            self.whole = self._make(0, 0, *self.shape, structure)

    def _make(self, y0, x0, h, w, structure=None) -> View:
        key = (y0, x0, h, w)
        if key not in self._cache:
            pixels = self.image[y0:y0 + h, x0:x0 + w]
            normalized = self.make_image(pixels)
            if structure is None:
                structure = compute_structure(pixels, n_segments=self.n_segments((h, w), normalized))
            self._cache[key] = View(y0, x0, normalized, structure)
            while len(self._cache) > self.keep:
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]

    def forget(self) -> None:
        """Drop the cached views of a tiled image (their structures are made again when needed), e.g. when
        the model, and so the superpixel settings, changed. A single-view image keeps its one view."""
        if not self.single:
            self._cache.clear()

    def view_for(self, clicks: list[Click], mask_box: tuple[int, int, int, int] | None,
                 current: View | None) -> View:
        """The view for the next prediction: all clicks and the previous mask, with a margin."""
        if self.single:
            return self.whole
        pts = [(c.y, c.x) for c in clicks]
        if mask_box is not None:
            pts += [mask_box[:2], mask_box[2:]]
        pts = np.array(pts, float)
        (r0, c0), (r1, c1) = pts.min(axis=0), pts.max(axis=0)
        extent = max(r1 - r0, c1 - c0)
        margin = max(32.0, 0.25 * extent)
        if current is not None and all(current.contains(y, x, margin) for y, x in pts):
            return current
        side = int(np.clip(np.ceil((extent + 2 * margin) / GRID) * GRID, self.tile, self.max_side))
        if extent + 2 * margin > side:  # the object outgrew the largest view: follow the last click
            r0 = r1 = clicks[-1].y
            c0 = c1 = clicks[-1].x
        h, w = min(side, self.shape[0]), min(side, self.shape[1])
        y0 = int(np.clip(round(((r0 + r1) / 2 - h / 2) / GRID) * GRID, 0, self.shape[0] - h))
        x0 = int(np.clip(round(((c0 + c1) / 2 - w / 2) / GRID) * GRID, 0, self.shape[1] - w))
        return self._make(y0, x0, h, w)
