"""Bundled sample images (see README.md in this folder for their origin and license)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["nuclei_2d", "nuclei_3d"]

_HERE = Path(__file__).parent


def _read(name: str) -> np.ndarray:
    import tifffile

    return tifffile.imread(_HERE / name)


def nuclei_2d() -> tuple[np.ndarray, np.ndarray]:
    """512x512 uint16 fluorescence nuclei (DSB 2018, CC0) and their label image."""
    return _read("img2d.tif"), _read("mask2d.tif")


def nuclei_3d() -> tuple[np.ndarray, np.ndarray]:
    """31x61x57 uint16 synthetic 3D nuclei stack and its label image."""
    return _read("img3d.tif"), _read("mask3d.tif")
