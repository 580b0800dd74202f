import numpy as np
from skimage.draw import disk, ellipse

from napari_cag.clicks import Click
from napari_cag.predictor import finish
from napari_cag.refine import REFINE_PRESETS, keep_clicked_lobe
from napari_cag.structure import compute_structure


def touching_pair():
    """Two nuclei of radius 14 and 12 whose discs overlap into a 12-px-wide neck."""
    a, b = np.zeros((80, 100), bool), np.zeros((80, 100), bool)
    a[disk((40, 35), 14)] = True
    b[disk((40, 59), 12)] = True
    return a, b


def test_a_first_mask_over_two_touching_nuclei_keeps_the_clicked_one():
    a, b = touching_pair()
    kept = keep_clicked_lobe(a | b, Click(40, 30, True), ratio=0.8)
    assert (kept & b).sum() < 0.2 * b.sum()
    assert (kept & a).sum() > 0.9 * a.sum()
    other = keep_clicked_lobe(a | b, Click(40, 62, True), ratio=0.8)
    assert (other & a).sum() < 0.2 * a.sum() and (other & b).sum() > 0.9 * b.sum()


def test_single_objects_stay_whole():
    long = np.zeros((80, 120), bool)
    long[ellipse(40, 60, 12, 45)] = True  # elongated, one lobe or lobes joined along their width
    bean = np.zeros((80, 100), bool)
    bean[disk((40, 40), 16)] = True
    bean[disk((40, 56), 15)] = True  # two discs merged wide: a neck nearly as wide as the smaller one
    for mask, click in ((long, Click(40, 20, True)), (bean, Click(40, 40, True))):
        assert (keep_clicked_lobe(mask, click, ratio=0.8) == mask).all()
    a, b = touching_pair()
    assert (keep_clicked_lobe(a | b, Click(5, 5, True), ratio=0.8) == (a | b)).all()  # the click is not on it


def test_only_the_first_click_of_a_micrograph_splits():
    a, b = touching_pair()
    image = np.full((80, 100, 3), 0.1, np.float32)
    image[a | b] = 0.8
    structure = compute_structure(image, n_segments=300)
    prob = np.where(a | b, 0.9, 0.05).astype(np.float32)
    first = finish(prob, image, structure, [Click(40, 30, True)], REFINE_PRESETS["microscopy"]) > 0.5
    assert (first & b).sum() < 0.2 * b.sum() and (first & a).sum() > 0.9 * a.sum()
    later = finish(prob, image, structure, [Click(40, 30, True), Click(40, 62, True)],
                   REFINE_PRESETS["microscopy"]) > 0.5
    assert (later & b).sum() > 0.9 * b.sum()  # the user's second positive click asks for both
    assert (finish(prob, image, structure, [Click(40, 30, True)], REFINE_PRESETS["natural"]) > 0.5)[b].mean() > 0.9


def test_a_large_mask_is_split_as_a_small_one():
    """Masks past `MAX_SIDE` are split on a shrunk copy; the kept part is still the clicked nucleus, at full
    resolution."""
    a, b = np.zeros((800, 1000), bool), np.zeros((800, 1000), bool)
    a[disk((400, 350), 140)] = True
    b[disk((400, 590), 120)] = True
    kept = keep_clicked_lobe(a | b, Click(400, 300, True), ratio=0.8)
    assert (kept & b).sum() < 0.2 * b.sum() and (kept & a).sum() > 0.95 * a.sum()
    assert not (kept & ~(a | b)).any()
