from pathlib import Path

import numpy as np
import pytest

from napari_cag.proposals import RegionHierarchy
from napari_cag.structure import ImageStructure

SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def quadrant_structure(hierarchy: bool = True) -> ImageStructure:
    """An 8x8 image cut into four 4x4 superpixels, with one hand-made tree.

    Superpixels: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right.
    Tree: {0,1} -> 4, {2,3} -> 5, {4,5} -> 6 (root).
    """
    labels = np.zeros((8, 8), dtype=np.int32)
    labels[:4, 4:] = 1
    labels[4:, :4] = 2
    labels[4:, 4:] = 3
    centroids = np.array([[1.5, 1.5], [1.5, 5.5], [5.5, 1.5], [5.5, 5.5]])
    areas = np.full(4, 16, dtype=np.int64)
    trees = []
    if hierarchy:
        parents = np.array([4, 4, 5, 5, 6, 6, 6], dtype=np.int32)
        node_areas = np.array([16, 16, 16, 16, 32, 32, 64], dtype=np.int64)
        trees = [RegionHierarchy("hand-made", parents, node_areas, 4)]
    return ImageStructure(labels, centroids, areas, trees)


@pytest.fixture
def quadrants() -> ImageStructure:
    return quadrant_structure()
