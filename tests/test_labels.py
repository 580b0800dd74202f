import numpy as np
import pytest

from napari_cag.labels import paint_mask, undo_edit


def test_paint_uses_next_free_id_and_protects_other_objects():
    labels = np.zeros((4, 4), np.int32)
    labels[0, :2] = 3
    mask = np.zeros((4, 4), bool)
    mask[0, :] = True
    edit = paint_mask(labels, (), mask)
    np.testing.assert_array_equal(labels[0], [3, 3, 4, 4])
    assert edit.label == 4
    undo_edit(labels, edit)
    np.testing.assert_array_equal(labels[0], [3, 3, 0, 0])
    paint_mask(labels, (), mask, overwrite=True)
    np.testing.assert_array_equal(labels[0], [4, 4, 4, 4])


def test_paint_into_one_plane_of_a_stack_and_undo_exactly():
    stack = np.zeros((3, 4, 4), np.uint16)
    stack[2, 1, 1] = 7
    before = stack.copy()
    edit = paint_mask(stack, (1,), np.ones((4, 4), bool))
    assert (stack[1] == 8).all() and stack[0].sum() == 0 and stack[2, 1, 1] == 7
    undo_edit(stack, edit)
    np.testing.assert_array_equal(stack, before)
    with pytest.raises(ValueError, match="labels plane"):
        paint_mask(stack, (1,), np.ones((3, 3), bool))
