"""The training recipe: per-set hold-out, set balance, search views, augmentation, rounds."""

import dataclasses
import hashlib

import numpy as np
import pytest
import torch

from napari_cag.clicks import Click
from napari_cag.model import build_model
from napari_cag.predictor import choose_window
from napari_cag.training.augment import jitter_image, transform, untransform
from napari_cag.training.cache import build_cache, cache_file, load_cache, split_validation
from napari_cag.training.loop import P_NO_ROUND, round_odds
from napari_cag.training.sampler import TrainingSampler
from napari_cag.training.validation import make_validator

from test_training import CONFIG, synthetic


@dataclasses.dataclass
class Named:
    name: str


def test_every_set_of_five_or_more_images_keeps_a_validation_image():
    items = [Named(f"big/{i}") for i in range(300)] + [Named(f"small/{i}") for i in range(6)] + [Named("one/0")]
    training, held = split_validation(items, fraction=0.1)
    sets = {i.name.split("/")[0] for i in held}
    assert sets == {"big", "small"}  # the 1-image set is not emptied
    assert 15 < sum(i.name.startswith("big/") for i in held) < 50
    assert len(training) + len(held) == len(items) and not set(map(id, training)) & set(map(id, held))
    assert split_validation(items, 0.1)[1] == held  # deterministic


def micro_items(tmp_path, sets=("a", "b"), copies=(1, 4), microscopy=(True, True)):
    raw = []
    for s, n, micro in zip(sets, copies, microscopy):
        for k in range(n):
            name, image, objects, ignore, _ = synthetic(k % 3)
            raw.append((f"{s}/{k}", image, objects, ignore, micro))
    return load_cache(build_cache(raw, tmp_path, CONFIG))


def test_each_set_is_drawn_equally_often_whatever_its_size(tmp_path):
    sampler = TrainingSampler(micro_items(tmp_path, copies=(1, 9)), CONFIG, np.random.default_rng(0))
    drawn = [sampler.draw().item.name.split("/")[0] for _ in range(400)]
    assert 0.4 < drawn.count("a") / len(drawn) < 0.6  # 1 image against 9


@pytest.mark.parametrize("share", [0.5, 0.8])
def test_micrographs_are_drawn_at_the_share_asked_for(tmp_path, share):
    items = micro_items(tmp_path, sets=("micro", "photo"), copies=(1, 1), microscopy=(True, False))
    sampler = TrainingSampler(items, CONFIG, np.random.default_rng(0), microscopy_share=share)
    drawn = [sampler.draw().item.microscopy for _ in range(500)]
    assert abs(np.mean(drawn) - share) < 0.07


def test_a_lone_first_click_on_a_micrograph_is_seen_through_a_search_window_then_zoomed(tmp_path):
    sampler = TrainingSampler(micro_items(tmp_path), CONFIG, np.random.default_rng(1))
    searched = 0
    for _ in range(60):
        ex = sampler.draw()
        if len(ex.clicks) > 1 or ex.window is None or ex.window.side >= 48:
            continue  # not a search view (48: the whole-image view of these 48² images)
        searched += 1
        w, (r, c) = ex.window, ex.clicks[0].pixel
        assert abs(w.y0 + w.side // 2 - r) <= 1 and abs(w.x0 + w.side // 2 - c) <= 1  # centred on the click
        if ex.extra.get("zoom"):  # as Predictor: a zoom on an answer at most half its window's size
            zoom = choose_window(ex.gt.shape, ex.clicks, ex.gt, CONFIG)
            sampler.zoom(ex, ex.gt)
            if zoom.side * 2 <= w.side:
                assert ex.previous is ex.gt and ex.window == zoom
            else:
                assert ex.previous is None and ex.window == w
    assert searched > 5


def test_some_search_windows_lie_inside_a_large_object(tmp_path):
    # The first-view search's smallest views can fall inside a large cell; the network must have seen
    # that (the object runs past every border), or it answers with a blob that ends the search early.
    sampler = TrainingSampler(micro_items(tmp_path), CONFIG, np.random.default_rng(2))
    gt = np.zeros((600, 600), bool)
    gt[200:400, 220:380] = True  # extent 200
    sides = [sampler._search_window(gt, Click(300, 300)).side for _ in range(300)]
    assert min(sides) >= CONFIG.min_window
    assert 0.15 < np.mean(np.array(sides) < 200) < 0.45  # inside the object about a quarter of the time


def test_jitter_keeps_a_valid_input_and_changes_the_image():
    rng = np.random.default_rng(0)
    x = np.random.default_rng(1).uniform(-1.8, 2.2, (7, 32, 32)).astype(np.float32)
    changed = 0
    for _ in range(20):
        y = x.copy()
        jitter_image(y, rng, microscopy=True)
        assert np.isfinite(y).all() and y.min() >= -1.8 - 1e-4 and y.max() <= 2.2 + 1e-4
        np.testing.assert_array_equal(y[3:], x[3:])  # guidance is never jittered
        changed += not np.allclose(y[:3], x[:3])
    assert changed >= 18


@pytest.mark.parametrize("flips", [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)])
def test_untransform_inverts_every_symmetry(flips):
    a = np.arange(2 * 5 * 5, dtype=np.float32).reshape(2, 5, 5)
    back = untransform(torch.from_numpy(np.ascontiguousarray(transform(a, flips))), flips)
    np.testing.assert_array_equal(back.numpy(), a)


def test_round_odds_reach_ten_rounds_with_early_rounds_most_likely():
    p = round_odds(10)
    assert len(p) == 11 and np.isclose(p.sum(), 1) and p[10] > 0 and np.all(np.diff(p) < 0)
    assert p[0] == P_NO_ROUND  # untouched examples: the first-click state is never crowded out
    assert round_odds(0).tolist() == [1.0]


def test_validation_reports_each_set(tmp_path):
    items = micro_items(tmp_path, copies=(1, 1))
    figures = make_validator(items, n_objects=1, max_clicks=2)(build_model(CONFIG), CONFIG)
    assert figures["val_objects"] == 2 and figures["val_objects/a"] == figures["val_objects/b"] == 1
    assert {"val_noc@85/a", "val_iou@1/b"} <= set(figures)



def test_one_cache_folder_keeps_each_superpixel_setting_apart(tmp_path):
    rng = np.random.default_rng(0)
    image = (rng.random((96, 96, 3)) * 255).astype(np.uint8)
    item = ("synth/noise", image, np.pad(np.ones((40, 40), np.int32), 28), None, True)
    coarse = dataclasses.replace(CONFIG, n_segments=20, max_superpixel_area=400)
    fine = dataclasses.replace(coarse, max_superpixel_area=50)
    paths_coarse = build_cache([item], tmp_path, coarse)
    paths_fine = build_cache([item], tmp_path, fine)
    assert paths_coarse != paths_fine  # a finer setting does not reuse the coarse structure
    n_coarse = load_cache(paths_coarse)[0].structure.n_superpixels
    n_fine = load_cache(paths_fine)[0].structure.n_superpixels
    assert n_fine > 3 * n_coarse
    assert build_cache([item], tmp_path, coarse) == paths_coarse
    # caches made before the name said the setting stay valid for the default one
    assert cache_file("synth/noise", dataclasses.replace(CONFIG, n_segments=1000, max_superpixel_area=400)) == \
        hashlib.sha1(b"synth/noise").hexdigest()[:16] + ".npz"


def test_a_superpixel_area_below_one_pixel_is_refused():
    with pytest.raises(ValueError, match="max_superpixel_area"):
        dataclasses.replace(CONFIG, max_superpixel_area=0)
