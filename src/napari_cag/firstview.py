"""A scale-correct first view: where a first click is judged.

Before the first click nothing tells the object's size. Seen on the whole
image, a nucleus of a 1000² micrograph is a few of the network's 160 input
pixels wide, and it comes out as a blob or not at all. So the first click is
looked at through several windows centred on it, from ``min_window`` up to
the whole image, doubling the side each time. In each, the object is the
predicted component under the click; a view frames it when that component
neither touches a window border that lies inside the image (the object would
go on past it) nor spans less than `MIN_EXTENT` of the window (too few input
pixels to draw it; `object_extent`, `frames`). Of the views run that frame
it, the one whose component's extent is closest to ``1 / zoom_expand`` of the
side is kept: the framing of the zoom views the network is trained on.
Without such a view, the closest view that shows the object whole (one too
small to frame, a nucleus of a few pixels) is kept, else the whole image's
answer. A zoom on the kept
answer follows (`Predictor`), as after every first view.

A model that carries a view selector (``ModelConfig.view_selector``, the
shipped ``microscopy`` one) replaces the rule: every view down to 24 px is
run and zoomed on, and a scorer fitted to the network on training images
keeps one (`napari_cag.viewselect`). The rule's choice is one of the
scorer's inputs.

The views are run smallest first, and the search stops once a larger view
can only frame the object worse (`search_done`): when it is framed at
``1 / zoom_expand`` of the side or less, or is too small to draw. That holds
when the network finds the same object, of the same size in pixels, in the
larger views; a whole part of a large object found in a small view (a
nucleus-like blob inside a phase-contrast cell) now ends the search where
scoring every view could still have kept a larger one. A nucleus is usually
settled by one or two views instead of all of them (docs/RESULTS.md).

Measured with every view scored (before the search stopped early) on 200
DSB2018 train nuclei (one click each, refinement on), mean IoU after the
first click: whole image 0.588, the largest framing view
0.576, the best-framed view 0.593; on the bundled nuclei sample 0.53 and
0.63 for the whole image and the best-framed view. On photographs the
best-framed view often frames a uniform part of a large object (GrabCut:
0.27 against 0.58), so `Predictor` searches only on microscopy.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy import ndimage as ndi

from .clicks import Click

__all__ = ["candidate_windows", "click_component", "frames", "framing_choice", "inner_borders", "object_extent", "search_done",
           "searched", "MIN_EXTENT"]

MIN_EXTENT = 0.2  # smallest object extent, as a share of the window side, that a view can draw


def candidate_windows(shape: Sequence[int], click: Click, min_window: int):
    """Square windows for a first click: the whole image, then centred on the click, halving.

    Returns
    -------
    list of Window
        Largest first; the first is the whole-image view of `choose_window`.
    """
    from .predictor import Window

    h, w = shape[:2]
    side = max(h, w)
    windows = [Window((h - side) // 2, (w - side) // 2, side)]
    r, c = click.pixel
    side //= 2
    while side >= min_window:
        windows.append(Window(r - side // 2, c - side // 2, side))
        side //= 2
    return windows


def object_extent(prob: np.ndarray, row: int, col: int, inner: tuple[bool, bool, bool, bool]):
    """The component under the click in one view: ``(extent, whole)``.

    Parameters
    ----------
    prob : (S, S) ndarray
        The network's probability in the window.
    row, col : int
        The click in window input pixels.
    inner : (top, bottom, left, right) bool
        Which window borders lie inside the image (an object touching one of
        those continues beyond the view).

    Returns
    -------
    extent : float
        The component's larger side as a share of the window side; 0 when
        nothing is found under the click.
    whole : bool
        Whether the component stays clear of the inner borders.
    """
    component, _ = click_component(prob, row, col)
    if not component.any():
        return 0.0, False
    rows, cols = np.nonzero(component)
    s = prob.shape[0]
    touches = (rows.min() == 0, rows.max() == s - 1, cols.min() == 0, cols.max() == s - 1)
    extent = max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) / s
    return extent, not any(t and i for t, i in zip(touches, inner))


def click_component(prob: np.ndarray, row: int, col: int) -> tuple[np.ndarray, int]:
    """The connected component of ``prob > 0.5`` under the click (all False when the click is outside
    every one), and how many components there are."""
    mask = prob > 0.5
    components, n = ndi.label(mask)
    return (components == components[row, col]) & mask[row, col], n


def frames(extent: float, whole: bool) -> bool:
    """Whether a view frames the object (of `object_extent`'s answer): whole, and at least `MIN_EXTENT`."""
    return whole and extent >= MIN_EXTENT


def search_done(extent: float, whole: bool, zoom_expand: float) -> bool:
    """Whether views larger than this one (of `object_extent`'s answer) can only frame the object worse.

    A whole component that fills at most ``1 / zoom_expand`` of the side is
    at or past the framing the search looks for, and one under `MIN_EXTENT`
    is already too small to draw; a larger view shows either smaller still,
    if it finds the same object (the module docstring says when it does
    not). A component that runs past the view, or none at all, asks for more.
    """
    return whole and extent > 0 and (extent < MIN_EXTENT or extent * zoom_expand <= 1)


def inner_borders(window, shape: Sequence[int]) -> tuple[bool, bool, bool, bool]:
    """Which of a window's borders (top, bottom, left, right) lie inside the image."""
    h, w = shape[:2]
    return (window.y0 > 0, window.y0 + window.side < h, window.x0 > 0, window.x0 + window.side < w)


def framing_choice(seen: dict[int, tuple[float, bool]], sides: Sequence[int], zoom_expand: float) -> int:
    """The rule's view among those looked at (index -> `object_extent`'s answer).

    The framing view closest to ``1 / zoom_expand`` of its side; without one,
    the smallest view that shows the object whole; else 0, the whole image.
    """
    framed = {i: abs(np.log(e * zoom_expand)) for i, (e, w) in seen.items() if frames(e, w)}
    if framed:
        return min(framed, key=framed.get)
    shown = [i for i, (e, w) in seen.items() if w and e > 0]
    return min(shown, key=lambda i: sides[i]) if shown else 0


def searched(answer: Callable[[int], tuple[float, bool]], zoom_expand: float, among: Sequence[int]) -> dict:
    """The views of `among` (indices, largest view first) that the smallest-first search looks at before
    `search_done`, with their answers: ``answer(i)`` is view i's `object_extent`, asked only for those."""
    seen = {}
    for i in reversed(among):
        seen[i] = answer(i)
        if search_done(*seen[i], zoom_expand):
            break
    return seen
