import numpy as np
from scipy import ndimage as ndi
from skimage.draw import disk

from pathlib import Path

from napari_cag import Click, Session, compute_structure
from napari_cag.data import nuclei_2d
from napari_cag.predictor import three_channels
from napari_cag.refine import erase_refuted, respect_clicks
from napari_cag.refine.clicks import SHAVE

TINY_WEIGHTS = Path(__file__).parent / "data" / "tiny_discs.safetensors"


def _two_touching_cells():
    """Two bright discs that touch along a darker seam, on a dark background."""
    image = np.full((120, 160), 0.1, np.float32)
    left, right = np.zeros(image.shape, bool), np.zeros(image.shape, bool)
    left[disk((60, 55), 30)] = True
    right[disk((60, 110), 30)] = True
    right &= ~left
    image[left] = 0.8
    image[right] = 0.6
    return image, left, right


def test_a_negative_click_cuts_the_mask_along_the_image_edge():
    image, left, right = _two_touching_cells()
    structure = compute_structure(image, n_segments=40)
    prob = np.where(left | right, 0.9, 0.05).astype(np.float32)  # the network merged both cells
    clicks = [Click(60, 55), Click(60, 115, positive=False)]
    out = respect_clicks(prob, clicks, three_channels(image[..., None]), structure) > 0.5
    assert not out[right].any()
    assert out[left].all()


def test_an_overruled_negative_click_cuts_the_mask_instead_of_a_pinhole():
    """The network kept both cells despite a negative click in the right one, and the refinement's click
    disk punched a pinhole there: the click still takes the right cell away, as if it were inside."""
    image, left, right = _two_touching_cells()
    structure = compute_structure(image, n_segments=40)
    prob = np.where(left | right, 0.9, 0.05).astype(np.float32)
    clicks = [Click(60, 55), Click(60, 115, positive=False)]
    holed = prob.copy()
    holed[59:62, 114:117] = 0.05
    rgb = three_channels(image[..., None])
    out = respect_clicks(holed, clicks, rgb, structure, overruled=[clicks[1]]) > 0.5
    assert not out[right].any()
    assert out[left].all()
    # without being told the network overruled it, the pinhole reads as the click obeyed
    assert respect_clicks(holed, clicks, rgb, structure) is holed
    # a negative click outside the mask, not enclosed by it, changes nothing
    far = [Click(60, 55), Click(10, 10, positive=False)]
    assert respect_clicks(prob, far, rgb, structure, overruled=[far[1]]) is prob


def test_a_pinhole_whose_cut_would_take_most_of_the_mask_stays_a_pinhole():
    """Positive click in the smaller (right) cell, overruled negative click in the larger one: the cut
    would leave less than it takes, so only the pinhole is kept out."""
    image, left, right = _two_touching_cells()
    assert left.sum() > right.sum()
    structure = compute_structure(image, n_segments=40)
    holed = np.where(left | right, 0.9, 0.05).astype(np.float32)
    holed[59:62, 54:57] = 0.05
    clicks = [Click(60, 115), Click(60, 55, positive=False)]
    out = respect_clicks(holed, clicks, three_channels(image[..., None]), structure, overruled=[clicks[1]]) > 0.5
    np.testing.assert_array_equal(out, holed > 0.5)


def test_the_previous_mask_a_network_reads_loses_what_the_newest_negative_click_refutes():
    image, left, right = _two_touching_cells()
    rgb = three_channels(image[..., None])
    previous = left | right  # the last answer merged both cells
    clicks = [Click(60, 55), Click(60, 115, positive=False)]
    cut = erase_refuted(previous, clicks, rgb)
    assert not cut[right].any() and cut[left].all()
    assert previous[right].all()  # the caller's mask is left as it was
    # nothing to erase: a positive newest click, a negative one outside the mask, no mask at all
    assert erase_refuted(previous, clicks[:1] + [Click(60, 100)], rgb) is previous
    assert erase_refuted(previous, [Click(60, 55), Click(5, 5, positive=False)], rgb) is previous
    assert erase_refuted(None, clicks, rgb) is None
    # the guard: a cut that would take more than the positive clicks keep is not made
    bold = [Click(60, 115), Click(60, 55, positive=False)]
    assert erase_refuted(previous, bold, rgb) is previous


def test_a_positive_click_outside_the_mask_adds_its_superpixel():
    image, left, right = _two_touching_cells()
    structure = compute_structure(image, n_segments=40)
    prob = np.where(left, 0.9, 0.05).astype(np.float32)
    click = Click(60, 110)
    out = respect_clicks(prob, [Click(60, 55), click], three_channels(image[..., None]), structure) > 0.5
    added = out & ~left
    assert out[click.pixel]
    np.testing.assert_array_equal(added, (structure.superpixels == structure.superpixels[click.pixel]) & ~left)
    assert (added & right).sum() > 0.8 * added.sum()  # the superpixel follows the cell


def test_a_prediction_that_agrees_with_the_clicks_is_left_alone():
    image, left, _ = _two_touching_cells()
    prob = np.where(left, 0.9, 0.05).astype(np.float32)
    structure = compute_structure(image, n_segments=40)
    clicks = [Click(60, 55), Click(10, 10, positive=False)]
    assert respect_clicks(prob, clicks, three_channels(image[..., None]), structure) is prob


def test_no_click_of_a_session_is_ignored():
    image, labels = nuclei_2d()
    raw = Session(image, model=TINY_WEIGHTS, respect_clicks=False, refine="none")
    session = Session(image, model=TINY_WEIGHTS, structure=raw.structure, refine="none")
    ignored = 0
    for label in np.unique(labels)[1:6]:
        rows, cols = np.nonzero(labels == label)
        inside = Click(rows[len(rows) // 2], cols[len(cols) // 2])
        outside = Click(max(rows.min() - 3, 0), cols[len(cols) // 2], positive=False)
        for s in (raw, session):
            s.reset()
        for click in (inside, outside):
            ignored += raw.add_click(*click.pixel, click.positive)[click.pixel] != click.positive
            assert session.add_click(*click.pixel, click.positive)[click.pixel] == click.positive
    assert ignored  # the raw network does ignore some (4 of 10 here): the case this guards


def test_a_negative_click_on_a_leak_gives_back_the_object_the_network_dropped():
    from napari_cag.refine import keep_unclaimed

    image, left, right = _two_touching_cells()
    previous = left | right  # the mask leaked into the neighbour
    clicks = [Click(60, 55), Click(60, 115, positive=False)]
    dropped = np.where(left[:, ::-1] & ~left, 0.9, 0.05).astype(np.float32)  # the network lost the object
    out = keep_unclaimed(dropped, previous, clicks, three_channels(image[..., None])) > 0.5
    inner = left & (ndi.distance_transform_edt(previous) > SHAVE)  # all but the rim the network may tighten
    assert out[inner].all() and not out[right & ~(dropped > 0.5)].any()
    out = keep_unclaimed(dropped, previous, clicks, three_channels(image[..., None]), shave=0) > 0.5
    assert out[left].all()
    # a positive newest click, or nothing dropped: untouched
    assert keep_unclaimed(dropped, previous, clicks[:1], three_channels(image[..., None])) is dropped
    kept = np.where(left, 0.9, 0.05).astype(np.float32)
    assert keep_unclaimed(kept, previous, clicks, three_channels(image[..., None])) is kept


def test_a_negative_click_on_the_rim_lets_the_network_tighten_the_whole_edge():
    """A mask a pixel too wide, a negative click on that rim, and the network's answer a pixel tighter
    everywhere: the tighter edge stands (clicking pixel by pixel around the rim helps no one), while
    the object's inside, had the network dropped it too, is given back."""
    from napari_cag.refine import keep_unclaimed

    image = np.full((64, 64), 0.2, np.float32)
    tight = np.zeros((64, 64), bool)
    tight[disk((32, 32), 8)] = True
    image[tight] = 0.8
    previous = ndi.binary_dilation(tight)  # one pixel of rim all around
    clicks = [Click(32, 32), Click(32, 40, positive=False)]
    rgb = three_channels(image[..., None])
    answer = np.where(tight, 0.9, 0.05).astype(np.float32)
    assert np.array_equal(keep_unclaimed(answer, previous, clicks, rgb) > 0.5, tight)
    given_back = keep_unclaimed(answer, previous, clicks, rgb, shave=0) > 0.5
    assert (given_back & ~tight).sum() > 20  # without the allowance, the rim comes back but at the click
    hollow = np.where(tight & ~disk_mask(32, 32, 4), 0.9, 0.05).astype(np.float32)  # the centre dropped
    assert (keep_unclaimed(hollow, previous, clicks, rgb) > 0.5)[disk_mask(32, 32, 4)].all()


def disk_mask(r, c, radius, shape=(64, 64)):
    out = np.zeros(shape, bool)
    out[disk((r, c), radius)] = True
    return out
