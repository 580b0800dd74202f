"""Sample data offered under File > Open Sample > napari-cag."""

from __future__ import annotations


def nuclei_2d():
    """Fluorescence nuclei (DSB 2018, CC0), 512x512 uint16, with their ground truth labels."""
    from ..data import nuclei_2d as load

    image, labels = load()
    return [(image, {"name": "nuclei"}, "image"), (labels, {"name": "nuclei ground truth", "visible": False}, "labels")]


def nuclei_3d():
    """Synthetic 3D nuclei stack, 31x61x57 uint16, with its ground truth labels."""
    from ..data import nuclei_3d as load

    image, labels = load()
    return [(image, {"name": "nuclei 3D"}, "image"), (labels, {"name": "nuclei 3D ground truth", "visible": False}, "labels")]


def astronaut():
    """scikit-image's astronaut (RGB, 512x512)."""
    from skimage import data

    return [(data.astronaut(), {"name": "astronaut", "rgb": True}, "image")]
