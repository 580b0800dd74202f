"""Editing a committed object (the widget's Shift+click; `napari_cag._napari.edit`, no Qt): the object is kept
where the user does not change it, although the clicks that made it are gone."""

import numpy as np
from scipy import ndimage as ndi

from napari_cag import Click, Session
from napari_cag._napari.edit import EditSession, anchor_click
from napari_cag.data import nuclei_2d
from napari_cag.metrics import iou


def test_the_anchor_is_deep_inside_and_away_from_negative_clicks():
    mask = np.zeros((40, 80), bool)
    mask[10:30, 5:25] = mask[5:35, 45:75] = True  # two blobs; the right one is larger
    assert anchor_click(mask, []).x > 45
    anchor = anchor_click(mask, [Click(20, 60, False)])  # the user takes the right one away
    assert anchor.positive and anchor.x < 25 and mask[anchor.pixel]
    assert anchor_click(np.zeros((4, 4), bool), []) is None
    small = np.zeros((20, 20), bool)
    small[7:13, 7:13] = True  # clicked out in its middle: no anchor may overrule that click
    assert anchor_click(small, [Click(10, 10, False)]) is None


def test_a_negative_click_beside_a_committed_nucleus_keeps_it():
    """It erased the whole nucleus: with no positive click left, neither the network nor the refinement
    had an object to keep."""
    image, labels = nuclei_2d()
    session, kept = Session(image, model="microscopy"), []
    for label in np.unique(labels)[1:5]:
        truth = labels == label
        depth = ndi.distance_transform_edt(truth)
        session.reset()
        committed = session.add_click(*np.unravel_index(int(depth.argmax()), depth.shape)).astype(bool)
        beside = ndi.binary_dilation(committed, iterations=4) & ~ndi.binary_dilation(committed, iterations=2)
        edit = EditSession(session, 1, committed)
        kept.append(iou(edit.add_click(*np.argwhere(beside & (labels == 0))[0], False), committed))
    assert min(kept) > 0.75, kept
