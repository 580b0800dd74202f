import numpy as np
import pytest
from skimage import data

from napari_cag import Click, compute_structure
from napari_cag import guidance as g

SQRT32 = np.sqrt(32.0)


def test_euclidean_maps_exact_values():
    maps = g.euclidean_maps((5, 7), [Click(2, 3)])
    assert maps.shape == (2, 5, 7) and maps.dtype == np.float32
    assert maps[0, 2, 3] == 0 and maps[0, 2, 5] == 2
    assert maps[0, 0, 0] == pytest.approx(np.sqrt(13))
    assert (maps[1] == 255).all()  # no negative click
    clipped = g.euclidean_maps((5, 7), [Click(2, 3, False)], max_distance=2.0)
    assert clipped[1, 2, 4] == pytest.approx(127.5) and clipped[1, 0, 0] == 255
    two = g.euclidean_maps((1, 9), [Click(0, 0), Click(0, 8)])
    np.testing.assert_array_equal(two[0, 0], [0, 1, 2, 3, 4, 3, 2, 1, 0])


def test_gaussian_maps_exact_values():
    maps = g.gaussian_maps((9, 9), [Click(4, 4), Click(0, 0, False)], sigma=2.0)
    assert maps[0, 4, 4] == 255 and maps[1, 0, 0] == 255
    assert maps[0, 4, 6] == pytest.approx(255 * np.exp(-0.5))
    assert (g.gaussian_maps((3, 3), [])[0] == 0).all()


def test_superpixel_maps_on_quadrants(quadrants):
    maps = g.superpixel_maps(quadrants, [Click(0, 0), Click(7, 7, False)])
    # quadrant centroids are 4 apart side by side and sqrt(32) apart diagonally
    np.testing.assert_allclose(maps[0, ::4, ::4], [[0, 4], [4, SQRT32]], rtol=1e-6)
    np.testing.assert_allclose(maps[1, ::4, ::4], [[SQRT32, 4], [4, 0]], rtol=1e-6)
    # a whole superpixel takes its centroid's value
    assert (maps[0, 4:, 4:] == maps[0, 7, 7]).all()


def test_superpixel_maps_nearest_of_several_clicks(quadrants):
    maps = g.superpixel_maps(quadrants, [Click(0, 0), Click(1, 1), Click(7, 0)])
    np.testing.assert_allclose(maps[0, ::4, ::4], [[0, 4], [0, 4]], rtol=1e-6)


def test_scale_aware_superpixel_maps_truncate_at_f_times_scale(quadrants):
    clicks = [Click(0, 0), Click(7, 7, False)]
    maps = g.superpixel_maps(quadrants, clicks, scale=4.0, f=1.0)
    np.testing.assert_allclose(maps[0, ::4, ::4], [[0, 4], [4, 4]], rtol=1e-6)
    maps = g.superpixel_maps(quadrants, clicks, scale=2.0, f=1.5)
    np.testing.assert_allclose(maps[1, ::4, ::4], [[3, 3], [3, 0]], rtol=1e-6)


def test_object_map_counts_shared_proposals(quadrants):
    # proposals containing superpixel 0: itself and node 4 = {0, 1}; superpixel 1 shares node 4
    one = g.object_map(quadrants, [Click(0, 0), Click(7, 7, False)])
    np.testing.assert_allclose(one[::4, ::4], [[255, 127.5], [0, 0]])
    two = g.object_map(quadrants, [Click(0, 0), Click(4, 0)])
    np.testing.assert_allclose(two[::4, ::4], [[255, 127.5], [255, 127.5]])
    assert (g.object_map(quadrants, [Click(0, 0, False)]) == 0).all()


def test_unrefuted_object_map_drops_proposals_that_hold_a_negative_click(quadrants):
    def unrefuted(clicks):
        return g.guidance_maps(quadrants, clicks, names=["object_unrefuted"])["object_unrefuted"]

    # a negative click in superpixel 1 refutes node 4 = {0, 1}: only superpixel 0 itself counts
    np.testing.assert_allclose(unrefuted([Click(0, 0), Click(0, 7, False)])[::4, ::4], [[255, 0], [0, 0]])
    # one outside every proposal of the positive click refutes nothing: Eq. 3's map
    far = [Click(0, 0), Click(7, 7, False)]
    np.testing.assert_allclose(unrefuted(far), g.object_map(quadrants, far))
    # a negative click on the positive click's own superpixel refutes nothing either
    same = [Click(0, 0), Click(1, 1, False)]
    np.testing.assert_allclose(unrefuted(same), g.object_map(quadrants, same))


def test_scale_aware_object_map_filters_proposals_by_size(quadrants):
    clicks = [Click(0, 0)]
    # s = 4 -> s^2 = 16 pixels; leaves have 16 pixels, node 4 has 32
    only_leaves = g.object_map(quadrants, clicks, scale=4.0, f1=0.0, f2=1.5)
    np.testing.assert_allclose(only_leaves[::4, ::4], [[255, 0], [0, 0]])
    both = g.object_map(quadrants, clicks, scale=4.0, f1=0.0, f2=2.0)
    np.testing.assert_allclose(both[::4, ::4], [[255, 127.5], [0, 0]])
    only_node4 = g.object_map(quadrants, clicks, scale=4.0, f1=2.0, f2=2.0)
    np.testing.assert_allclose(only_node4[::4, ::4], [[255, 255], [0, 0]])
    none = g.object_map(quadrants, clicks, scale=4.0, f1=5.0, f2=6.0)
    assert (none == 0).all()


def test_estimate_scale():
    assert g.estimate_scale([Click(0, 0)]) is None
    assert g.estimate_scale([Click(0, 0, False)]) is None
    pair = [Click(0, 0), Click(9, 9), Click(3, 4, False), Click(0, 1, False)]
    assert g.estimate_scale(pair) == pytest.approx(np.sqrt(np.pi) * 5)  # first of each polarity
    assert g.estimate_scale([Click(2, 2), Click(2, 2, False)]) == 1.0


def test_mask_distance_map():
    mask = np.zeros((3, 4), bool)
    mask[1, 1] = True
    m = g.mask_distance_map(mask)
    assert m[1, 1] == 0 and m[1, 3] == 2 and m[0, 0] == pytest.approx(np.sqrt(2))
    assert (g.mask_distance_map(np.zeros((3, 4), bool)) == 255).all()
    assert g.mask_distance_map(None, shape=(2, 5)).shape == (2, 5)
    with pytest.raises(ValueError, match="shape is needed"):
        g.mask_distance_map(None)
    with pytest.raises(ValueError, match="must be 2D"):
        g.mask_distance_map(np.zeros((2, 2, 2)))


def test_the_binary_previous_mask_is_a_step_where_the_distance_map_is_a_gentle_ramp(quadrants):
    mask = np.zeros(quadrants.shape, bool)
    mask[: mask.shape[0] // 2, : mask.shape[1] // 2] = True
    maps = g.guidance_maps(quadrants, [Click(1, 1, True)], names=["previous_mask", "previous_mask_binary"],
                           previous_mask=mask)
    ramp, step = maps["previous_mask"], maps["previous_mask_binary"]
    assert (step[mask] == 0).all() and (step[~mask] == 255).all()
    assert (ramp[mask] == 0).all() and 0 < ramp[~mask].max() < 255  # the same mask, told far more faintly
    empty = g.guidance_maps(quadrants, [], names=["previous_mask_binary"])["previous_mask_binary"]
    assert (empty == 255).all()  # no previous mask: the no-click value, as for the distance map


def test_no_clicks_gives_the_papers_empty_values(quadrants):
    assert (g.superpixel_maps(quadrants, []) == 255).all()
    assert (g.object_map(quadrants, []) == 0).all()
    assert (g.euclidean_maps((4, 4), []) == 255).all()


@pytest.mark.parametrize("clicks", [
    [Click(3, 4), Click(8, 2, False), Click(11, 14), Click(0, 0, False), Click(5.6, 9.2, False)],
    [Click(6, 7)],
    [Click(1, 1, False), Click(10, 3, False)],
])
@pytest.mark.parametrize("max_distance", [255.0, 5.0])
def test_one_pixel_superpixels_degenerate_to_euclidean(clicks, max_distance):
    """Sec. 4.5: with one pixel per superpixel, Eq. 2 is Eq. 1."""
    shape = (12, 15)
    image = np.random.default_rng(0).random(shape)
    s = compute_structure(image, superpixels=np.arange(12 * 15).reshape(shape))
    sp = g.superpixel_maps(s, clicks, max_distance=max_distance)
    np.testing.assert_array_equal(sp, g.euclidean_maps(shape, clicks, max_distance=max_distance))


def test_degenerate_cases_work():
    s = compute_structure(np.full((32, 32), 7, dtype=np.uint16), n_segments=20)
    single = g.guidance_maps(s, [Click(10, 10)])
    assert single["object"].max() == 255 and (single["superpixel_neg"] == 255).all()
    negative_only = g.guidance_maps(s, [Click(10, 10, False)])
    assert (negative_only["object"] == 0).all() and (negative_only["superpixel_pos"] == 255).all()
    same = g.guidance_maps(s, [Click(10, 10), Click(10, 11, False)])
    np.testing.assert_array_equal(same["superpixel_pos"], same["superpixel_neg"])
    assert np.isfinite(same["object_scaled"]).all()


def test_guidance_maps_names_and_consistency():
    s = compute_structure(data.coffee()[::4, ::4], n_segments=80)
    clicks = [Click(40, 60), Click(5, 5, False)]
    maps = g.guidance_maps(s, clicks, previous_mask=np.eye(100, 150, dtype=bool))
    assert list(maps) == [n for n in g.CHANNELS if not n.startswith("euclidean")]
    scale = g.estimate_scale(clicks)
    np.testing.assert_array_equal(maps["superpixel_neg_scaled"], g.superpixel_maps(s, clicks, scale=scale)[1])
    np.testing.assert_array_equal(maps["object_scaled"], g.object_map(s, clicks, scale=scale))
    assert maps["previous_mask"][0, 0] == 0
    euclid = g.guidance_maps(s, clicks, names=["euclidean_neg"])
    np.testing.assert_array_equal(euclid["euclidean_neg"], g.euclidean_maps(s.shape, clicks)[1])
    with pytest.raises(ValueError, match="unknown guidance channel"):
        g.guidance_maps(s, clicks, names=["gaussian"])


@pytest.mark.parametrize("call, match", [
    (lambda s: g.superpixel_maps(s, [Click(8, 0)]), "outside the image"),
    (lambda s: g.object_map(s, [Click(0, 8)]), "outside the image"),
    (lambda s: g.superpixel_maps(s, [Click(0, 0)], scale=-1.0), "scale must be a positive"),
    (lambda s: g.superpixel_maps(s, [Click(0, 0)], f=0), "f must be > 0"),
    (lambda s: g.object_map(s, [Click(0, 0)], f1=3, f2=2), "0 <= f1 <= f2"),
    (lambda s: g.euclidean_maps((4, 4), [Click(0, 0)], max_distance=0), "max_distance must be > 0"),
    (lambda s: g.gaussian_maps((4, 4), [Click(0, 0)], sigma=0), "sigma must be > 0"),
])
def test_bad_arguments_raise(quadrants, call, match):
    with pytest.raises(ValueError, match=match):
        call(quadrants)


def test_region_paints_only_a_window_of_the_full_maps():
    s = compute_structure(data.coffee()[::4, ::4], n_segments=80)
    clicks = [Click(40, 60), Click(90, 140, False)]  # the negative click lies outside the window
    prev = np.zeros(s.shape, bool)
    prev[30:50, 50:80] = True
    full = g.guidance_maps(s, clicks, names=list(g.CHANNELS), previous_mask=prev)
    window = g.guidance_maps(s, clicks, names=list(g.CHANNELS), previous_mask=prev, region=(20, 70, 30, 110))
    for name in g.CHANNELS:
        np.testing.assert_array_equal(window[name], full[name][20:70, 30:110], err_msg=name)
    with pytest.raises(ValueError, match="not a non-empty window"):
        g.guidance_maps(s, clicks, region=(0, 0, 0, 10))


def test_grid_samples_the_maps_and_fills_outside_the_image():
    s = compute_structure(data.coffee()[::4, ::4], n_segments=80)
    clicks = [Click(40, 60), Click(90, 140, False)]
    rows, cols = np.arange(-10, 100, 3), np.arange(20, 170, 4)  # leaves the image above and right
    names = [n for n in g.CHANNELS if n != "previous_mask"]
    full = g.guidance_maps(s, clicks, names=names)
    sampled = g.guidance_maps(s, clicks, names=names, grid=(rows, cols))
    inside_r, inside_c = rows >= 0, cols < 150
    for name in names:
        expected = full[name][np.ix_(rows[inside_r], cols[inside_c])]
        np.testing.assert_array_equal(sampled[name][np.ix_(inside_r, inside_c)], expected, err_msg=name)
        outside = sampled[name][~inside_r]
        if name.startswith("euclidean"):  # distances are defined past the edge too
            continue
        assert (outside == (0 if name.startswith("object") else 255)).all(), name
    # row -10, col 60 is 50 px above the positive click at (40, 60)
    assert sampled["euclidean_pos"][0, 10] == pytest.approx(50.0)
