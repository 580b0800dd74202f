import numpy as np
import pytest
import torch
from skimage import data
from skimage.draw import disk

from napari_cag import Click
from napari_cag.metrics import iou
from napari_cag.model import GUIDANCE_PRESETS, ModelConfig, build_model
from napari_cag.session import Session, segment
from napari_cag.structure import compute_structure

CONFIG = ModelConfig(width=8, input_size=64, min_window=20)
# The scripted net reads the Euclidean click maps, which do not depend on superpixels.
SCRIPTED = ModelConfig(width=8, input_size=64, min_window=20, guidance=GUIDANCE_PRESETS["euclidean"], iterative=False,
                       auto_zoom=False)  # its thresholds are in window units, so a zoom would change its answer
A, B = (18, 18), (46, 46)  # centres of the two discs of `two_discs`


class BrightNearClicks(torch.nn.Module):
    """Stand-in network: "object" = bright pixels near a positive click and away from negative ones.

    Input channels: 3 standardized image channels, then the Euclidean positive
    and negative distances divided by the window side (1 = no click).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bright, pos, neg = x[:, 0] > 0, x[:, 3] < 0.3, x[:, 4] < 0.15
        obj = bright & pos & ~neg
        return torch.stack([torch.zeros_like(x[:, 0]), torch.where(obj, 5.0, -5.0)], dim=1)


def disc_mask(center, radius=9, shape=(64, 64)):
    m = np.zeros(shape, bool)
    m[disk(center, radius, shape=shape)] = True
    return m


@pytest.fixture
def two_discs():
    """A 64x64 dark image with two bright discs, and their masks."""
    a, b = disc_mask(A), disc_mask(B)
    return np.where(a | b, 0.9, 0.1).astype(np.float32), a, b


@pytest.fixture
def session(two_discs):
    return Session(two_discs[0], model=(BrightNearClicks(), SCRIPTED), device="cpu")


def test_untrained_network_gives_a_mask_per_click():
    image = data.camera()[::8, ::8]
    torch.manual_seed(0)
    s = Session(image, model=(build_model(CONFIG), CONFIG), device="cpu")
    mask = s.add_click(30, 30)
    assert mask.shape == (64, 64) and mask.dtype == bool
    prob = s.probability
    assert prob.shape == (64, 64) and prob.dtype == np.float32 and 0 <= prob.min() <= prob.max() <= 1
    np.testing.assert_array_equal(mask, prob > 0.5)
    assert list(s.guidance) == list(CONFIG.guidance)
    assert all(g.shape == (64, 64) for g in s.guidance.values())


def test_clicks_steer_the_mask(session, two_discs):
    _, a, b = two_discs
    first = session.add_click(*A)
    np.testing.assert_array_equal(first, a)  # the whole-image view: exactly disc A
    second = session.add_click(*B)
    assert iou(second, a | b) > 0.9
    third = session.add_click(*A, positive=False)
    assert not third[A] and third[B]
    assert session.clicks == [Click(*A), Click(*B), Click(*A, False)]


def test_undo_restores_the_previous_mask_exactly(session):
    first = session.add_click(*A)
    prob = session.probability
    second = session.add_click(*B)
    assert not np.array_equal(first, second)
    restored = session.undo()
    np.testing.assert_array_equal(restored, first)
    np.testing.assert_array_equal(session.mask, first)
    np.testing.assert_array_equal(session.probability, prob)
    assert session.clicks == [Click(*A)]
    assert not session.undo().any() and session.clicks == []
    assert not session.undo().any()  # nothing left to undo is not an error


def test_reset_forgets_the_object(session):
    session.add_click(*A)
    session.add_click(*B)
    session.reset()
    assert session.clicks == [] and not session.mask.any() and not session.probability.any()
    assert session.guidance == {}
    np.testing.assert_array_equal(session.add_click(*B), disc_mask(B))  # starts afresh, no trace of A


def test_commit_writes_the_next_free_id_into_a_copy(session, two_discs):
    _, a, _ = two_discs
    labels = np.zeros((64, 64), np.uint16)
    labels[:14, :] = 3  # covers the top of disc A
    before = labels.copy()
    session.add_click(*A)
    out = session.commit(labels)
    np.testing.assert_array_equal(labels, before)
    assert out.dtype == labels.dtype
    np.testing.assert_array_equal(out == 4, a & (before == 0))
    assert (out[:14] == 3).all()  # existing labels are kept
    assert session.clicks == [] and not session.mask.any()

    session.add_click(*A)
    over = session.commit(labels, overwrite=True)
    np.testing.assert_array_equal(over == 4, a)
    np.testing.assert_array_equal(over[~a], before[~a])


def test_commit_into_empty_labels_uses_id_one(session, two_discs):
    session.add_click(*B)
    out = session.commit(np.zeros((64, 64), np.int32))
    np.testing.assert_array_equal(out, two_discs[2].astype(np.int32))


def test_click_outside_the_image_raises_and_changes_nothing(session):
    first = session.add_click(*A)
    with pytest.raises(ValueError, match=r"y=70\.0, x=5\.0.*outside the image"):
        session.add_click(70, 5)
    with pytest.raises(ValueError, match="outside"):
        session.add_click(5, -1)
    assert session.clicks == [Click(*A)]
    np.testing.assert_array_equal(session.mask, first)


def test_wrong_shapes_raise(session, two_discs):
    with pytest.raises(ValueError, match=r"labels have shape \(32, 64\)"):
        session.commit(np.zeros((32, 64), np.int32))
    other = compute_structure(np.zeros((32, 32)), n_segments=4)
    with pytest.raises(ValueError, match=r"structure is for shape \(32, 32\)"):
        Session(two_discs[0], model=(BrightNearClicks(), SCRIPTED), device="cpu", structure=other)


def test_a_given_structure_is_used_as_is(two_discs):
    structure = compute_structure(two_discs[0], n_segments=30)
    s = Session(two_discs[0], model=(BrightNearClicks(), SCRIPTED), device="cpu", structure=structure)
    assert s.structure is structure


def test_missing_weights_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        Session(np.zeros((16, 16)), model=tmp_path / "nope.safetensors", device="cpu")


def test_segment_replays_the_clicks(two_discs):
    image, a, _ = two_discs
    model = (BrightNearClicks(), SCRIPTED)
    clicks = [Click(*A), Click(*B)]
    s = Session(image, model=model, device="cpu")
    for c in clicks:
        s.add_click(c.y, c.x, c.positive)
    both = segment(image, clicks, model=model, device="cpu")
    np.testing.assert_array_equal(both, s.mask)
    np.testing.assert_array_equal(segment(image, clicks[:1], model=model, device="cpu"), a)


TINY = __import__("pathlib").Path(__file__).parent / "data" / "tiny_discs.safetensors"


def big_discs(size, centres, radius=14):
    image = np.full((size, size), 40, np.uint8)
    truth = np.zeros((size, size), np.int32)
    for k, c in enumerate(centres, 1):
        m = disc_mask(c, radius, (size, size))
        image[m], truth[m] = 170, k
    return image, truth


def test_large_images_are_worked_on_through_views():
    image, truth = big_discs(1024, [(100, 100), (900, 850)])
    s = Session(image, model=TINY, device="cpu", max_side=256, tile=256)
    mask = s.add_click(100, 100)
    assert mask.shape == (1024, 1024) and s.view.shape == (256, 256)
    assert iou(mask, truth == 1) > 0.6 and not mask[truth == 2].any()
    first_view = s.view
    s.add_click(102, 98)  # same area: same view, no new structure
    assert s.view is first_view
    s.reset()
    mask = s.add_click(900, 850)
    assert s.view is not first_view and s.view.contains(900, 850)
    assert iou(mask, truth == 2) > 0.6
    labels = s.commit(np.zeros((1024, 1024), np.int32))
    assert iou(labels == 1, truth == 2) > 0.6


def test_an_8192_image_costs_one_tile_of_structure():
    image, truth = big_discs(8192, [(4000, 5000)])
    s = Session(image, model=TINY, device="cpu")
    mask = s.add_click(4000, 5000)
    assert s.view.shape == (1024, 1024) and len(s.views._cache) == 1
    assert iou(mask, truth == 1) > 0.6


def test_a_tiled_image_forgets_its_views_when_the_model_changes():
    from napari_cag.data import nuclei_2d

    image = nuclei_2d()[0]
    tiled = Session(image, max_side=256, tile=256)
    tiled.add_click(256, 256)
    assert tiled.views._cache
    tiled.views.forget()  # what Session.adapt does after switching to the adapted model
    assert not tiled.views._cache
    tiled.add_click(250, 250, positive=False)  # the next click makes its view again
    assert tiled.views._cache and tiled.mask.shape == image.shape[:2]
    whole = Session(image)
    whole.views.forget()
    assert whole.views.whole is whole.views.view_for(whole.clicks + [Click(5, 5)], None, None)
