import numpy as np
import pytest
import torch

from napari_cag import Click, compute_structure
from napari_cag.firstview import MIN_EXTENT, candidate_windows, frames, object_extent, search_done
from napari_cag.model import GUIDANCE_PRESETS, ModelConfig
from napari_cag.predictor import Predictor, Window, three_channels


def test_candidate_windows_start_with_the_whole_image_then_halve_around_the_click():
    windows = candidate_windows((300, 512), Click(100, 200), min_window=48)
    assert windows[0] == Window(-106, 0, 512)
    assert [w.side for w in windows] == [512, 256, 128, 64]
    assert all(w.y0 + w.side // 2 == 100 and w.x0 + w.side // 2 == 200 for w in windows[1:])


def _blob(s, r0, r1, c0, c1):
    prob = np.zeros((s, s), np.float32)
    prob[r0:r1, c0:c1] = 1
    return prob


def test_object_extent_measures_the_component_under_the_click():
    inner = (True, True, True, True)
    assert object_extent(_blob(100, 30, 70, 40, 60), 50, 50, inner) == (pytest.approx(0.4), True)
    assert object_extent(_blob(100, 0, 70, 40, 60), 50, 50, inner)[1] is False  # runs past an inner border
    assert object_extent(_blob(100, 0, 70, 40, 60), 50, 50, (False, True, True, True))[1]  # image border
    assert object_extent(_blob(100, 30, 70, 40, 60), 10, 10, inner)[0] == 0  # not under the click


def test_a_view_frames_an_object_that_is_whole_and_large_enough():
    assert frames(0.4, True)
    assert not frames(0.4, False)  # runs past the view
    assert not frames(MIN_EXTENT * 0.9, True)  # too few input pixels to draw it


def test_the_search_stops_once_a_larger_view_can_only_frame_worse():
    assert search_done(0.5, True, zoom_expand=1.4)  # framed at 1 / 1.4 of the side or less
    assert not search_done(0.8, True, zoom_expand=1.4)  # a larger view may frame it closer to 1 / 1.4
    assert search_done(MIN_EXTENT / 2, True, zoom_expand=1.4)  # too small already
    assert not search_done(0.5, False, zoom_expand=1.4)  # runs past the view
    assert not search_done(0.0, False, zoom_expand=1.4)  # nothing under the click


class BrightNet(torch.nn.Module):
    """Object = bright pixels of the window; records the batch sizes and torch's thread count."""

    def __init__(self):
        super().__init__()
        self.batches, self.threads = [], []

    def forward(self, x):
        self.batches.append(x.shape[0])
        self.threads.append(torch.get_num_threads())
        return torch.stack([torch.zeros_like(x[:, 0]), (x[:, 0] - 0.5) * 20], dim=1)


def _first_click(image, click, config, monkeypatch):
    structure = compute_structure(image, n_segments=50)
    net, kept = BrightNet(), []
    predictor = Predictor((net, config), device="cpu", refine="none", first_view="search", threads=1)
    zoom = predictor._zoom
    monkeypatch.setattr(predictor, "_zoom", lambda *a: kept.append(a[-1]) or zoom(*a))  # the kept view
    prob, _ = predictor.predict(three_channels(image[..., None]), structure, [click])
    truth = image > 0.5
    return ((prob > 0.5) & truth).sum() / ((prob > 0.5) | truth).sum(), net, kept[0]


CONFIG = ModelConfig(input_size=64, min_window=24, guidance=GUIDANCE_PRESETS["euclidean"])


def test_a_small_first_object_is_judged_on_a_view_that_frames_it(monkeypatch):
    image = np.full((512, 512), 0.05, np.float32)
    image[250:270, 250:270] = 0.9  # a 20-px "nucleus": 6 input pixels on the whole image's view
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # the caller's setting
    try:
        iou, net, kept = _first_click(image, Click(260, 260), CONFIG, monkeypatch)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert iou > 0.8
    assert set(net.threads) == {1}  # one thread inside the prediction, the caller's after it
    # the smallest view (32 px) frames it at 20 / 32 <= 1 / 1.4 of its side: no larger view is run
    assert kept.side == 32 and net.batches == [1]


def test_a_large_first_object_is_judged_on_a_view_large_enough_to_hold_it(monkeypatch):
    image = np.full((512, 512), 0.05, np.float32)
    image[160:360, 160:360] = 0.9  # 200 px: runs past the 32-128 px views
    iou, net, kept = _first_click(image, Click(260, 260), CONFIG, monkeypatch)
    assert iou > 0.8
    # framed at 200 / 256 of the 256-px view, closer to 1 / 1.4 than at 200 / 512 on the whole image
    assert kept.side == 256
    assert net.batches == [1] * len(candidate_windows(image.shape, Click(260, 260), 24))  # no zoom after


def test_an_object_too_small_for_every_view_is_taken_from_the_closest_view_that_shows_it_whole(monkeypatch):
    image = np.full((512, 512), 0.05, np.float32)
    image[259:262, 259:262] = 0.9  # 3 px: under a fifth of even the 32-px view
    iou, net, kept = _first_click(image, Click(260, 260), CONFIG, monkeypatch)
    # the whole image (3 px = 0.4 input pixels) would lose it: the smallest view, which ended the search, keeps it
    assert kept.side == 32 and iou > 0.5
    assert net.batches == [1]
