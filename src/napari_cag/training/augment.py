"""Photometric augmentation of a network input's image channels, and the dihedral transforms.

Geometric scale jitter needs no resampling of the image here: the network
only ever sees a window resampled to its input size, so an object 0.5-2x
larger is a window 0.5-2x smaller. The sampler draws window sides over a
wide range of object extents (`TrainingSampler`); this module adds what a
window cannot: lower acquisition resolution, and the intensity ranges of
other microscopes and cameras.

Microscopy also gets what does not occur in photographs: inverted contrast
(fluorescence against brightfield), permuted channels (stains and channel
orders), and grey renderings of colour images.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from ..predictor import IMAGE_MEAN, IMAGE_STD

__all__ = ["jitter_image", "transform", "untransform"]

P_LOW_RES = 0.25      # view at up to half the resolution, then back up
P_INVERT = 0.3        # microscopy: dark objects on a bright field and the reverse
P_PERMUTE = 0.5       # microscopy colour images: channel order
P_GREY = 0.15         # microscopy colour images: rendered grey
P_NOISE = 0.3


def jitter_image(x: np.ndarray, rng: np.random.Generator, microscopy: bool) -> None:
    """Jitter the standardized image channels ``x[:3]`` of a network input in place.

    Contrast stretch (the 16-bit range of a camera mapped differently to the
    network's), gamma, brightness, Gaussian noise and resolution for every
    image; inversion, channel order and grey for microscopy.
    """
    img = x[:3] * IMAGE_STD + IMAGE_MEAN
    grey = bool(np.allclose(img[0], img[1]) and np.allclose(img[1], img[2]))
    if microscopy:
        if not grey and rng.random() < P_PERMUTE:
            img = img[rng.permutation(3)]
        if not grey and rng.random() < P_GREY:
            img = np.repeat(img.mean(axis=0, keepdims=True), 3, axis=0)
        if rng.random() < P_INVERT:
            img = 1.0 - img
    strength = 1.0 if microscopy else 0.5
    lo = rng.uniform(-0.08, 0.12) * strength
    hi = 1.0 + rng.uniform(-0.25, 0.15) * strength
    img = np.clip((img - lo) / (hi - lo), 0.0, 1.0)
    img = img ** np.exp(rng.uniform(-0.5, 0.5) * strength)
    if rng.random() < P_NOISE:
        img = img + rng.normal(0.0, rng.uniform(0.005, 0.04), img.shape)
    if rng.random() < P_LOW_RES:
        size = img.shape[-1]
        small = max(8, int(size / rng.uniform(1.2, 2.0)))
        t = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32))[None]
        t = F.interpolate(F.interpolate(t, size=(small, small), mode="area"), size=(size, size),
                          mode="bilinear", align_corners=False)
        img = t[0].numpy()
    x[:3] = (np.clip(img, 0.0, 1.0) - IMAGE_MEAN) / IMAGE_STD


def transform(a: np.ndarray, flips: tuple[bool, ...]) -> np.ndarray:
    """Apply ``(flip x, flip y[, transpose])`` to the last two axes (all 8 symmetries of a square)."""
    if flips[0]:
        a = a[..., :, ::-1]
    if flips[1]:
        a = a[..., ::-1, :]
    if len(flips) > 2 and flips[2]:
        a = np.swapaxes(a, -1, -2)
    return a


def untransform(t: torch.Tensor, flips: tuple[bool, ...]) -> torch.Tensor:
    """Inverse of `transform` for a network output ``(..., S, S)``."""
    if len(flips) > 2 and flips[2]:
        t = t.transpose(-1, -2)
    if flips[1]:
        t = t.flip(-2)
    if flips[0]:
        t = t.flip(-1)
    return t
