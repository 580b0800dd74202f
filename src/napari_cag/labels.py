"""Writing object masks into label images, undoably."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LabelsEdit", "paint_mask", "undo_edit"]


@dataclass
class LabelsEdit:
    """What a commit changed, so that undoing it restores the labels exactly."""

    index: tuple[int, ...]
    before: np.ndarray
    label: int


def paint_mask(labels: np.ndarray, index: tuple[int, ...], mask: np.ndarray, *, overwrite: bool = False) -> LabelsEdit:
    """Write `mask` into plane `index` of `labels` (in place) with the next free id.

    Parameters
    ----------
    labels : (..., H, W) int ndarray
        A label image or stack; modified in place.
    index : tuple of int
        Leading indices of the ``(H, W)`` plane (``()`` for a 2D image).
    mask : (H, W) bool ndarray
        The object.
    overwrite : bool
        Let the object take pixels of other objects (they keep their id otherwise).

    Returns
    -------
    LabelsEdit
        The plane as it was, to undo the commit.
    """
    plane = labels[index] if index else labels
    if plane.shape != mask.shape:
        raise ValueError(f"mask has shape {mask.shape} but the labels plane is {plane.shape}")
    label = int(labels.max(initial=0)) + 1
    edit = LabelsEdit(index, plane.copy(), label)
    plane[mask if overwrite else mask & (plane == 0)] = label
    return edit


def undo_edit(labels: np.ndarray, edit: LabelsEdit) -> None:
    """Restore the plane an edit changed (in place)."""
    if edit.index:
        labels[edit.index] = edit.before
    else:
        labels[...] = edit.before
