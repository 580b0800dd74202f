import numpy as np
from skimage.draw import disk

from napari_cag.clicks import Click
from napari_cag.metrics import iou
from napari_cag.training.perturb import later_state, perturbed_mask


def nucleus_pair():
    """Two touching discs: the object (1) and its neighbour (2)."""
    labels = np.zeros((120, 120), np.int32)
    labels[disk((50, 60), 18)] = 2
    labels[disk((60, 40), 20)] = 1
    return labels


def test_a_perturbed_mask_is_an_imperfect_answer_near_the_object():
    labels = nucleus_pair()
    gt = labels == 1
    rng = np.random.default_rng(0)
    masks = [perturbed_mask(gt, labels, rng) for _ in range(40)]
    scores = np.array([iou(m, gt) for m in masks])
    assert 0.45 < np.median(scores) < 0.95 and (scores < 0.99).mean() > 0.8  # wrong, but about the object
    near = np.zeros_like(gt)
    near[16:105, 0:85] = True  # the object's box (rows 40-80, columns 20-60) and 24 px around it
    assert not any((m & ~near).any() for m in masks)
    assert sum((m & (labels == 2)).sum() > 30 for m in masks) >= 4  # some spill into the touching neighbour


def test_later_clicks_fix_their_errors_except_the_last():
    labels = nucleus_pair()
    gt = labels == 1
    rng = np.random.default_rng(1)
    first = [Click(60, 40, True)]
    for _ in range(20):
        mask = perturbed_mask(gt, labels, rng)
        previous, clicks = later_state(gt, mask, first, 4, rng)
        assert clicks[0] == first[0] and 1 <= len(clicks) - 1 <= 4
        last = clicks[-1]
        if len(clicks) == 5:
            assert previous[last.pixel] != gt[last.pixel]  # the newest click's error is for the network
        assert all(previous[c.pixel] == gt[c.pixel] for c in clicks[1:-1])  # the earlier ones were fixed
        assert all(c.positive == gt[c.pixel] for c in clicks)
        assert iou(previous, gt) >= iou(mask, gt) - 1e-9
