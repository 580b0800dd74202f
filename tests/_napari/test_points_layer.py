"""The clicks layer is the truth: however its points change, the preview follows (issue 12, item 2)."""

import numpy as np
import pytest
from napari_helpers import mouse_click, press_key

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from napari_cag._napari.layers import NEGATIVE, POINTS, POSITIVE, PREVIEW  # noqa: E402
from napari_cag.metrics import iou  # noqa: E402


def shown(viewer):
    return viewer.layers[PREVIEW].data > 0 if PREVIEW in viewer.layers else np.zeros((96, 96), bool)


def test_the_layers_own_add_mode_makes_clicks(docked, discs, settle):
    image, truth = discs
    viewer, widget = docked(image)
    points = viewer.layers[POINTS]
    points.mode = "add"  # napari's own tool, as picked in the layer controls
    mouse_click(points, (30, 30))
    settle(widget)
    assert len(points.data) == 1  # napari's add mode added it, the widget no second one
    assert iou(shown(viewer), truth == 1) > 0.7


def test_layer_add_and_data_assignment_are_clicks(docked, discs, settle):
    image, truth = discs
    viewer, widget = docked(image)
    points = viewer.layers[POINTS]
    points.add([[30, 30]])  # from a script or napari's console
    settle(widget)
    assert iou(shown(viewer), truth == 1) > 0.7
    points.data = np.array([[30.0, 30.0], [65.0, 62.0]])
    settle(widget)
    assert shown(viewer)[65, 62] and shown(viewer)[30, 30]


def test_deleting_a_point_undoes_that_click(docked, discs, settle):
    image, truth = discs
    viewer, widget = docked(image)
    points = viewer.layers[POINTS]
    points.add([[65, 62]])
    settle(widget)
    second_alone = shown(viewer).copy()
    widget.controller.reset()
    points.add([[30, 30]])
    points.add([[65, 62]])
    settle(widget)
    assert shown(viewer)[30, 30] and shown(viewer)[65, 62]
    points.mode = "select"
    points.selected_data = {0}
    press_key(viewer, "Delete")  # napari's own delete: the first click goes, the second stays
    settle(widget)
    assert len(points.data) == 1
    np.testing.assert_array_equal(shown(viewer), second_alone)


def test_polarity_is_a_visible_editable_feature(docked, discs, settle):
    image, truth = discs
    viewer, widget = docked(image)
    points = viewer.layers[POINTS]
    widget.controller.add_click((30, 30), True)
    widget.controller.add_click((65, 62), False)
    settle(widget)
    assert list(points.features["positive"]) == [True, False]
    green, red = (np.array([int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]) for h in (POSITIVE, NEGATIVE))
    np.testing.assert_allclose(points.face_color[:, :3], [green, red], atol=0.01)
    assert shown(viewer)[30, 30]

    points.selected_data = {0}
    press_key(viewer, "N")  # the first click becomes negative: nothing left to segment there
    settle(widget)
    assert list(points.features["positive"]) == [False, False]
    np.testing.assert_allclose(points.face_color[0, :3], red, atol=0.01)
    assert not shown(viewer)[30, 30]

    features = points.features.copy()
    features["positive"] = [False, True]  # edited in a script or the features table
    points.features = features
    settle(widget)
    assert iou(shown(viewer), truth == 2) > 0.7 and not shown(viewer)[30, 30]


def test_moving_a_point_reruns_the_prediction(docked, discs, settle):
    image, truth = discs
    viewer, widget = docked(image)
    points = viewer.layers[POINTS]
    widget.controller.add_click((30, 30), True)
    settle(widget)
    assert iou(shown(viewer), truth == 1) > 0.7
    moved = points.data.copy()
    moved[0] = (65, 62)
    points.data = moved  # what a drag in select mode leaves
    settle(widget)
    assert iou(shown(viewer), truth == 2) > 0.7


def test_new_points_take_the_polarity_of_the_toggle(docked, discs, settle):
    image, _ = discs
    viewer, widget = docked(image)
    points = viewer.layers[POINTS]
    press_key(viewer, "T")  # left clicks (and the add tool) now add negative clicks
    points.add([[65, 62]])
    press_key(viewer, "T")  # and positive ones again
    points.add([[30, 30]])
    settle(widget)
    assert list(points.features["positive"]) == [False, True]
    assert shown(viewer)[30, 30] and not shown(viewer)[65, 62]


def test_a_point_outside_the_image_is_ignored_with_a_message(docked, discs, settle):
    image, truth = discs
    viewer, widget = docked(image)
    points = viewer.layers[POINTS]
    points.data = np.array([[30.0, 30.0], [500.0, 30.0]])
    settle(widget)
    assert iou(shown(viewer), truth == 1) > 0.7
    assert widget.status.text().startswith("Ready")  # no error from the point outside


def test_flip_after_undo_flips_the_last_click_left(docked, discs, settle):
    """napari kept the undone point's index selected, and Flip raised a KeyError on it."""
    image, truth = discs
    viewer, widget = docked(image)
    c, points = widget.controller, viewer.layers[POINTS]
    c.add_click((30, 30), True)
    c.add_click((65, 62), True)
    settle(widget)
    points.selected_data = {1}  # the last point, as napari leaves it selected after adding it
    c.undo_click()
    settle(widget)
    c.flip_selected()  # no point is selected any more: the last one left flips
    settle(widget)
    assert points.features["positive"].tolist() == [False]
    assert not shown(viewer).any()
