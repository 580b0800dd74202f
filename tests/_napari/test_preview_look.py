"""The preview looks like nothing committed: a fixed-colour outline (issue 12, item 5)."""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from napari_cag._napari.layers import OBJECTS, PREVIEW, PREVIEW_COLOR  # noqa: E402


def rgb(hex_color):
    return np.array([int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)])


def test_the_preview_is_an_outline_of_its_own_colour(docked, discs, settle):
    image, _ = discs
    viewer, widget = docked(image)
    c = widget.controller
    c.add_click((30, 30), True)
    c.commit()
    c.add_click((65, 62), True)
    settle(widget)
    preview, objects = viewer.layers[PREVIEW], viewer.layers[OBJECTS]
    assert preview.data.max() == 1 and (objects.data == 1).any()  # preview and object 1 both on show
    np.testing.assert_allclose(preview.colormap.map(1)[..., :3].ravel(), rgb(PREVIEW_COLOR), atol=0.01)
    assert not np.allclose(objects.colormap.map(1)[..., :3], preview.colormap.map(1)[..., :3], atol=0.05)
    assert preview.contour > 0 and objects.contour == 0  # an outline over filled objects
    assert preview.opacity == 1.0
