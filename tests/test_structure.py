import numpy as np
import pytest
from skimage import data

from napari_cag import compute_structure


@pytest.fixture(scope="module")
def astronaut_structure():
    return compute_structure(data.astronaut(), n_segments=1000)


def test_structure_of_an_rgb_image(astronaut_structure):
    s = astronaut_structure
    assert s.shape == (512, 512) and s.superpixels.dtype == np.int32
    assert 700 <= s.n_superpixels <= 1200
    np.testing.assert_array_equal(np.unique(s.superpixels), np.arange(s.n_superpixels))
    assert s.areas.sum() == 512 * 512
    rows = np.nonzero(s.superpixels == 5)[0]
    assert s.centroids[5, 0] == pytest.approx(rows.mean())
    assert len(s.hierarchies) == 4
    # every tree covers all superpixels and its root is the whole image
    for h in s.hierarchies:
        assert h.n_leaves == s.n_superpixels and h.areas[-1] == 512 * 512


def test_cached_structure_is_small(astronaut_structure):
    assert astronaut_structure.nbytes / (512 * 512) <= 16


def test_superpixels_follow_edges_not_a_grid():
    # Two flat halves split by a diagonal: a grid would cut squares in half,
    # superpixels that follow the edge lie wholly on one side but for the
    # one-pixel band that sigma=1 pre-smoothing blurs (~8% of these tiny ones).
    image = np.zeros((64, 64), dtype=np.uint8)
    image[np.triu_indices(64)] = 200
    s = compute_structure(image, n_segments=30)
    grid = compute_structure(image, n_segments=30, compactness=1e6)
    assert max(min(f, 1 - f) for f in [(image[grid.superpixels == k] > 0).mean() for k in range(grid.n_superpixels)]) > 0.3
    for label in range(s.n_superpixels):
        bright = (image[s.superpixels == label] > 0).mean()
        assert min(bright, 1 - bright) <= 0.1, (label, bright)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("channels", [None, 3, 4, 5])
def test_dtypes_and_channel_layouts(dtype, channels):
    gray = data.camera()[100:180:2, 200:296:2].astype(np.float64)
    image = gray if channels is None else np.stack([gray * (1 + c) / channels for c in range(channels)], -1)
    s = compute_structure(image.astype(dtype), n_segments=20)
    assert s.shape == (40, 48) and 10 <= s.n_superpixels <= 30


def test_noisy_images_keep_their_superpixels():
    noisy = data.coins() + np.random.default_rng(0).normal(0, 40, data.coins().shape)
    s = compute_structure(np.clip(noisy, 0, 255).astype(np.uint8), n_segments=1000)
    assert s.n_superpixels >= 700


def test_twelve_bit_image_gets_the_same_superpixels_as_its_eight_bit_twin():
    img8 = data.camera()[::4, ::4]
    img12 = img8.astype(np.uint16) * 16
    a = compute_structure(img8, n_segments=100)
    b = compute_structure(img12, n_segments=100)
    np.testing.assert_array_equal(a.superpixels, b.superpixels)


def test_small_and_constant_images_work():
    s = compute_structure(np.zeros((16, 16)), n_segments=1000)
    assert s.shape == (16, 16) and s.areas.sum() == 256
    one = compute_structure(np.ones((16, 16)), superpixels=np.zeros((16, 16), int))
    assert one.n_superpixels == 1 and one.hierarchies == []


def test_caller_superpixels_are_relabelled_consecutively():
    labels = np.array([[5, 5, 17], [100, 100, 17]])
    s = compute_structure(np.zeros((2, 3)), superpixels=labels)
    np.testing.assert_array_equal(s.superpixels, [[0, 0, 1], [2, 2, 1]])
    np.testing.assert_array_equal(s.areas, [2, 2, 2])


def test_felzenszwalb_option():
    s = compute_structure(data.coffee()[::2, ::2], method="felzenszwalb", n_segments=300)
    assert 50 <= s.n_superpixels <= 1500


def test_progress_is_reported():
    steps = []
    compute_structure(data.camera()[::8, ::8], n_segments=50, progress=lambda step, done: steps.append(done))
    assert steps[0] == 0.0 and steps[-1] == 1.0 and steps == sorted(steps)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(superpixels=np.zeros((3, 3), int)), ValueError, r"superpixels have shape \(3, 3\), but the image is \(8, 8\)"),
        (dict(superpixels=np.zeros((8, 8))), TypeError, "integer label image"),
        (dict(n_segments=0), ValueError, "n_segments must be >= 1"),
        (dict(method="watershed"), ValueError, "'slic' or 'felzenszwalb'"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        compute_structure(np.zeros((8, 8)), **kwargs)


def test_nan_image_is_rejected():
    image = np.zeros((8, 8))
    image[2, 2] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        compute_structure(image)
