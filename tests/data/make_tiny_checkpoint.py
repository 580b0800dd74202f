"""Train the tiny test checkpoint ``tiny_discs.safetensors`` (+ ``.json``) used by GUI and session tests.

A width-8 network trained for a few hundred steps on synthetic images of
bright discs: it learns to segment the clicked disc, so plumbing tests can
assert on real masks without the shipped weights. Run from the repo root:
``python tests/data/make_tiny_checkpoint.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from skimage.draw import disk

from napari_cag.model import ModelConfig
from napari_cag.training.cache import build_cache, load_cache
from napari_cag.training.loop import TrainSettings, train

OUT = Path(__file__).parent / "tiny_discs.safetensors"


def disc_image(rng: np.random.Generator, size: int = 96):
    """A noisy dark image with 2-4 bright discs and their label image."""
    image = rng.normal(40, 8, (size, size))
    labels = np.zeros((size, size), np.int32)
    for k in range(1, rng.integers(2, 5) + 1):
        r = rng.integers(8, 18)
        cy, cx = rng.integers(r, size - r, size=2)
        rr, cc = disk((cy, cx), r, shape=labels.shape)
        free = labels[rr, cc] == 0
        labels[rr[free], cc[free]] = k
        image[rr[free], cc[free]] += rng.normal(120, 10)
    return np.clip(image, 0, 255).astype(np.uint8), labels


def main() -> Path:
    rng = np.random.default_rng(0)
    config = ModelConfig(width=8, input_size=64, min_window=24, n_segments=150,
                         meta={"purpose": "tests only: segments bright discs", "script": "tests/data/make_tiny_checkpoint.py"})
    with tempfile.TemporaryDirectory() as tmp:
        images = [(f"discs/{i}", *disc_image(rng), None, True) for i in range(24)]
        items = load_cache(build_cache(images, Path(tmp) / "cache", config))
        weights = train(config, items, Path(tmp) / "run", TrainSettings(steps=300, batch_size=8, lr=3e-3, seed=0,
                                                                        save_every=300, validate_every=10**9))
        from napari_cag.model import load_model, save_model

        net, cfg = load_model(weights)
        return save_model(OUT, net, cfg)


if __name__ == "__main__":
    print(main())
