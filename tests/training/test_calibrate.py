"""Choosing the decision threshold (object_bias) on held-out images."""

import dataclasses

import numpy as np
import pytest
import torch
from scipy import ndimage as ndi

from napari_cag.model import ModelConfig
from napari_cag.predictor import object_probability
from napari_cag.training.cache import build_cache, load_cache
from napari_cag.training.calibrate import calibrate_bias

CONFIG = ModelConfig(width=8, input_size=64, min_window=20)


class Shrinking(torch.nn.Module):
    """A stand-in network whose object logit is the image's brightness minus a bar set too high:
    at 0.5 its masks are the bright cores of blurred discs, smaller than the discs."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        bright = x[:, 0]
        return torch.stack([torch.zeros_like(bright), 3.0 * (bright - bright.amax(dim=(1, 2), keepdim=True) * 0.8)], 1)


def test_object_bias_moves_the_threshold():
    logits = torch.tensor([[[[0.0]], [[0.5]]]])  # object logit 0.5 above background
    p0 = object_probability(logits, CONFIG)
    torch.testing.assert_close(p0, torch.softmax(logits, 1)[:, 1])
    p = object_probability(logits, dataclasses.replace(CONFIG, object_bias=-1.0))
    assert p0.item() > 0.5 > p.item()


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    rng = np.random.default_rng(0)
    images = []
    for k in range(2):
        labels = np.zeros((96, 96), np.int32)
        yy, xx = np.mgrid[:96, :96]
        for i, (r, c) in enumerate([(28, 30), (64, 66)], 1):
            labels[(yy - r - 2 * k) ** 2 + (xx - c) ** 2 <= 14 ** 2] = i
        image = ndi.gaussian_filter((labels > 0) * 200.0, 4) + 30 + rng.normal(0, 2, labels.shape)
        images.append((f"cells/{k}", np.clip(image, 0, 255).astype(np.uint8), labels, None, True))
    return load_cache(build_cache(images, tmp_path_factory.mktemp("cache"), CONFIG))


def test_calibration_widens_a_network_that_shrinks_its_objects(held_out):
    torch.set_num_threads(1)
    best, scores = calibrate_bias(Shrinking(), CONFIG, held_out, biases=(-1.0, 0.0, 1.5), score="iou", clicks=1,
                                  n_objects=4)
    assert set(scores) == {-1.0, 0.0, 1.5}
    assert scores[1.5]["mean"] > scores[0.0]["mean"] > scores[-1.0]["mean"]
    assert best == 1.5
    assert set(scores[0.0]) == {"mean", "cells"}


def test_calibration_refuses_nothing_to_choose(held_out):
    with pytest.raises(ValueError, match="no candidate"):
        calibrate_bias(Shrinking(), CONFIG, held_out, biases=())


def test_calibration_by_clicks_to_a_target_prefers_the_bias_that_reaches_it_sooner(held_out):
    torch.set_num_threads(1)
    best, scores = calibrate_bias(Shrinking(), CONFIG, held_out, biases=(-1.0, 0.0, 1.5), clicks=4, target=0.5,
                                  n_objects=4)
    # at 0.5 its masks stay under half the disc whatever the clicks, so the budget of 4 is the score
    assert scores[0.0]["mean"] == scores[-1.0]["mean"] == 4
    assert scores[1.5]["mean"] == 1 and best == 1.5


def test_calibration_names_its_scores():
    with pytest.raises(ValueError, match="score must be"):
        calibrate_bias(Shrinking(), CONFIG, [], score="dice")
    with pytest.raises(ValueError, match="target must be"):
        calibrate_bias(Shrinking(), CONFIG, [], target=85)

