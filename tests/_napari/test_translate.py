"""The widget's translation helpers, without a viewer."""

import numpy as np
import pytest

pytest.importorskip("napari")

from napari_cag._napari.edit import replace_label  # noqa: E402
from napari_cag._napari.translate import SliceIndex, click_ops, points_to_clicks  # noqa: E402
from napari_cag.clicks import Click  # noqa: E402
from napari_cag.labels import undo_edit  # noqa: E402

A, B, C = Click(1, 1), Click(5, 5, False), Click(7, 2)


@pytest.mark.parametrize("old, new, ops", [
    ([], [A], [("click", A)]),
    ([A], [A, B, C], [("click", B), ("click", C)]),
    ([A, B, C], [A], [("undo", None), ("undo", None)]),
    ([A, B], [B], [("reset", None), ("click", B)]),                           # the first point deleted
    ([A, B], [A, Click(5, 5, True)], [("reset", None), ("click", A), ("click", Click(5, 5))]),  # polarity
    ([A], [A], []),
    ([A], [], [("undo", None)]),
])
def test_click_ops_append_undo_or_replay(old, new, ops):
    assert click_ops(old, new) == ops


def test_points_to_clicks_keeps_the_plane_and_the_image():
    coords = np.array([[2, 10, 10], [3, 10, 10], [2, 50, 3], [2, -3, 4]], float)
    positive = np.array([True, True, False, True])
    assert points_to_clicks(coords, positive, SliceIndex((2,)), (20, 20)) == [Click(10, 10)]
    assert len(points_to_clicks(coords, positive, SliceIndex((2,)))) == 3


def test_replace_label_rewrites_one_object_and_undoes():
    labels = np.zeros((2, 6, 6), np.int32)
    labels[1, :2, :2], labels[1, 4:, 4:] = 3, 5
    mask = np.zeros((6, 6), bool)
    mask[1:4, 1:5] = True
    mask[4, 4] = True  # another object's pixel: left to it
    before = labels.copy()
    edit = replace_label(labels, (1,), mask, 3)
    assert (labels[1] == 3).sum() == 12 and labels[1, 0, 0] == 0 and labels[1, 4, 4] == 5
    assert not labels[0].any()
    undo_edit(labels, edit)
    np.testing.assert_array_equal(labels, before)
