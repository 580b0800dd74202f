"""Eq. 3 and 5 through lowest common ancestors, checked against brute force."""

from types import SimpleNamespace

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


def _colour_graph(image, n_segments):
    """What `build_hierarchies` builds its colour tree from, for one image."""
    import higra as hg

    from napari_cag.image import normalize_image
    from napari_cag.proposals import colour_graph, region_adjacency
    from napari_cag.structure import features_for_superpixels

    s = compute_structure(image, n_segments=n_segments, hierarchies=False)
    features = features_for_superpixels(normalize_image(image))
    rag = region_adjacency(s.superpixels, features, s.n_superpixels)
    graph, means, colour = colour_graph(rag, features, s.superpixels, s.areas)
    ward, altitudes = hg.binary_partition_tree_ward_linkage(graph, means, s.areas.astype(float))
    return graph, rag.edges, colour, ward, altitudes


def test_colour_tree_is_plain_average_linkage_below_the_limit():
    import higra as hg

    from napari_cag.proposals import _colour_tree

    graph, _, colour, ward, altitudes = _colour_graph(data.coffee()[::4, ::4], 60)
    tree = _colour_tree(graph, colour, ward, altitudes)
    np.testing.assert_array_equal(tree.parents(), hg.binary_partition_tree_average_linkage(graph, colour)[0].parents())


def test_colour_tree_of_a_large_graph_goes_on_from_ward_regions_by_average_linkage():
    """Above the limit: the Ward cut's regions are nodes, and the nodes above them are what average
    linkage on the superpixel edges gives when it starts from those regions (checked the slow way)."""
    import higra as hg

    from napari_cag.proposals import _colour_tree

    graph, edges, colour, ward, altitudes = _colour_graph(data.coffee()[::4, ::4], 120)
    n = graph.num_vertices()
    tree = _colour_tree(graph, colour, ward, altitudes, limit=n - 1, regions=n // 4)
    assert tree.num_leaves() == n
    parents = tree.parents()
    sets = {frozenset(np.flatnonzero(row)) for row in _leaf_sets(SimpleNamespace(parents=parents, n_leaves=n))}
    cut = hg.labelisation_horizontal_cut_from_num_regions(ward, altitudes, n // 4)
    clusters = [frozenset(np.flatnonzero(cut == label)) for label in np.unique(cut)]
    assert set(clusters) <= sets  # every region is a proposal (or a superpixel)
    assert len(parents) == n + sum(len(c) > 1 for c in clusters) + len(clusters) - 1
    expected = set()
    while len(clusters) > 1:  # average linkage by hand: mean colour over the edges between clusters
        of = {v: i for i, c in enumerate(clusters) for v in c}
        total, count = {}, {}
        for (a, b), d in zip(edges, colour):
            i, j = sorted((of[a], of[b]))
            if i != j:
                total[i, j] = total.get((i, j), 0.0) + d
                count[i, j] = count.get((i, j), 0) + 1
        i, j = min(total, key=lambda key: total[key] / count[key])
        merged = clusters[i] | clusters[j]
        expected.add(merged)
        clusters = [c for k, c in enumerate(clusters) if k not in (i, j)] + [merged]
    assert expected <= sets
