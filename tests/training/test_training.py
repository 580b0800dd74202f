import csv
import dataclasses
import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from skimage.draw import disk

from napari_cag.clicks import Click
from napari_cag.model import ModelConfig, load_model
from napari_cag.structure import compute_structure
from napari_cag.training.cache import build_cache, is_validation, load_cache
from napari_cag.training.loop import TrainSettings, train
from napari_cag.training.sampler import CLICK_BAND, TOUCH_BAND, TrainingSampler
from napari_cag.training.validation import make_validator

CONFIG = ModelConfig(width=8, input_size=64, min_window=20)
SETTINGS = TrainSettings(steps=3, batch_size=2, save_every=1, validate_every=1000)


def synthetic(k: int, ignore: bool = False, invert: bool = False):
    """``(name, image, objects, ignore, microscopy)``: a red disc (id 1) and a green rectangle (id 2)."""
    image = np.full((48, 48, 3), 40, np.uint8)
    objects = np.zeros((48, 48), np.int32)
    rr, cc = disk((14 + 3 * k, 16), 8)
    image[rr, cc], objects[rr, cc] = (200, 60, 60), 1
    image[28:42, 26:44], objects[28:42, 26:44] = (60, 200, 90), 2
    band = None
    if ignore:
        band = np.zeros((48, 48), bool)
        band[27:43, 25:45] = True
        band[28:42, 26:44] = False  # a one-pixel void ring around the rectangle
    return f"synth/{k}", 255 - image if invert else image, objects, band, False


@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    paths = build_cache([synthetic(0), synthetic(1, ignore=True), synthetic(2)],
                        tmp_path_factory.mktemp("cache"), CONFIG)
    return load_cache(paths)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny networks train faster on one thread, and far faster beside another busy process."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def read_log(run):
    with (run / "log.csv").open() as f:
        return list(csv.reader(f))


def saved_step(run) -> int:
    return int(torch.load(run / "state.pt", weights_only=True)["step"])


def test_cache_is_computed_once_and_reused(tmp_path):
    ticks = []
    first = build_cache([synthetic(0), synthetic(1)], tmp_path, CONFIG, progress=ticks.append)
    stamps = [p.stat().st_mtime_ns for p in first]
    # Same names, different pixels: the cached files are returned untouched.
    again = build_cache([synthetic(0, invert=True), synthetic(1, invert=True)], tmp_path, CONFIG, ticks.append)
    assert again == first and len(set(first)) == 2 and ticks == [1, 1, 1, 1]
    assert [p.stat().st_mtime_ns for p in again] == stamps
    assert load_cache(again)[0].image[0, 0, 0] == 0  # the original dark background, not the inverted one


def test_load_cache_round_trips_the_structure(tmp_path):
    name, image, objects, ignore, _ = synthetic(1, ignore=True)
    [item] = load_cache(build_cache([(name, image, objects, ignore, True)], tmp_path, CONFIG))
    assert item.name == name and item.microscopy is True
    assert item.image.dtype == np.uint8 and item.image.shape == (48, 48, 3)
    np.testing.assert_array_equal(item.objects, objects)
    np.testing.assert_array_equal(item.ignore, ignore)
    np.testing.assert_array_equal(item.object_ids, [1, 2])
    expected = compute_structure(image, n_segments=CONFIG.n_segments_for(image.shape[:2]))
    got = item.structure
    np.testing.assert_array_equal(got.superpixels, expected.superpixels)
    np.testing.assert_allclose(got.centroids, expected.centroids)
    np.testing.assert_array_equal(got.areas, expected.areas)
    assert len(got.hierarchies) == len(expected.hierarchies) > 0
    for g, e in zip(got.hierarchies, expected.hierarchies):
        assert (g.name, g.n_leaves) == (e.name, e.n_leaves)
        np.testing.assert_array_equal(g.parents, e.parents)
        np.testing.assert_array_equal(g.areas, e.areas)
    [plain] = load_cache(build_cache([synthetic(0)], tmp_path, CONFIG))
    assert plain.ignore is None and plain.microscopy is False


def test_validation_hold_out_is_deterministic():
    names = [f"set/{i}" for i in range(2000)]
    held = [n for n in names if is_validation(n)]
    assert held == [n for n in names if is_validation(n)]
    assert 40 < len(held) < 160  # about 5 %
    assert not any(is_validation(n, fraction=0.0) for n in names[:50])


def test_sampler_inputs_and_targets(cached):
    sampler = TrainingSampler(cached, CONFIG, np.random.default_rng(0))
    seen_ids = set()
    for _ in range(12):
        ex = sampler.draw()
        seen_ids.add(ex.object_id)
        np.testing.assert_array_equal(ex.gt, ex.item.objects == ex.object_id)
        assert ex.clicks[0].positive and ex.gt[ex.clicks[0].pixel]
        x, target = sampler.inputs(ex)
        assert x.shape == (3 + len(CONFIG.guidance), 64, 64) and x.dtype == np.float32
        assert target.shape == (64, 64) and set(np.unique(target)) <= {0, 1, 255}
        assert (target == 1).any()
    assert seen_ids == {1, 2}


def test_same_seed_same_examples(cached):
    a = TrainingSampler(cached, CONFIG, np.random.default_rng(3))
    b = TrainingSampler(cached, CONFIG, np.random.default_rng(3))
    for _ in range(3):
        ea, eb = a.draw(), b.draw()
        assert (ea.item.name, ea.object_id, ea.clicks, ea.flips) == (eb.item.name, eb.object_id, eb.clicks, eb.flips)
        np.testing.assert_array_equal(a.inputs(ea)[0], b.inputs(eb)[0])


def test_target_follows_the_ground_truth_and_flips_with_the_input(cached):
    sampler = TrainingSampler(cached, CONFIG, np.random.default_rng(1), augment=False)
    item = cached[1]  # the one with a void ring
    ex = dataclasses.replace(sampler.draw(), item=item, object_id=2, gt=item.objects == 2, window=None,
                             flips=(False, False), drop=None)
    x, target = sampler.inputs(ex)
    rows, cols = sampler.window_for(ex).grid(64)
    inside = np.ix_((rows >= 0) & (rows < 48), (cols >= 0) & (cols < 48))
    sub = np.ix_(rows[(rows >= 0) & (rows < 48)], cols[(cols >= 0) & (cols < 48)])
    expected = np.where(item.ignore[sub], 255, ex.gt[sub])
    np.testing.assert_array_equal(target[inside], expected)
    assert (target == 255).any()
    xh, th = sampler.inputs(dataclasses.replace(ex, flips=(True, False)))
    np.testing.assert_array_equal(xh, x[:, :, ::-1])
    np.testing.assert_array_equal(th, target[:, ::-1])
    xv, tv = sampler.inputs(dataclasses.replace(ex, flips=(False, True)))
    np.testing.assert_array_equal(xv, x[:, ::-1])
    np.testing.assert_array_equal(tv, target[::-1])
    xt, tt = sampler.inputs(dataclasses.replace(ex, flips=(True, False, True)))  # a 90-degree rotation
    np.testing.assert_array_equal(xt, np.rot90(x, 1, axes=(1, 2)))
    np.testing.assert_array_equal(tt, np.rot90(target, 1))


def test_train_writes_a_checkpoint_and_resumes(cached, tmp_path):
    run = tmp_path / "run"
    weights = train(CONFIG, cached, run, SETTINGS)
    assert weights == run / "last.safetensors" and weights.is_file() and (run / "state.pt").is_file()
    net, config = load_model(weights)
    assert config == CONFIG
    log = read_log(run)
    assert log[0] == ["step", "loss", "lr", "seconds"] and [r[0] for r in log[1:]] == ["3"]
    assert saved_step(run) == 3
    with pytest.raises(FileExistsError, match="resume=True"):
        train(CONFIG, cached, run, SETTINGS)
    steps = []
    train(CONFIG, cached, run, dataclasses.replace(SETTINGS, steps=5), resume=True,
          progress=lambda step, loss: steps.append(step))
    assert steps == [4, 5] and saved_step(run) == 5
    assert [r[0] for r in read_log(run)] == ["step", "3", "5"]


def test_training_is_deterministic(cached, tmp_path):
    weights = [load_file(train(CONFIG, cached, tmp_path / name, dataclasses.replace(SETTINGS, seed=seed)))
               for name, seed in [("a", 0), ("b", 0), ("c", 1)]]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])


def test_an_interrupted_run_resumes_where_it_stopped(cached, tmp_path):
    settings = dataclasses.replace(SETTINGS, steps=4)
    whole = load_file(train(CONFIG, cached, tmp_path / "whole", settings))

    class Stop(Exception):
        pass

    def stop_at_3(step, loss):
        if step == 3:
            raise Stop  # before step 3 is saved: the checkpoint is step 2's

    with pytest.raises(Stop):
        train(CONFIG, cached, tmp_path / "cut", settings, progress=stop_at_3)
    assert saved_step(tmp_path / "cut") == 2
    resumed = load_file(train(CONFIG, cached, tmp_path / "cut", settings, resume=True))
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)


def test_validator_reports_noc(cached):
    from napari_cag.model import build_model

    validate = make_validator(cached[:1], n_objects=2, max_clicks=3)
    torch.manual_seed(0)
    figures = validate(build_model(CONFIG), CONFIG)
    assert {"val_noc@85", "val_noc@90", "val_iou@1", "val_objects"} <= set(figures)
    assert figures["val_objects"] == 2
    assert 1 <= figures["val_noc@85"] <= figures["val_noc@90"] <= 3
    assert 0 <= figures["val_iou@1"] <= 1
    json.dumps(figures)  # logged into history.json


def test_staged_fcn8s_schedule_starts_each_stage_from_the_last(tmp_path):
    """32s -> 16s: the 16s stage starts from the 32s weights, and its new skip head starts at zero."""
    import torch

    from napari_cag.model import ModelConfig, load_model
    from napari_cag.training.cache import build_cache, load_cache
    from napari_cag.training.loop import TrainSettings, train

    rng = np.random.default_rng(0)
    image = rng.normal(40, 5, (64, 64)).astype(np.float32)
    labels = np.zeros((64, 64), np.int32)
    labels[20:40, 20:40] = 1
    image[labels > 0] += 100
    settings = TrainSettings(steps=1, batch_size=1, save_every=1, validate_every=10**9)
    torch.set_num_threads(1)
    c32 = ModelConfig(arch="fcn8s", stride=32, input_size=64, min_window=20)
    items = load_cache(build_cache([("s/0", image, labels, None, True)], tmp_path / "cache", c32))
    w32 = train(c32, items, tmp_path / "s32", settings)
    c16 = ModelConfig(arch="fcn8s", stride=16, input_size=64, min_window=20)
    net16_init = train(c16, items, tmp_path / "s16", TrainSettings(steps=1, batch_size=1, save_every=1,
                                                                    validate_every=10**9, lr=0.0), init=w32)
    a, _ = load_model(w32)
    b, cfg = load_model(net16_init)
    assert cfg.stride == 16
    assert torch.equal(a.block1[0].weight, b.block1[0].weight)  # lr 0: nothing moved from the 32s weights
    with pytest.raises(ValueError, match="not compact"):
        train(ModelConfig(input_size=64), items, tmp_path / "bad", settings, init=w32)


def touching_nuclei(folder):
    """A cached micrograph with two nuclei side by side (ids 1 and 2) and a lone one (id 3)."""
    image = np.full((48, 48, 3), 30, np.uint8)
    objects = np.zeros((48, 48), np.int32)
    objects[8:24, 6:18], objects[8:24, 18:30] = 1, 2
    objects[34:44, 34:44] = 3
    image[objects > 0] = 200
    (item,) = load_cache(build_cache([("touch/0", image, objects, None, True)], folder, CONFIG))
    return item, objects


def test_touching_band_lies_where_two_objects_meet(tmp_path):
    """The band of nucleus 1 is the few columns on either side of the line it shares with 2, follows
    the input's flips, and the lone nucleus has none."""
    item, objects = touching_nuclei(tmp_path)
    sampler = TrainingSampler([item], CONFIG, np.random.default_rng(0), augment=False)
    ex = dataclasses.replace(sampler.draw(), object_id=1, gt=objects == 1, window=None, flips=(False, False),
                             drop=None)
    ex.clicks = ex.clicks[:1] if ex.gt[ex.clicks[0].pixel] else [Click(15, 11, True)]
    band = sampler.touching(ex)
    assert band.shape == (64, 64) and band.any()
    rows, cols = sampler.window_for(ex).grid(64)
    r, c = np.nonzero(band)
    ids = objects[rows[r], cols[c]]
    assert set(ids) == {1, 2}
    assert np.abs(cols[c] + 0.5 - 18).max() <= 2 * TOUCH_BAND * 48 / 64 + 1  # beside the shared edge
    flipped = sampler.touching(dataclasses.replace(ex, flips=(True, False, True)))
    np.testing.assert_array_equal(flipped, np.rot90(band, 1))
    lone = dataclasses.replace(ex, object_id=3, gt=objects == 3, clicks=[Click(38, 38, True)])
    assert not sampler.touching(lone).any()


def test_click_band_is_a_disc_around_the_newest_click(tmp_path):
    """The later-click weight covers the input pixels within CLICK_BAND of the newest click, wherever the
    window puts it, follows the input's flips, and is empty when the clicks are hidden from the network."""
    item, objects = touching_nuclei(tmp_path)
    sampler = TrainingSampler([item], CONFIG, np.random.default_rng(0), augment=False)
    ex = dataclasses.replace(sampler.draw(), object_id=1, gt=objects == 1, window=None, flips=(False, False),
                             drop=None, clicks=[Click(15, 11, True), Click(20, 26, False)])
    near = sampler.near_newest_click(ex)
    window = sampler.window_for(ex)
    rows, cols = window.grid(64)
    r, c = np.nonzero(near)
    step = window.side / 64
    assert near.sum() > 0.8 * np.pi * CLICK_BAND**2
    assert np.hypot(rows[r] - 20, cols[c] - 26).max() <= CLICK_BAND * step + 1  # around the negative click ...
    assert np.hypot(rows[r] - 15, cols[c] - 11).min() > 5                      # ... not the first one
    flipped = sampler.near_newest_click(dataclasses.replace(ex, flips=(True, False, True)))
    np.testing.assert_array_equal(flipped, np.rot90(near, 1))
    assert not sampler.near_newest_click(dataclasses.replace(ex, drop="all")).any()
    spill = objects > 0  # a previous mask over both nuclei: the negative click in nucleus 2 marks all of 2
    marked = sampler.near_newest_click(dataclasses.replace(ex, previous=spill))
    assert (objects[np.ix_(rows, cols)] == 2)[~near].any()
    np.testing.assert_array_equal(marked, near | (objects[np.ix_(rows, cols)] == 2))


def test_training_with_click_weights_runs(tmp_path):
    item, _ = touching_nuclei(tmp_path / "cache")
    train(CONFIG, [item], tmp_path / "run", dataclasses.replace(SETTINGS, steps=2, click_weight=10.0))
    assert saved_step(tmp_path / "run") == 2


def test_training_with_touch_weights_runs_and_resumes(tmp_path):
    item, _ = touching_nuclei(tmp_path / "cache")
    settings = dataclasses.replace(SETTINGS, steps=2, touch_weight=10.0)
    train(CONFIG, [item], tmp_path / "run", settings)
    assert saved_step(tmp_path / "run") == 2
    train(CONFIG, [item], tmp_path / "run", dataclasses.replace(settings, steps=3), resume=True)
    assert saved_step(tmp_path / "run") == 3


def test_an_unrefuted_object_map_model_starts_from_a_plain_one(tmp_path):
    """--guidance sp+obj+iter+unrefuted may start from an sp+obj+iter model (same channels, fewer
    proposals in one), and keeps its own guidance; other channel sets are still refused."""
    import torch

    from napari_cag.model import GUIDANCE_PRESETS, ModelConfig, load_model
    from napari_cag.training.cache import build_cache, load_cache
    from napari_cag.training.loop import TrainSettings, train

    rng = np.random.default_rng(0)
    image = rng.normal(40, 5, (64, 64)).astype(np.float32)
    labels = np.zeros((64, 64), np.int32)
    labels[20:40, 20:40] = 1
    image[labels > 0] += 100
    torch.set_num_threads(1)
    plain = ModelConfig(input_size=64, min_window=20, width=8)
    items = load_cache(build_cache([("s/0", image, labels, None, True)], tmp_path / "cache", plain))
    settings = TrainSettings(steps=1, batch_size=1, save_every=1, validate_every=10**9, calibration_batches=0)
    start = train(plain, items, tmp_path / "plain", settings)
    unrefuted = ModelConfig(input_size=64, min_window=20, width=8, guidance=GUIDANCE_PRESETS["sp+obj+iter+unrefuted"])
    path = train(unrefuted, items, tmp_path / "unrefuted", TrainSettings(steps=1, batch_size=1, save_every=1,
                 validate_every=10**9, calibration_batches=0, lr=0.0), init=start)
    a, _ = load_model(start)
    b, cfg = load_model(path)
    assert "object_unrefuted" in cfg.guidance
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))  # lr 0: the start's weights
    with pytest.raises(ValueError, match="model on"):
        train(ModelConfig(input_size=64, min_window=20, width=8, guidance=GUIDANCE_PRESETS["sp+obj"]), items,
              tmp_path / "bad", settings, init=start)


def test_refined_rounds_click_on_the_mask_a_user_would_see(cached, tmp_path):
    """With refined rounds, the next error click answers the refined, click-corrected mask: a network that
    finds nothing still leaves the clicked object's superpixel in, as `Predictor` would show it."""
    from napari_cag.model import build_model
    from napari_cag.training.loop import _predictions

    net = build_model(CONFIG).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()  # probability 0.5 everywhere: no pixel above the threshold
    sampler = TrainingSampler(cached, CONFIG, np.random.default_rng(0), augment=False)
    ex = sampler.draw()
    with torch.no_grad():
        raw, = _predictions(net, sampler, [ex], torch.device("cpu"))
        refined, = _predictions(net, sampler, [ex], torch.device("cpu"), refined=True)
    click = ex.clicks[0]
    assert not raw[click.pixel]
    assert refined[click.pixel] and refined.sum() > 1
    assert (refined & ex.gt).sum() >= 0.5 * refined.sum()  # the superpixel of the object, not the background
    settings = dataclasses.replace(SETTINGS, steps=2, refined_rounds=True)
    train(CONFIG, cached, tmp_path / "run", settings)
    assert saved_step(tmp_path / "run") == 2


def test_perturbed_rounds_need_no_network(cached, tmp_path, monkeypatch):
    """With every corrected example's state made from a perturbed true mask, the network runs no round,
    yet the examples have clicks beyond the first ones and a previous mask, and the loop trains on them."""
    from napari_cag.training import loop

    sampler = TrainingSampler(cached, CONFIG, np.random.default_rng(0), augment=False)
    ex = sampler.draw()
    n = len(ex.clicks)
    sampler.perturbed_rounds(ex, 3)
    assert ex.previous is not None and ex.previous.shape == ex.gt.shape and len(ex.clicks) > n
    x, y = sampler.inputs(ex)
    assert x.shape[0] == 3 + len(CONFIG.guidance) and y.shape == x.shape[1:]

    calls = []
    real = loop._predictions
    monkeypatch.setattr(loop, "_predictions", lambda net, s, exs, *a, **k: calls.append(len(exs)) or real(net, s, exs, *a, **k))
    settings = dataclasses.replace(SETTINGS, steps=2, batch_size=4, perturbed_previous=1.0)
    train(CONFIG, cached, tmp_path / "perturbed", settings)
    assert saved_step(tmp_path / "perturbed") == 2 and not calls
    train(CONFIG, cached, tmp_path / "plain", dataclasses.replace(settings, perturbed_previous=0.0))
    assert calls  # the network's own rounds
