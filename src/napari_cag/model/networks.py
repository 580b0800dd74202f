"""Segmentation networks that take an image stacked with guidance maps (paper Sec. 4.2).

Two architectures share one interface, ``net(x) -> logits``, ``x`` of shape
``(B, 3 + G, S, S)`` and logits ``(B, 2, S, S)`` (background, object):

- `CompactFCN`: a small encoder-decoder built for interactive speed on a laptop
  CPU; the shipped default.
- `FCN8s`: the paper's FCN-8s (VGG-16 layout, stride-32/16/8 skip heads) for
  users with a GPU, trainable with the staged 32s -> 16s -> 8s schedule.

In both, the first convolution's weights for the guidance channels start at
zero (Sec. 4.2), so a network first learns from the image and then from the
guidance, and weights trained on images alone can be extended.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["CompactFCN", "FCN8s", "zero_init_guidance"]


def zero_init_guidance(conv: nn.Conv2d, image_channels: int = 3) -> None:
    """Zero the first convolution's weights on the extra (guidance) input channels."""
    with torch.no_grad():
        conv.weight[:, image_channels:] = 0.0


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class _Block(nn.Module):
    """Residual block: (strided) 3x3 conv, 3x3 conv, shortcut."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.a = _conv(cin, cout, stride)
        self.b = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return F.relu(self.b(self.a(x)) + self.skip(x))


class CompactFCN(nn.Module):
    """Small encoder-decoder for interactive segmentation on a CPU.

    A strided stem and four residual stages (strides 2-16) with a top-down
    decoder that merges skips at strides 8, 4 and 2, then a light head at full
    resolution that sees the input again, for sharp boundaries.

    Parameters
    ----------
    in_channels : int
        ``3 + G``: image (3) plus G guidance channels.
    width : int
        Channels of the first stage; later stages use 2x, 3x, 4x.
    """

    def __init__(self, in_channels: int, width: int = 24):
        super().__init__()
        w = width
        self.stem = nn.Conv2d(in_channels, w, 3, 2, 1, bias=False)
        self.stem_bn = nn.Sequential(nn.BatchNorm2d(w), nn.ReLU(inplace=True))
        self.stage1 = _Block(w, w, 1)            # /2
        self.stage2 = _Block(w, 2 * w, 2)        # /4
        self.stage3 = _Block(2 * w, 3 * w, 2)    # /8
        self.stage4 = _Block(3 * w, 4 * w, 2)    # /16
        self.context = nn.Sequential(nn.Conv2d(4 * w, 4 * w, 3, 1, 2, dilation=2, bias=False),
                                     nn.BatchNorm2d(4 * w), nn.ReLU(inplace=True))
        self.lat3 = nn.Conv2d(3 * w, 2 * w, 1)
        self.lat2 = nn.Conv2d(2 * w, 2 * w, 1)
        self.lat1 = nn.Conv2d(w, 2 * w, 1)
        self.top = nn.Conv2d(4 * w, 2 * w, 1)
        self.fuse3, self.fuse2, self.fuse1 = _conv(2 * w, 2 * w), _conv(2 * w, 2 * w), _conv(2 * w, w)
        self.head = nn.Sequential(_conv(w + in_channels, w), nn.Conv2d(w, 2, 1))
        zero_init_guidance(self.stem)
        zero_init_guidance(self.head[0][0], image_channels=w + 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = self.stage1(self.stem_bn(self.stem(x)))
        s2 = self.stage2(s1)
        s3 = self.stage3(s2)
        s4 = self.context(self.stage4(s3))

        def up(t, ref):
            return F.interpolate(t, size=ref.shape[-2:], mode="bilinear", align_corners=False)

        d = self.fuse3(up(self.top(s4), s3) + self.lat3(s3))
        d = self.fuse2(up(d, s2) + self.lat2(s2))
        d = self.fuse1(up(d, s1) + self.lat1(s1))
        return self.head(torch.cat([up(d, x), x], dim=1))


def _vgg_block(cin: int, cout: int, n: int) -> nn.Sequential:
    layers = []
    for i in range(n):
        layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers, nn.MaxPool2d(2, 2, ceil_mode=True))


class FCN8s(nn.Module):
    """FCN-8s (Long et al.) on a VGG-16 layout, as the paper uses (Sec. 4.2).

    Parameters
    ----------
    in_channels : int
        ``3 + G``.
    stride : {32, 16, 8}
        Which skip heads are active: the staged schedule trains 32s, then
        16s, then 8s, each stage starting from the previous one's weights
        (the skip heads start at zero, so a new stage starts where the last
        ended).
    """

    def __init__(self, in_channels: int, stride: int = 8):
        super().__init__()
        if stride not in (8, 16, 32):
            raise ValueError(f"stride must be 32, 16 or 8, got {stride}")
        self.stride = stride
        self.block1 = _vgg_block(in_channels, 64, 2)
        self.block2 = _vgg_block(64, 128, 2)
        self.block3 = _vgg_block(128, 256, 3)
        self.block4 = _vgg_block(256, 512, 3)
        self.block5 = _vgg_block(512, 512, 3)
        self.fc = nn.Sequential(
            nn.Conv2d(512, 4096, 7, padding=3), nn.ReLU(inplace=True), nn.Dropout2d(0.5),
            nn.Conv2d(4096, 4096, 1), nn.ReLU(inplace=True), nn.Dropout2d(0.5),
        )
        self.score_fr = nn.Conv2d(4096, 2, 1)
        self.score_pool4 = nn.Conv2d(512, 2, 1)
        self.score_pool3 = nn.Conv2d(256, 2, 1)
        for head in (self.score_pool4, self.score_pool3):
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
        zero_init_guidance(self.block1[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p3 = self.block3(self.block2(self.block1(x)))
        p4 = self.block4(p3)
        score = self.score_fr(self.fc(self.block5(p4)))
        if self.stride <= 16:
            score = F.interpolate(score, size=p4.shape[-2:], mode="bilinear", align_corners=False) + self.score_pool4(p4)
        if self.stride <= 8:
            score = F.interpolate(score, size=p3.shape[-2:], mode="bilinear", align_corners=False) + self.score_pool3(p3)
        return F.interpolate(score, size=x.shape[-2:], mode="bilinear", align_corners=False)
