import numpy as np
import pytest

from napari_cag.metrics import iou, noc, summarize, threshold_key


def square(shape, r0, r1, c0, c1):
    m = np.zeros(shape, bool)
    m[r0:r1, c0:c1] = True
    return m


def test_iou_exact_value():
    gt = square((4, 4), 0, 2, 0, 4)  # 8 px
    pred = square((4, 4), 0, 1, 0, 4)  # 4 px, all inside gt
    assert iou(pred, gt) == 0.5
    assert iou(gt, pred) == 0.5


def test_iou_leaves_out_ignore_band():
    gt = square((10, 10), 3, 7, 3, 7)  # 16 px
    pred = square((10, 10), 2, 8, 2, 8)  # 36 px, the 20 extra px form a ring
    band = pred & ~gt
    assert iou(pred, gt) == pytest.approx(16 / 36)
    assert iou(pred, gt, ignore=band) == 1.0
    # Ignoring half the ring: 16 / (16 + 10)
    half = band & (np.arange(10)[:, None] < 5)
    assert iou(pred, gt, ignore=half) == pytest.approx(16 / (16 + band.sum() - half.sum()))


def test_iou_empty_union_and_empty_gt():
    empty = np.zeros((3, 3), bool)
    assert iou(empty, empty) == 1.0
    assert iou(square((3, 3), 0, 1, 0, 1), empty) == 0.0
    # everything ignored: empty union again
    assert iou(square((3, 3), 0, 1, 0, 1), empty, ignore=np.ones((3, 3), bool)) == 1.0


def test_iou_numeric_masks_and_errors():
    assert iou(np.array([[0, 255]]), np.array([[0, 1]])) == 1.0
    with pytest.raises(ValueError, match=r"\(2, 2\) and \(3, 3\)"):
        iou(np.zeros((2, 2), bool), np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="2D"):
        iou(np.zeros(4, bool), np.zeros(4, bool))
    with pytest.raises(ValueError, match="ignore"):
        iou(np.zeros((2, 2)), np.zeros((2, 2)), ignore=np.zeros((3, 2), bool))
    with pytest.raises(TypeError, match="dtype"):
        iou(np.array([["a"]]), np.array([["b"]]))


@pytest.mark.parametrize(
    "ious, threshold, expected",
    [
        ([0.91, 0.5], 0.90, 1),  # reached at click 1
        ([0.1, 0.5, 0.84, 0.86, 0.95], 0.85, 4),  # reached at click k = 4
        ([0.1, 0.5, 0.84, 0.86, 0.95], 0.90, 5),
        ([0.5] * 25, 0.85, 20),  # never -> max_clicks
        ([0.2, 0.90], 0.90, 2),  # threshold exactly equal counts as reached
        ([0.95, 0.5, 0.5], 0.9, 1),  # first time, even if it drops again
        ([0.5, 0.6], 0.85, 20),  # short curve that never reaches it
    ],
)
def test_noc_hand_made(ious, threshold, expected):
    assert noc(ious, threshold) == expected


def test_noc_ignores_clicks_beyond_budget():
    ious = [0.5] * 20 + [0.99]  # reached only at click 21
    assert noc(ious, 0.9) == 20
    assert noc(ious, 0.9, max_clicks=21) == 21
    assert noc([0.5, 0.5, 0.5, 0.95], 0.9, max_clicks=3) == 3


def test_noc_rejects_bad_input():
    with pytest.raises(ValueError, match="1.5"):
        noc([0.5], 1.5)
    with pytest.raises(ValueError, match="max_clicks"):
        noc([0.5], 0.9, max_clicks=0)
    with pytest.raises(TypeError, match="threshold"):
        noc([0.5], "0.9")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        noc([0.5, 1.2], 0.9)


def test_threshold_key():
    assert threshold_key(0.85) == "85"
    assert threshold_key(0.9) == "90"
    assert threshold_key(0.875) == "87.5"


def test_summarize_hand_made():
    seqs = [
        [0.9],  # noc@85 = 1, noc@90 = 1
        [0.5, 0.86, 0.91],  # 2, 3
        [0.3, 0.4, 0.5],  # never: 3, 3 with max_clicks=3
    ]
    r = summarize(seqs, max_clicks=3)
    assert r["n_objects"] == 3
    assert r["max_clicks"] == 3
    assert r["noc@85"] == pytest.approx((1 + 2 + 3) / 3)
    assert r["noc@90"] == pytest.approx((1 + 3 + 3) / 3)
    assert r["failures@85"] == 1
    assert r["failures@90"] == 1
    # first curve padded with its last value 0.9
    np.testing.assert_allclose(r["mean_iou"], [(0.9 + 0.5 + 0.3) / 3, (0.9 + 0.86 + 0.4) / 3, (0.9 + 0.91 + 0.5) / 3])


def test_summarize_default_budget_and_failures():
    # reached exactly at click 20: NoC 20 but not a failure
    seqs = [[0.5] * 19 + [0.95], [0.5] * 20, [0.95]]
    r = summarize(seqs)
    assert r["noc@90"] == pytest.approx((20 + 20 + 1) / 3)
    assert r["failures@90"] == 1
    assert r["mean_iou"].shape == (20,)
    assert r["mean_iou"][-1] == pytest.approx((0.95 + 0.5 + 0.95) / 3)


def test_summarize_custom_thresholds_and_errors():
    r = summarize([[0.8, 0.99]], thresholds=(0.5, 0.95))
    assert r["noc@50"] == 1.0 and r["noc@95"] == 2.0
    assert "noc@85" not in r
    with pytest.raises(ValueError, match="empty"):
        summarize([])
    with pytest.raises(ValueError, match=r"iou_sequences\[1\] is empty"):
        summarize([[0.5], []])
