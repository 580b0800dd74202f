"""Quality of the shipped weights on real images (IoU after a few simulated clicks)."""

import numpy as np
import pytest
from skimage import data

from napari_cag import Session
from napari_cag.data import nuclei_2d
from napari_cag.metrics import iou
from napari_cag.predictor import DEFAULT_WEIGHTS
from napari_cag.simulate import next_click

pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason=f"no shipped weights at {DEFAULT_WEIGHTS}")


def protocol(session, gt, clicks):
    for _ in range(clicks):
        c = next_click(session.mask, gt)
        if c is None:
            break
        session.add_click(c.y, c.x, c.positive)
    return iou(session.mask, gt)


def test_nuclei_are_segmented_in_a_few_clicks():
    image, truth = nuclei_2d()
    session = Session(image)
    ious = []
    for k in np.unique(truth[truth > 0])[:40]:  # ten nuclei made a floor at 0.70 that moved by 0.01 per change
        session.reset()
        ious.append(protocol(session, truth == k, 3))
    assert np.mean(ious) > 0.75, ious  # measured 0.768 (2026-12-05)


def test_coins_on_a_natural_grayscale_image():
    from skimage.measure import label
    from skimage.filters import threshold_otsu
    from skimage.morphology import remove_small_objects
    from scipy import ndimage

    image = data.coins()
    objects = label(remove_small_objects(ndimage.binary_fill_holes(image > threshold_otsu(image)), max_size=300))
    session = Session(image)
    areas = np.bincount(objects.ravel())[1:]
    biggest = np.argsort(areas)[-5:] + 1
    ious = []
    for k in biggest:
        session.reset()
        ious.append(protocol(session, objects == k, 4))
    assert np.mean(ious) > 0.7, ious
