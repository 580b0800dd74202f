"""Eq. 3 and 5 through lowest common ancestors, checked against brute force."""

import numpy as np
import pytest
from skimage import data

from napari_cag import Click, compute_structure
from napari_cag.guidance import object_map


def _leaf_sets(hierarchy):
    """Membership matrix (nodes x leaves) built the slow, obvious way."""
    n_nodes = len(hierarchy.parents)
    member = np.zeros((n_nodes, hierarchy.n_leaves), dtype=bool)
    member[np.arange(hierarchy.n_leaves), np.arange(hierarchy.n_leaves)] = True
    for node in range(n_nodes - 1):  # children before parents in higra's layout
        member[hierarchy.parents[node]] |= member[node]
    return member


def _brute_force_object_map(structure, clicks, min_area=0.0, max_area=np.inf):
    counts = np.zeros(structure.n_superpixels)
    for h in structure.hierarchies:
        member = _leaf_sets(h)[:-1]  # no root
        keep = (h.areas[:-1] >= min_area) & (h.areas[:-1] <= max_area)
        for c in clicks:
            if c.positive:
                s = structure.superpixels[c.pixel]
                for L in np.nonzero(member[:, s] & keep)[0]:
                    counts += member[L]
    if counts.max() > 0:
        counts *= 255 / counts.max()
    return counts[structure.superpixels].astype(np.float32)


@pytest.fixture(scope="module")
def coffee():
    return compute_structure(data.coffee()[::4, ::4], n_segments=60)


def test_node_areas_are_leaf_sums(coffee):
    for h in coffee.hierarchies:
        np.testing.assert_array_equal(h.areas, _leaf_sets(h) @ coffee.areas)


def test_object_map_matches_brute_force(coffee):
    clicks = [Click(40, 60), Click(70, 100), Click(10, 10, positive=False)]
    np.testing.assert_allclose(object_map(coffee, clicks), _brute_force_object_map(coffee, clicks), rtol=1e-6)


def test_scale_aware_object_map_matches_brute_force(coffee):
    clicks = [Click(40, 60), Click(10, 10, positive=False)]
    scale, f1, f2 = 30.0, 0.5, 2.0
    expected = _brute_force_object_map(coffee, clicks, f1 * scale**2, f2 * scale**2)
    got = object_map(coffee, clicks, scale=scale, f1=f1, f2=f2)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert not np.array_equal(got, object_map(coffee, clicks))  # the filter did remove proposals
