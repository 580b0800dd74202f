import itertools

import numpy as np
import pytest
from scipy import ndimage

from napari_cag.clicks import Click
from napari_cag.simulate import (
    D_IN1,
    N_POS,
    error_clicks,
    farthest_point,
    next_click,
    sample_training_clicks,
)


def rect(shape, r0, r1, c0, c1):
    m = np.zeros(shape, bool)
    m[r0:r1, c0:c1] = True
    return m


def depth(mask):
    return ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]


# --- farthest_point ---------------------------------------------------------


def test_farthest_point_rectangle_first_in_raster_order():
    # rows 2..6, cols 1..9: depth 3 on row 4, cols 3..7; first of them is (4, 3)
    assert farthest_point(rect((10, 12), 2, 7, 1, 10)) == (4, 3)


def test_farthest_point_image_edge_is_boundary():
    # without the False border a full image would have no boundary at all
    assert farthest_point(np.ones((5, 5), bool)) == (2, 2)
    # touching the top, bottom and left edges: without the border the pixel
    # farthest from the mask's only False pixels would be the corner (0, 0)
    assert farthest_point(rect((3, 9), 0, 3, 0, 5)) == (1, 1)


def test_farthest_point_empty_raises():
    with pytest.raises(ValueError, match=r"\(4, 4\) is empty"):
        farthest_point(np.zeros((4, 4), bool))


# --- next_click ---------------------------------------------------------------


def test_next_click_positive_on_missed_object():
    gt = rect((20, 20), 5, 10, 5, 10)
    c = next_click(np.zeros_like(gt), gt)
    assert c == Click(7, 7, True)


def test_next_click_negative_on_largest_false_positive():
    gt = rect((30, 30), 2, 7, 2, 7)
    pred = gt.copy()
    pred[15:26, 15:26] = True  # 11x11 false positive, deeper than any miss
    pred[2, 2] = False  # a 1-px miss
    c = next_click(pred, gt)
    assert c == Click(20, 20, False)


def test_next_click_picks_deeper_of_fn_and_fp():
    gt = rect((30, 30), 0, 30, 0, 15)  # left half
    pred = gt.copy()
    pred[5:10, 5:10] = False  # 5x5 miss, depth 3
    pred[10:25, 18:25] = True  # 15x7 false positive, depth 4
    assert next_click(pred, gt) == Click(13, 21, False)
    pred[10:25, 18:25] = False
    pred[12:15, 20:23] = True  # 3x3 false positive, depth 2 < 3
    assert next_click(pred, gt) == Click(7, 7, True)


def test_next_click_none_when_perfect_or_all_errors_ignored():
    gt = rect((8, 8), 2, 5, 2, 5)
    assert next_click(gt, gt) is None
    pred = rect((8, 8), 1, 6, 1, 6)
    assert next_click(pred, gt, ignore=pred & ~gt) is None
    assert next_click(pred, gt) is not None


def test_next_click_tie_is_negative_and_clicks_excluded():
    gt = rect((9, 20), 0, 9, 0, 10)
    pred = gt.copy()
    pred[3:6, 3:6] = False  # 3x3 miss, depth 2
    pred[3:6, 13:16] = True  # 3x3 false positive, depth 2
    assert next_click(pred, gt) == Click(4, 14, False)
    # RITM never clicks the same pixel twice: the centre is now a hole
    c = next_click(pred, gt, clicks=[Click(4, 14, False)])
    assert c.pixel != (4, 14)


# --- error_clicks ---------------------------------------------------------------


def test_error_clicks_one_per_region_largest_first():
    gt = rect((20, 20), 2, 18, 2, 18)
    pred = gt.copy()
    pred[2:9, 2:18] = False  # big miss (7 rows)
    pred[19, :] = True  # thin false positive
    clicks = error_clicks(pred, gt, rng=0, n=5)
    assert [c.positive for c in clicks] == [True, False]
    assert clicks[0] == next_click(pred, gt)
    assert clicks[1].pixel == (19, 0)
    assert error_clicks(gt, gt, rng=0) == []


def test_error_clicks_jitter_is_seeded_and_stays_deep():
    gt = rect((40, 40), 0, 40, 0, 40)
    pred = np.zeros_like(gt)
    a = error_clicks(pred, gt, np.random.default_rng(3), jitter=0.5)
    b = error_clicks(pred, gt, np.random.default_rng(3), jitter=0.5)
    assert a == b
    seen = {error_clicks(pred, gt, s, jitter=0.5)[0].pixel for s in range(10)}
    assert len(seen) > 1
    d = depth(gt)
    assert all(d[p] >= 0.5 * d.max() for p in seen)


def test_error_clicks_bad_input():
    m = np.zeros((4, 4), bool)
    with pytest.raises(ValueError, match="n must"):
        error_clicks(m, m, 0, n=0)
    with pytest.raises(ValueError, match="jitter"):
        error_clicks(m, m, 0, jitter=2.0)
    with pytest.raises(TypeError, match="rng"):
        error_clicks(m, m, None)


# --- sample_training_clicks -----------------------------------------------------


def split(clicks):
    pos = np.array([c.pixel for c in clicks if c.positive]).reshape(-1, 2)
    neg = np.array([c.pixel for c in clicks if not c.positive]).reshape(-1, 2)
    return pos, neg


def min_pairwise(points):
    if len(points) < 2:
        return np.inf
    return min(np.hypot(*(a - b)) for a, b in itertools.combinations(points, 2))


GT = rect((120, 120), 30, 90, 30, 90)  # 60x60 object, max depth 30


@pytest.mark.parametrize("seed", range(40))
def test_sampler_invariants_with_fixed_distances(seed):
    clicks = sample_training_clicks(
        GT, rng=seed, n_pos=3, n_neg1=4, d_in1=15, d_in2=10, d_out1=15, d_out2=10, band=20
    )
    assert clicks[0].positive and not clicks[1].positive
    pos, neg = split(clicks)
    assert len(pos) == 3 and len(neg) == 4
    assert all(depth(GT)[tuple(p)] >= 15 for p in pos)
    assert min_pairwise(pos) >= 10
    dist_out = ndimage.distance_transform_edt(~GT)
    assert all(15 <= dist_out[tuple(p)] <= 35 for p in neg)
    assert min_pairwise(neg) >= 10
    assert all(0 <= c.y < 120 and 0 <= c.x < 120 and c.y == int(c.y) for c in clicks)


def test_sampler_draws_from_paper_sets():
    n_pos_seen = set()
    for seed in range(60):
        clicks = sample_training_clicks(GT, rng=seed)
        pos, neg = split(clicks)
        n_pos_seen.add(len(pos))
        assert clicks[0].positive and not clicks[1].positive
        # smallest d_in1 of the paper is 15; a 40 px margin relaxes to 20 here
        assert all(depth(GT)[tuple(p)] >= min(D_IN1) for p in pos)
        assert 3 <= len(neg) <= 5
    # every count of the set is drawn; when the spacing leaves no room fewer
    # clicks come back (here: a 40 px margin leaves a 21x21 core for d_in2 = 20)
    assert set(N_POS) <= n_pos_seen <= set(range(1, max(N_POS) + 1))


def test_sampler_is_reproducible():
    a = sample_training_clicks(GT, rng=7)
    assert a == sample_training_clicks(GT, rng=np.random.default_rng(7))
    others = [sample_training_clicks(GT, rng=s) for s in range(8, 12)]
    assert any(o != a for o in others)


def test_sampler_small_object_still_gets_a_positive_click():
    gt = rect((50, 50), 20, 23, 30, 33)  # 3x3 object, far thinner than any d_in1
    for seed in range(10):
        clicks = sample_training_clicks(gt, rng=seed, d_in1=40)
        assert clicks[0].positive and gt[clicks[0].pixel]
        assert all(gt[c.pixel] for c in clicks if c.positive)
    one = rect((10, 10), 4, 5, 4, 5)
    assert sample_training_clicks(one, rng=0)[0].pixel == (4, 4)


def test_sampler_object_filling_image_has_no_negative():
    clicks = sample_training_clicks(np.ones((20, 20), bool), rng=0, n_pos=2, d_in1=3, d_in2=3)
    assert [c.positive for c in clicks] == [True, True]


def test_sampler_respects_ignore():
    gt = rect((60, 60), 10, 50, 10, 50)
    ignore = rect((60, 60), 0, 60, 0, 30)  # left half is "don't care"
    for seed in range(10):
        for c in sample_training_clicks(gt, rng=seed, ignore=ignore, d_in1=5):
            assert not ignore[c.pixel]


def test_sampler_strategy2_clicks_other_objects():
    labels = np.zeros((60, 60), np.int32)
    labels[5:25, 5:25] = 1  # target
    labels[5:16, 40:51] = 2
    labels[40:51, 5:16] = 3
    labels[40:51, 40:51] = 4
    gt = labels == 1
    clicks = sample_training_clicks(gt, labels, rng=1, strategy=2, n_neg2=5, object_point="center")
    pos, neg = split(clicks)
    assert clicks[0].positive and not clicks[1].positive
    assert sorted(map(tuple, neg)) == [(10, 45), (45, 10), (45, 45)]  # the three centres
    assert all(gt[tuple(p)] for p in pos)
    # random points: one per object, at most n_neg2 objects
    for seed in range(10):
        neg = split(sample_training_clicks(gt, labels, rng=seed, strategy=2, n_neg2=2))[1]
        ids = [labels[tuple(p)] for p in neg]
        assert len(ids) == 2 and len(set(ids)) == 2 and 1 not in ids and 0 not in ids


def test_sampler_random_strategy_uses_both():
    labels = np.zeros((80, 80), np.int32)
    labels[10:40, 10:40] = 1
    labels[60:75, 60:75] = 2
    gt = labels == 1
    on_object = []
    for seed in range(30):
        neg = split(sample_training_clicks(gt, labels, rng=seed))[1]
        on_object.append(all(labels[tuple(p)] == 2 for p in neg))
    assert any(on_object) and not all(on_object)


def test_sampler_bad_input():
    with pytest.raises(ValueError, match="no object pixel"):
        sample_training_clicks(np.zeros((5, 5), bool), rng=0)
    with pytest.raises(TypeError, match="rng"):
        sample_training_clicks(GT, rng=None)
    with pytest.raises(ValueError, match="strategy"):
        sample_training_clicks(GT, rng=0, strategy=3)
    with pytest.raises(ValueError, match="n_pos"):
        sample_training_clicks(GT, rng=0, n_pos=0)
    with pytest.raises(TypeError, match="d_in1"):
        sample_training_clicks(GT, rng=0, d_in1="far")
    with pytest.raises(ValueError, match="instances"):
        sample_training_clicks(GT, np.zeros((3, 3), int), rng=0)
