import pytest
import torch
import torch.nn.functional as F

from napari_cag.training.loop import TrainSettings, train
from napari_cag.training.loss import IGNORE, normalized_focal_loss, pixel_loss


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(3, 2, 8, 8, generator=g) * 3
    target = torch.randint(0, 2, (3, 8, 8), generator=g)
    target[:, :2] = IGNORE  # the same number of counted pixels in each image
    return logits, target


def test_without_focusing_the_normalized_focal_loss_is_cross_entropy():
    logits, target = _batch()
    ce = F.cross_entropy(logits, target, ignore_index=IGNORE)
    assert torch.allclose(normalized_focal_loss(logits, target, gamma=0), ce)
    assert torch.allclose(pixel_loss("ce", logits, target), ce)
    # normalized, it stays on cross-entropy's scale
    assert 0.3 * ce < pixel_loss("nfl", logits, target) < 3 * ce


def test_the_focal_loss_moves_the_gradient_to_the_pixels_the_network_gets_wrong():
    target = torch.zeros(1, 4, 4, dtype=torch.long)
    logits = torch.zeros(1, 2, 4, 4)
    logits[:, 0] = 4.0  # every pixel confidently background, the right answer...
    logits[0, 0, 0, 0] = -1.0  # ...but one, which leans to the object
    shares = {}
    for name in ("ce", "nfl"):
        x = logits.clone().requires_grad_()
        pixel_loss(name, x, target).backward()
        g = x.grad.abs().sum(dim=1)[0]
        shares[name] = float(g[0, 0] / g.sum())
    assert shares["nfl"] > 0.9 > shares["ce"]


def test_ignored_pixels_count_for_nothing():
    logits, target = _batch()
    x = logits.clone().requires_grad_()
    pixel_loss("nfl", x, target).backward()
    assert x.grad[:, :, :2].abs().max() == 0


def test_an_unknown_loss_is_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="loss must be one of"):
        train(None, [], tmp_path / "run", TrainSettings(loss="dice"))


def test_nfl_later_uses_cross_entropy_for_first_click_examples_and_the_focal_loss_for_the_rest():
    logits, target = _batch()
    corrected = torch.tensor([False, True, False])
    ce = normalized_focal_loss(logits, target, gamma=0, per_image=True)
    nfl = normalized_focal_loss(logits, target, per_image=True)
    expected = (ce[0] + nfl[1] + ce[2]) / 3
    assert torch.allclose(pixel_loss("nfl-later", logits, target, corrected), expected)
    assert not torch.allclose(ce, nfl)  # so the mix is no accident
    with pytest.raises(ValueError, match="error-click rounds"):
        pixel_loss("nfl-later", logits, target)


def test_touch_weights_scale_each_pixels_cross_entropy():
    logits, target = _batch()
    ones = torch.ones(target.shape)
    assert torch.allclose(pixel_loss("ce", logits, target, weight=ones), F.cross_entropy(logits, target,
                                                                                        ignore_index=IGNORE))
    x = logits.clone().requires_grad_()
    weight = ones.clone()
    weight[0, 5, 5] = 11.0  # a pixel on the line where two objects meet
    pixel_loss("ce", x, target, weight=weight).backward()
    plain = logits.clone().requires_grad_()
    pixel_loss("ce", plain, target).backward()
    assert torch.allclose(x.grad[0, :, 5, 5], 11 * plain.grad[0, :, 5, 5])
    assert torch.allclose(x.grad[1], plain.grad[1])
    with pytest.raises(ValueError, match="pixel weights"):
        pixel_loss("nfl", logits, target, weight=weight)


def test_touch_weight_goes_with_cross_entropy_only(tmp_path):
    with pytest.raises(ValueError, match="touch_weight"):
        train(None, [], tmp_path / "run", TrainSettings(loss="nfl", touch_weight=10.0))
