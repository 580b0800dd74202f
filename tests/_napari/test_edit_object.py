"""Shift+click on a committed object edits it: refine, commit back under the same id (issue 12, item 9)."""

import numpy as np
import pytest
from napari_helpers import mouse_click

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from napari_cag._napari.layers import OBJECTS, POINTS, PREVIEW  # noqa: E402
from napari_cag.metrics import iou  # noqa: E402


def commit_one(docked, image, settle, at):
    """``(viewer, widget, controller)`` with the object under `at` clicked and committed as id 1."""
    viewer, widget = docked(image)
    c = widget.controller
    c.add_click(at, True)
    c.commit()
    settle(widget)
    return viewer, widget, c


def test_shift_click_loads_a_committed_object_and_commit_writes_it_back(docked, discs, settle):
    image, truth = discs
    viewer, widget, c = commit_one(docked, image, settle, (65, 62))
    objects = viewer.layers[OBJECTS]
    objects.data[26:33, 26:33] = 7  # a nucleus drawn too small, by hand, as id 7
    objects.refresh()
    before_2 = objects.data == 1

    points = viewer.layers[POINTS]
    mouse_click(points, (29, 29), modifiers=["Shift"])
    settle(widget)
    assert c.editing == 7 and len(points.data) == 0  # no click was added
    preview = viewer.layers[PREVIEW].data > 0
    np.testing.assert_array_equal(preview, objects.data == 7)  # the object as it was, as preview

    mouse_click(points, (30, 40))  # positive clicks where the object should also be
    mouse_click(points, (30, 22))
    settle(widget)
    c.commit()
    settle(widget)
    assert iou(objects.data == 7, truth == 1) > 0.7  # grown to the disc, under the same id
    assert set(np.unique(objects.data)) == {0, 1, 7}
    np.testing.assert_array_equal(objects.data == 1, before_2)  # the other object is untouched
    assert c.editing is None

    c.undo_commit()
    assert (objects.data == 7).sum() == 49  # the edit is one undo step


def test_shift_click_on_the_background_edits_nothing(docked, discs, settle):
    image, _ = discs
    viewer, widget, c = commit_one(docked, image, settle, (65, 62))
    mouse_click(viewer.layers[POINTS], (5, 5), modifiers=["Shift"])
    settle(widget)
    assert c.editing is None and len(viewer.layers[POINTS].data) == 0


def test_reset_drops_an_edit_and_leaves_the_object_as_committed(docked, discs, settle):
    image, _ = discs
    viewer, widget, c = commit_one(docked, image, settle, (30, 30))
    committed = viewer.layers[OBJECTS].data.copy()
    mouse_click(viewer.layers[POINTS], (30, 30), modifiers=["Shift"])
    mouse_click(viewer.layers[POINTS], (65, 62))
    settle(widget)
    c.reset()
    c.commit()  # nothing to commit: the edit is gone
    settle(widget)
    np.testing.assert_array_equal(viewer.layers[OBJECTS].data, committed)
