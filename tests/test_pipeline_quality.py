"""The full pipeline on the bundled nuclei with the shipped weights: what a user sees after a click."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_cag import Session
from napari_cag.data import nuclei_2d
from napari_cag.domain import image_domain
from napari_cag.metrics import iou
from napari_cag.predictor import three_channels
from napari_cag.image import normalize_image
from napari_cag.refine.clicks import SHAVE


@pytest.fixture(scope="module")
def nuclei():
    image, labels = nuclei_2d()
    return image, labels, Session(image)


def _centre(mask):
    depth = ndi.distance_transform_edt(mask)
    return np.unravel_index(int(depth.argmax()), depth.shape)


def test_one_click_on_each_of_the_first_25_nuclei(nuclei):
    image, labels, session = nuclei
    ious = []
    for label in np.unique(labels)[1:26]:
        session.reset()
        ious.append(iou(session.add_click(*_centre(labels == label)), labels == label))
    # measured 0.624 with the microscopy model the image gets (0.596 with the one before it, cag_default 0.628, the previous
    # pipeline 0.479); the goals of 0.80 / 0.85 are not reached
    assert np.mean(ious) > 0.58


def test_a_negative_click_just_outside_a_nucleus_keeps_it(nuclei):
    image, labels, session = nuclei
    kept = []
    for label in np.unique(labels)[1:26]:
        nucleus = labels == label
        session.reset()
        before = session.add_click(*_centre(nucleus))
        outside = ndi.distance_transform_edt(~nucleus)
        ring = (outside >= 2) & (outside <= 3) & (labels == 0)
        leak = ndi.uniform_filter((before & ~nucleus).astype(float), 7)  # click where the mask leaks most
        spots = np.argwhere(ring)
        y, x = spots[np.argmax(leak[ring])]
        after = session.add_click(y, x, positive=False)
        assert not after[y, x]
        # the network may tighten the mask's rim (`keep_unclaimed`'s SHAVE), not drop the nucleus
        inner = before & nucleus & (ndi.distance_transform_edt(before) > SHAVE)
        kept.append((after & inner).sum() / max(inner.sum(), 1))
    # measured: 24 of 25 keep >= 95 % of what the mask held of the nucleus inside its rim
    assert np.mean(np.array(kept) >= 0.95) >= 0.9


@pytest.mark.parametrize("name, domain", [("nuclei", "microscopy"), ("astronaut", "natural"),
                                          ("coffee", "natural"), ("camera", "microscopy")])
def test_the_domain_rule_on_bundled_samples(name, domain):
    from skimage import data

    image = nuclei_2d()[0] if name == "nuclei" else getattr(data, name)()
    assert image_domain(three_channels(normalize_image(image))) == domain  # camera: a grey photograph
