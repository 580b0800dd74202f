"""Propagation through a stack: order, stopping, validation (scripted network), and quality (shipped weights)."""

import numpy as np
import pytest
import torch

from napari_cag import Session
from napari_cag.model import GUIDANCE_PRESETS, ModelConfig
from napari_cag.predictor import DEFAULT_WEIGHTS, Predictor
from napari_cag.propagate import interior_click, propagate, propagate_object, slice_clicks

SCRIPTED = ModelConfig(width=8, input_size=64, min_window=20, guidance=GUIDANCE_PRESETS["euclidean"], iterative=False,
                       auto_zoom=False)
THRESHOLD = 0.24  # shipped model, six bundled 3D nuclei: measured 0.279 with the refined pipeline (2026-12-01); all 51: RESULTS.md


class BrightNearClicks(torch.nn.Module):
    """Stand-in network: "object" = bright pixels near a positive click and away from negative ones.

    Channels: 3 standardized image channels, then the Euclidean positive and
    negative distances divided by the window side (1 = no click).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        obj = (x[:, 0] > 0) & (x[:, 3] < 0.4) & ~(x[:, 4] < 0.05)
        return torch.stack([torch.zeros_like(x[:, 0]), torch.where(obj, 5.0, -5.0)], dim=1)


@pytest.fixture(scope="module")
def predictor():
    return Predictor((BrightNearClicks(), SCRIPTED), device="cpu")


@pytest.fixture(scope="module")
def ball():
    """A (15, 64, 64) stack: a bright rod on slices 3-11 (radius 12, 11 on its end slices), a second object
    on slices 0-2, apart."""
    z, y, x = np.indices((15, 64, 64))
    radius = np.select([abs(z - 7) <= 3, abs(z - 7) == 4], [12.0, 11.0], -1.0)
    inside = (y - 30) ** 2 + (x - 30) ** 2 <= radius ** 2
    other = (z * 4.0) ** 2 + (y - 52) ** 2 + (x - 52) ** 2 <= 9 ** 2
    return np.where(inside | other, 0.9, 0.1).astype(np.float32), inside


def test_visits_up_then_down_and_stops_where_the_object_ends(ball, predictor):
    stack, inside = ball
    visited = [z for z, _ in propagate(stack, 7, inside[7], predictor=predictor)]
    assert visited == [8, 9, 10, 11, 6, 5, 4, 3]


def test_propagated_object_matches_the_ball(ball, predictor):
    stack, inside = ball
    found = propagate_object(stack, 7, inside[7], predictor=predictor)
    assert found.shape == stack.shape and found.dtype == bool
    assert np.array_equal(found[7], inside[7])  # the committed slice is kept as it is
    assert (found & inside).sum() / (found | inside).sum() > 0.85
    assert not found[:3].any() and not found[12:].any()  # neither the second ball nor empty slices


def test_max_slices_limits_each_direction(ball, predictor):
    stack, inside = ball
    assert [z for z, _ in propagate(stack, 7, inside[7], predictor=predictor, max_slices=2)] == [8, 9, 6, 5]
    assert list(propagate(stack, 7, inside[7], predictor=predictor, max_slices=0)) == []


def test_stops_at_the_stack_ends_and_low_overlap_stops_nothing(ball, predictor):
    stack, inside = ball
    visited = [z for z, _ in propagate(stack, 0, inside[7], predictor=predictor, min_overlap=0.0, max_slices=20)]
    assert visited[0] == 1 and max(visited) <= 14 and min(visited) >= 1  # nothing below slice 0
    full = stack.copy()
    full[:] = stack[7]  # the same slice everywhere: the object goes on to both ends
    assert sorted(z for z, _ in propagate(full, 7, inside[7], predictor=predictor)) == [*range(7), *range(8, 15)]


def test_multichannel_stack_and_explicit_limits(ball, predictor):
    stack, inside = ball
    rgb = np.repeat(stack[..., None], 3, axis=3) * 1000
    visited = [z for z, _ in propagate(rgb, 7, inside[7], predictor=predictor, contrast_limits=(100, 900))]
    assert visited == [8, 9, 10, 11, 6, 5, 4, 3]


def test_slice_clicks_are_one_positive_inside_and_negatives_around():
    square = np.zeros((40, 40), bool)
    square[15:25, 15:25] = True
    clicks = slice_clicks(square)
    assert [(c.y, c.x, c.positive) for c in clicks] == [
        (19, 19, True), (19, 11, False), (11, 20, False), (19, 28, False), (28, 20, False)]
    assert slice_clicks(np.ones((5, 5), bool))[1:] == []  # no room around: the positive click only
    edge = np.zeros((10, 10), bool)
    edge[:, :3] = True
    assert interior_click(edge).x == 1  # the image border counts as the object's boundary


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(stack=np.zeros((4, 4))), ValueError, r"stack must be \(Z, H, W\)"),
    (dict(stack=np.zeros((2, 4, 4, 20))), ValueError, "20 channels"),
    (dict(stack=np.zeros((2, 4, 4), complex)), TypeError, "real numeric dtype"),
    (dict(index=5), ValueError, "index 5 is outside the stack's 3 slices"),
    (dict(index=True), TypeError, "index must be an integer"),
    (dict(mask=np.ones((5, 4), bool)), ValueError, r"mask must have shape \(4, 4\)"),
    (dict(mask=np.zeros((4, 4), bool)), ValueError, "mask is empty"),
    (dict(min_overlap=1.5), ValueError, r"min_overlap must be in \[0, 1\]"),
    (dict(max_slices=-1), ValueError, "max_slices must be >= 0"),
    (dict(max_slices=2.5), TypeError, "max_slices must be an integer"),
    (dict(contrast_limits=(5, 5)), ValueError, "low < high"),
    (dict(model="x.safetensors", predictor="p"), ValueError, "model or predictor, not both"),
    (dict(predictor="p"), TypeError, "must be a napari_cag Predictor"),
])
def test_bad_input_raises_when_called_not_when_iterated(kwargs, error, match):
    args = dict(stack=np.ones((3, 4, 4)), index=1, mask=np.eye(4, dtype=bool)) | kwargs
    with pytest.raises(error, match=match):
        propagate(args.pop("stack"), args.pop("index"), args.pop("mask"), **args)  # no next(): raised at once


def test_shipped_model_propagates_bundled_nuclei_from_one_click():
    """3D IoU from one click on each object's middle slice; all 51 objects: benchmarks/bench_propagate.py."""
    from napari_cag.data import nuclei_3d

    stack, truth = nuclei_3d()
    # cag_default, the first model: on these synthetic blobs the microscopy model's first click is
    # under-confident (5 px of a 143-px nucleus on slice 13) and the natural model does worse too
    # (mean 0.21 on these 6, below the bar; docs/RESULTS.md, "Domain models")
    predictor = Predictor(DEFAULT_WEIGHTS, device="cpu")
    limits = tuple(np.percentile(stack, [1.0, 99.8]))
    ious = []
    for object_id in np.unique(truth[truth > 0])[::10]:  # 6 of the 51, spread over the stack
        obj = truth == object_id
        zs = np.flatnonzero(obj.any(axis=(1, 2)))
        middle = int(zs[len(zs) // 2])
        click = interior_click(obj[middle])
        mask = Session(stack[middle], model=predictor, contrast_limits=limits).add_click(click.y, click.x)
        found = propagate_object(stack, middle, mask, predictor=predictor, contrast_limits=limits)
        ious.append((found & obj).sum() / (found | obj).sum())
    assert np.mean(ious) > THRESHOLD, ious



def test_a_session_propagates_its_own_mask():
    from napari_cag import Session
    from napari_cag.data import nuclei_3d
    from napari_cag.propagate import propagate_object

    stack, _ = nuclei_3d()
    session = Session(stack[13])
    with pytest.raises(ValueError, match="no mask"):
        session.propagate(stack, 13)
    mask = session.add_click(41, 36)
    with pytest.raises(ValueError, match="shape"):
        session.propagate(stack[:, :30], 13)
    np.testing.assert_array_equal(session.propagate(stack, 13, max_slices=3),
                                  propagate_object(stack, 13, mask, predictor=session.predictor, max_slices=3))
