"""Widening a trained CompactFCN: the wider network starts out computing the same function."""

import dataclasses

import pytest
import torch

from napari_cag.model import ModelConfig, build_model, load_model, save_model
from napari_cag.model.networks import CompactFCN
from napari_cag.model.widen import widen_into


def _trained_looking(width: int, in_channels: int = 7) -> CompactFCN:
    """A narrow network with non-trivial weights and batch-norm statistics everywhere."""
    torch.manual_seed(0)
    net = CompactFCN(in_channels, width=width)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return net.eval()


def test_widened_network_computes_the_same_function_and_its_new_channels_learn():
    narrow = _trained_looking(8)
    wide = CompactFCN(7, width=12)
    widen_into(wide, narrow)
    x = torch.randn(2, 7, 48, 48)
    with torch.no_grad():
        torch.testing.assert_close(wide.eval()(x), narrow(x), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(wide.train()(x), narrow.train()(x), atol=1e-4, rtol=1e-4)
    opt = torch.optim.SGD(wide.parameters(), lr=0.1)
    for _ in range(2):  # the zero fan-out weights move in step 1, so the new channels learn from step 2
        opt.zero_grad()
        wide(x)[:, 1].mean().backward()
        opt.step()
    new_rows = {"stem": wide.stem.weight.grad[8:], "stage2 conv": wide.stage2.a[0].weight.grad[16:],
                "stage4 norm": wide.stage4.b[1].weight.grad[32:], "head": wide.head[0][0].weight.grad[8:]}
    silent = [name for name, g in new_rows.items() if not g.abs().sum() > 0]
    assert not silent, f"new channels that get no gradient: {silent}"
    with torch.no_grad():
        assert not torch.allclose(wide(x), narrow(x), atol=1e-4)  # and the new capacity changes the output


def test_widening_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="narrow"):
        widen_into(CompactFCN(7, width=8), CompactFCN(7, width=12))
    with pytest.raises(ValueError, match="input channels"):
        widen_into(CompactFCN(8, width=12), CompactFCN(7, width=8))


def test_training_from_a_narrower_init_widens_it(tmp_path):
    import numpy as np

    from napari_cag.training.cache import build_cache, load_cache
    from napari_cag.training.loop import TrainSettings, train

    narrow_cfg = ModelConfig(width=8, input_size=64, min_window=20)
    narrow = build_model(narrow_cfg)
    with torch.no_grad():
        for p in narrow.parameters():
            p.add_(0.05 * torch.randn_like(p))
    init = save_model(tmp_path / "narrow.safetensors", narrow, narrow_cfg)
    wide_cfg = dataclasses.replace(narrow_cfg, width=12)
    image = np.full((48, 48, 3), 40, np.uint8)
    labels = np.zeros((48, 48), np.int32)
    image[10:30, 12:32], labels[10:30, 12:32] = 200, 1
    items = load_cache(build_cache([("s/0", image, labels, None, True)], tmp_path / "cache", wide_cfg))
    path = train(wide_cfg, items, tmp_path / "wide", TrainSettings(steps=1, batch_size=1, save_every=1,
                                                                    validate_every=10**9, lr=0.0), init=init)
    wide, cfg = load_model(path)
    assert cfg.width == 12
    x = torch.randn(1, narrow_cfg.in_channels, 64, 64)
    with torch.no_grad():
        # lr 0: only the batch-norm statistics moved in the one step, so compare in training mode
        torch.testing.assert_close(wide.train()(x), narrow.train()(x), atol=1e-4, rtol=1e-4)
