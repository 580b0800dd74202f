from pathlib import Path

import numpy as np
import pytest

from napari_cag.image import normalize_image, validate_image


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32, np.float64])
def test_normalize_maps_percentiles_to_unit_range(dtype):
    image = np.arange(100 * 100).reshape(100, 100) % 200
    out = normalize_image(image.astype(dtype), low=0, high=100)
    assert out.shape == (100, 100, 1) and out.dtype == np.float32
    assert out.min() == 0.0 and out.max() == 1.0
    np.testing.assert_allclose(out[0, 1, 0], 1 / 199, rtol=1e-5)


def test_twelve_bit_image_looks_like_its_eight_bit_twin():
    rng = np.random.default_rng(0)
    img8 = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    img12 = img8.astype(np.uint16) * 16
    np.testing.assert_allclose(normalize_image(img8), normalize_image(img12), atol=1e-6)


def test_rgb_keeps_colour_balance_and_multichannel_is_per_channel():
    rgb = np.zeros((10, 10, 3))
    rgb[..., 0] = np.linspace(0, 100, 10)
    rgb[..., 1] = np.linspace(0, 10, 10)
    out = normalize_image(rgb, low=0, high=100)
    assert out[..., 1].max() == pytest.approx(0.1)  # green stays ten times darker than red
    out5 = normalize_image(np.repeat(rgb[..., :2], 3, axis=2)[..., :5], low=0, high=100)
    assert out5[..., 1].max() == pytest.approx(1.0)  # each stain gets its own range


def test_rgba_drops_alpha_and_caller_array_is_untouched():
    rgba = np.full((4, 4, 4), 7, dtype=np.uint8)
    rgba[0, 0] = 200
    before = rgba.copy()
    assert normalize_image(rgba).shape == (4, 4, 3)
    np.testing.assert_array_equal(rgba, before)


def test_constant_image_becomes_zeros_and_says_so():
    with pytest.warns(UserWarning, match="image is constant: there is nothing to segment"):
        assert not normalize_image(np.full((5, 5), 42.0)).any()
    with pytest.warns(UserWarning, match="image is constant"):
        normalize_image(np.full((5, 5, 3), [10, 20, 30], dtype=np.uint8))  # one colour everywhere


def test_image_outside_the_contrast_limits_is_constant():
    with pytest.warns(UserWarning, match=r"constant within contrast limits \(500, 600\)"):
        normalize_image(np.arange(100).reshape(10, 10), limits=(500, 600))


@pytest.mark.parametrize("image", [np.arange(25.0).reshape(5, 5), np.eye(5, dtype=np.uint8)[..., None] * [1, 1, 1],
                                   np.arange(4 * 4 * 4).reshape(4, 4, 4)])
def test_ordinary_images_do_not_warn(image, recwarn):
    normalize_image(image)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_more_than_four_channels_name_those_the_network_sees():
    image = np.random.default_rng(0).random((6, 6, 5))
    with pytest.warns(UserWarning, match=r"image has 5 channels; the network sees channels 0, 1, 2"):
        assert normalize_image(image).shape == (6, 6, 5)  # superpixels still use all five


@pytest.mark.parametrize(
    "image, error, match",
    [
        (np.array([[0.0, np.nan]]), ValueError, r"1 non-finite pixels \(NaN\)"),
        (np.array([[0.0, np.inf]]), ValueError, r"non-finite pixels \(inf\)"),
        (np.zeros((2, 3, 4, 5)), ValueError, "must be 2D"),
        (np.zeros(7), ValueError, "must be 2D"),
        (np.zeros((5, 64, 64)), ValueError, "64 channels"),
        (np.zeros((0, 4)), ValueError, "empty"),
        (np.zeros((3, 3), dtype=complex), TypeError, "real numeric dtype"),
        (np.array([["a", "b"]]), TypeError, "real numeric dtype"),
    ],
)
def test_bad_images_raise_clear_errors(image, error, match):
    with pytest.raises(error, match=match):
        validate_image(image)


def test_fixed_limits_replace_percentiles():
    out = normalize_image(np.array([[0, 50, 100, 200]], dtype=np.uint16), limits=(50, 150))
    np.testing.assert_allclose(out[0, :, 0], [0, 0, 0.5, 1])


def test_a_session_warns_at_the_public_edge():
    from napari_cag import Session

    tiny = Path(__file__).resolve().parent / "data" / "tiny_discs.safetensors"
    with pytest.warns(UserWarning, match="image is constant: there is nothing to segment"):
        Session(np.full((40, 40), 3, np.uint16), model=tiny, device="cpu")
    with pytest.warns(UserWarning, match="image has 6 channels; the network sees channels 0, 1, 2"):
        Session(np.random.default_rng(0).random((40, 40, 6)), model=tiny, device="cpu")
