"""Editing a committed object: its mask is the current object's previous mask (no Qt here).

`EditSession` answers like a `napari_cag.Session` for the widget's worker (clicks,
add_click, undo, reset, view, view_mask), through the session's public views and
predictor; `replace_label` writes the result back under the object's own id.
"""

from __future__ import annotations

import numpy as np

from ..clicks import Click, click_pixels
from ..image import as_mask, mask_box
from ..labels import LabelsEdit
from ..simulate import mask_depth

__all__ = ["EditSession", "anchor_click", "replace_label"]

#: px an anchor click keeps from the negative clicks: twice the refinement's largest hard-click disk, and one
ANCHOR_CLEARANCE = 7


class EditSession:
    """Refine `mask` (label `label` of the output) with clicks on the image of `session`.

    Parameters
    ----------
    session : napari_cag.Session
        The session of the plane the object lies on (its structure and network are reused).
    label : int
        The object's id in the output labels.
    mask : (H, W) bool ndarray
        The object as committed: the previous mask of the first click.

    Notes
    -----
    The clicks that made the object are not kept with it, so a positive click
    stands for the object on every click (`anchor_click`): clicks reshape it,
    and negative clicks take parts of it away, but not the part deepest inside
    and away from them. (To delete an object, erase its label in napari.)
    """

    def __init__(self, session, label: int, mask: np.ndarray):
        self.session, self.label = session, int(label)
        self.base = as_mask(mask, "mask", session.shape)
        self._steps: list[tuple[Click, object, np.ndarray]] = []  # click, view, mask in the view
        box = mask_box(self.base)
        if box is None:
            raise ValueError(f"object {label} is empty: there is nothing to edit")
        centre = Click((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        self._base_view = session.views.whole if session.views.single else \
            session.views.view_for([centre], box, None)

    @property
    def clicks(self) -> list[Click]:
        return [c for c, _, _ in self._steps]

    @property
    def view(self):
        return self._steps[-1][1] if self._steps else self._base_view

    @property
    def mask(self) -> np.ndarray:
        """The object now, ``(H, W)`` bool: the committed mask until a click changes it."""
        if not self._steps:
            return self.base.copy()
        _, view, mask = self._steps[-1]
        out = np.zeros(self.base.shape, bool)
        out[view.slices] = mask
        return out

    def view_mask(self) -> np.ndarray:
        return self.mask[self.view.slices]

    def add_click(self, y: float, x: float, positive: bool = True) -> np.ndarray:
        click = Click(y, x, positive)
        click_pixels([click], self.base.shape)
        clicks, previous = self.clicks + [click], self.mask
        # the clicks that made the object are gone: one positive click stands for it, or a first negative
        # click would leave the network and the refinement no object to keep, and erase it all
        anchor = anchor_click(previous, clicks)
        clicks = ([anchor] if anchor is not None else []) + clicks
        view = self.session.views.view_for(clicks, mask_box(previous), self.view)
        # as Session.add_click does, with the session's refinement
        prob, _ = self.session.predictor.predict(view.image, view.structure, view.local(clicks),
                                                 previous[view.slices], refine=self.session.refine)
        self._steps.append((click, view, prob > 0.5))
        return self.mask

    def undo(self) -> np.ndarray:
        if self._steps:
            self._steps.pop()
        return self.mask

    def reset(self) -> None:
        """Back to the object as committed."""
        self._steps.clear()


def anchor_click(mask: np.ndarray, clicks: list[Click]) -> Click | None:
    """A positive click for an object known by its mask: the pixel deepest inside it and farthest from the
    negative `clicks` (the smaller of the two distances, largest). None for an empty mask, and where every
    pixel lies within `ANCHOR_CLEARANCE` px of a negative click (a small object clicked out in its middle):
    the anchor must not overrule the user's click."""
    box = mask_box(mask)
    if box is None:
        return None
    y0, x0, y1, x1 = box[0], box[1], box[2] + 1, box[3] + 1
    depth = mask_depth(mask[y0:y1, x0:x1])  # the crop's edge is the object's edge
    yy, xx = np.mgrid[y0:y1, x0:x1]
    near = np.full(depth.shape, np.inf)
    for c in clicks:
        if not c.positive:
            near = np.minimum(near, np.hypot(yy - c.y, xx - c.x))
    score = np.minimum(depth, near)
    r, col = np.unravel_index(int(np.argmax(score)), score.shape)
    if depth[r, col] <= 0 or near[r, col] < ANCHOR_CLEARANCE:
        return None
    return Click(y0 + r, x0 + col, True)


def replace_label(labels: np.ndarray, index: tuple[int, ...], mask: np.ndarray, label: int, *,
                  overwrite: bool = False) -> LabelsEdit:
    """Make object `label` of plane `index` exactly `mask` (in place), undoably.

    Pixels of other objects are left to them unless `overwrite`.

    Returns
    -------
    LabelsEdit
        The plane as it was (`napari_cag.labels.undo_edit` restores it).
    """
    plane = labels[index] if index else labels
    if plane.shape != mask.shape:
        raise ValueError(f"mask has shape {mask.shape} but the labels plane is {plane.shape}")
    edit = LabelsEdit(index, plane.copy(), int(label))
    plane[plane == label] = 0
    plane[mask if overwrite else mask & (plane == 0)] = label
    return edit
