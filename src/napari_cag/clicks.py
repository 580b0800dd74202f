"""User clicks: the one input that every guidance map is computed from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

__all__ = ["Click", "as_clicks", "click_pixels"]


@dataclass(frozen=True)
class Click:
    """One click in pixel coordinates.

    Parameters
    ----------
    y, x : float
        Row and column of the click. Floats are accepted (napari gives
        sub-pixel world coordinates); they are rounded where a pixel is needed.
    positive : bool
        True for a click on the object (foreground), False for a click on the
        background or on another object.

    Examples
    --------
    >>> Click(10.4, 3.6)
    Click(y=10.4, x=3.6, positive=True)
    >>> Click(10.4, 3.6).pixel
    (10, 4)
    """

    y: float
    x: float
    positive: bool = True

    def __post_init__(self) -> None:
        for name in ("y", "x"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"Click.{name} must be a number, got {value!r}")
            if not np.isfinite(value):
                raise ValueError(f"Click.{name} must be finite, got {value!r}")
        object.__setattr__(self, "y", float(self.y))
        object.__setattr__(self, "x", float(self.x))
        object.__setattr__(self, "positive", bool(self.positive))

    @property
    def pixel(self) -> tuple[int, int]:
        """The (row, column) of the pixel under the click (round half to even)."""
        return int(round(self.y)), int(round(self.x))


def as_clicks(clicks: Iterable[Click | Sequence]) -> list[Click]:
    """Turn `Click` objects or ``(y, x[, positive])`` tuples into a list of `Click`.

    Raises
    ------
    TypeError
        If an item is neither a `Click` nor a 2- or 3-sequence.
    """
    out = []
    for i, c in enumerate(clicks):
        if isinstance(c, Click):
            out.append(c)
        elif isinstance(c, (tuple, list, np.ndarray)) and len(c) in (2, 3):
            out.append(Click(*c))
        else:
            raise TypeError(f"click {i} must be a Click or a (y, x[, positive]) tuple, got {c!r}")
    return out


def click_pixels(clicks: Iterable[Click | Sequence], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates and polarities of clicks, checked against an image shape.

    Parameters
    ----------
    clicks : iterable of Click
        The clicks, in the order they were made.
    shape : (H, W) tuple
        The image shape the clicks must fall inside.

    Returns
    -------
    pixels : (N, 2) int64 ndarray
        Row and column of each click's pixel.
    positive : (N,) bool ndarray
        Polarity of each click.

    Raises
    ------
    ValueError
        If a click falls outside the image.
    """
    clicks = as_clicks(clicks)
    h, w = shape[:2]
    pixels = np.array([c.pixel for c in clicks], dtype=np.int64).reshape(-1, 2)
    positive = np.array([c.positive for c in clicks], dtype=bool)
    for c, (r, col) in zip(clicks, pixels):
        if not (0 <= r < h and 0 <= col < w):
            raise ValueError(f"{c} lies outside the image of shape (H={h}, W={w})")
    return pixels, positive
