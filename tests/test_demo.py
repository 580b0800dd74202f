"""``napari-cag demo``: the picture shows what its legend says (tiny test model)."""

from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb

from napari_cag.demo import COLORS, run_demo

TINY = Path(__file__).resolve().parent / "data" / "tiny_discs.safetensors"


def _has(pixels: np.ndarray, name: str, tol: float = 0.1) -> bool:
    return bool((np.abs(pixels - np.array(to_rgb(name))).max(axis=2) < tol).any())


def test_each_meaning_has_its_own_colour():
    rgb = {k: to_rgb(v) for k, v in COLORS.items()}
    assert len(set(rgb.values())) == len(rgb)
    assert COLORS["truth"] == "yellow"


def test_demo_draws_outlines_in_the_legend_colour(tmp_path):
    import matplotlib.image as mpimg

    result = run_demo(tmp_path / "demo.png", n_objects=2, clicks=1, model=TINY, device="cpu")
    assert len(result["ious"]) == 2 and result["mean"] == np.mean(result["ious"])
    pixels = mpimg.imread(result["path"])[..., :3]
    assert _has(pixels, COLORS["truth"])  # the outlines are drawn in the colour the legend gives
    assert _has(pixels, COLORS["positive"])
