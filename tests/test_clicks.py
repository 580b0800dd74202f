import numpy as np
import pytest

from napari_cag import Click
from napari_cag.clicks import as_clicks, click_pixels


def test_click_rounds_floats_to_the_nearest_pixel():
    assert Click(10.4, 3.6).pixel == (10, 4)
    assert Click(np.float32(2.0), np.int64(7), False).pixel == (2, 7)


def test_click_rejects_non_numbers_and_nan():
    with pytest.raises(TypeError, match="Click.y must be a number"):
        Click("3", 4)
    with pytest.raises(ValueError, match="Click.x must be finite"):
        Click(3, float("nan"))


def test_as_clicks_accepts_tuples():
    assert as_clicks([(1, 2), (3, 4, False)]) == [Click(1, 2, True), Click(3, 4, False)]
    with pytest.raises(TypeError, match="click 0"):
        as_clicks([5])


def test_click_pixels_rejects_clicks_outside_the_image():
    pixels, positive = click_pixels([Click(0, 0), Click(4.4, 9.4, False)], (5, 10))
    np.testing.assert_array_equal(pixels, [[0, 0], [4, 9]])
    np.testing.assert_array_equal(positive, [True, False])
    with pytest.raises(ValueError, match=r"outside the image of shape \(H=5, W=10\)"):
        click_pixels([Click(5, 0)], (5, 10))
    with pytest.raises(ValueError, match="outside"):
        click_pixels([Click(-0.6, 0)], (5, 10))
