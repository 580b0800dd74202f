"""Object proposals from region hierarchies over superpixels (paper Sec. 3.2).

The paper takes its proposals from MCG, which has no Python implementation.
Here they come, in MCG's and selective search's spirit, from several
hierarchies over the superpixels' region adjacency graph, each built on a
different cue (boundary contrast, colour, colour with size, area-driven
watershed). Every non-root node of every tree is one proposal: a union of
superpixels. A pixel in superpixel ``q`` lies in a proposal ``L`` containing
the clicked superpixel ``s`` exactly when ``L`` is a common ancestor of ``s``
and ``q``, so Eq. 3 needs only the lowest common ancestor of ``(s, q)`` and
the number of proposals on its path to the root: work proportional to the
number of superpixels, never to proposals x pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

import higra as hg
import numpy as np

__all__ = ["RegionAdjacency", "RegionHierarchy", "region_adjacency", "build_hierarchies"]


class RegionAdjacency(NamedTuple):
    """Region adjacency graph of a superpixel image.

    Attributes
    ----------
    edges : (E, 2) int64 ndarray
        Pairs of adjacent superpixels, ``edges[:, 0] < edges[:, 1]``.
    contrast : (E,) float64 ndarray
        Mean feature distance across the shared boundary (4-neighbour pixel pairs).
    length : (E,) float64 ndarray
        Number of 4-neighbour pixel pairs along the shared boundary.
    """

    edges: np.ndarray
    contrast: np.ndarray
    length: np.ndarray


def region_adjacency(labels: np.ndarray, features: np.ndarray, n: int) -> RegionAdjacency:
    """Build the region adjacency graph of `labels` with boundary statistics.

    Parameters
    ----------
    labels : (H, W) int ndarray
        Superpixel ids ``0..n-1``.
    features : (H, W, C) float ndarray
        Pixel features (L*a*b* or scaled intensities).
    n : int
        Number of superpixels.

    Returns
    -------
    RegionAdjacency
    """
    src, dst, dist = [], [], []
    for a, b, fa, fb in (
        (labels[:, :-1], labels[:, 1:], features[:, :-1], features[:, 1:]),
        (labels[:-1], labels[1:], features[:-1], features[1:]),
    ):
        cut = a != b  # only boundary pixel pairs: far fewer than all pixels
        src.append(a[cut])
        dst.append(b[cut])
        dist.append(np.linalg.norm(fa[cut] - fb[cut], axis=-1))
    src, dst, dist = np.concatenate(src), np.concatenate(dst), np.concatenate(dist)
    key = np.minimum(src, dst).astype(np.int64) * n + np.maximum(src, dst)
    keys, inverse = np.unique(key, return_inverse=True)
    length = np.bincount(inverse, minlength=len(keys)).astype(np.float64)
    contrast = np.bincount(inverse, dist, minlength=len(keys)) / np.maximum(length, 1)
    return RegionAdjacency(np.stack([keys // n, keys % n], axis=1), contrast, length)


@dataclass(eq=False)
class RegionHierarchy:
    """One tree over the superpixels; its non-root nodes are object proposals.

    Attributes
    ----------
    name : str
        The cue the tree was built on.
    parents : (N,) int32 ndarray
        Parent of every node, higra's layout: leaves ``0..S-1`` are the
        superpixels, a parent's index is larger than its children's, the root
        is last and its own parent.
    areas : (N,) int64 ndarray
        Pixel count of every node.
    n_leaves : int
        Number of leaves ``S`` (superpixels).
    """

    name: str
    parents: np.ndarray
    areas: np.ndarray
    n_leaves: int
    _tree: object = field(default=None, init=False, repr=False)
    _lca: object = field(default=None, init=False, repr=False)

    @property
    def n_proposals(self) -> int:
        """Number of proposals (all nodes but the root)."""
        return len(self.parents) - 1

    @property
    def nbytes(self) -> int:
        """Memory of the stored arrays, in bytes."""
        return self.parents.nbytes + self.areas.nbytes

    def _index(self):
        if self._tree is None:  # built lazily: a structure loaded from disk holds arrays only
            self._tree = hg.Tree(self.parents)
            self._lca = self._tree.lowest_common_ancestor_preprocess()
        return self._tree, self._lca

    def shared_proposals(self, s: int, min_area: float = 0.0, max_area: float = np.inf,
                         refuted: Sequence[int] = ()) -> np.ndarray:
        """Count, for every superpixel, the proposals it shares with superpixel `s`.

        Only proposals whose pixel count lies in ``[min_area, max_area]`` count
        (Eq. 5's size filter; the defaults give Eq. 3's plain count).

        Parameters
        ----------
        s : int
            The clicked superpixel.
        min_area, max_area : float
            Size range of the proposals that count, in pixels.
        refuted : sequence of int
            Superpixels known to lie outside the object (negative clicks): a
            proposal holding one of them and ``s`` does not count.

        Returns
        -------
        counts : (S,) int64 ndarray
            ``counts[q]`` = number of proposals containing both ``s`` and ``q``.
        """
        tree, lca = self._index()
        path = tree.ancestors(int(s))  # s, its parent, ..., the root
        areas = self.areas[path]
        valid = (areas >= min_area) & (areas <= max_area)
        valid[-1] = False  # the root, the whole image, is no proposal
        refuted = np.asarray([n for n in refuted if n != s], dtype=np.int64)  # a click on s refutes nothing
        if refuted.size:
            # the proposals holding s and n are lca(s, n) and its ancestors: a suffix of s's path
            place = np.full(len(self.parents), len(path), dtype=np.int64)
            place[path] = np.arange(len(path))
            valid[place[lca.lca(np.full(refuted.size, int(s)), refuted)].min():] = False
        # The proposals containing s and q are the nodes from lca(s, q) up to the
        # root: a suffix sum along s's path.
        per_node = np.zeros(len(self.parents), dtype=np.int64)
        per_node[path] = np.cumsum(valid[::-1])[::-1]
        leaves = np.arange(self.n_leaves)
        return per_node[lca.lca(np.full(self.n_leaves, int(s)), leaves)]


def _hierarchy(name: str, tree, leaf_areas: np.ndarray) -> RegionHierarchy:
    areas = hg.attribute_area(tree, vertex_area=leaf_areas).astype(np.int64)
    return RegionHierarchy(name, tree.parents().astype(np.int32), areas, tree.num_leaves())


def colour_graph(rag: RegionAdjacency, features: np.ndarray, labels: np.ndarray, areas: np.ndarray):
    """The superpixels' graph for higra, their mean features, and the distance of those means across each edge.

    Returns
    -------
    graph : higra.UndirectedGraph
        One vertex per superpixel, the edges of `rag` in its order.
    means : (S, C) float64 ndarray
    colour : (E,) float64 ndarray
    """
    n = len(areas)
    graph = hg.UndirectedGraph(n)
    graph.add_edges(rag.edges[:, 0], rag.edges[:, 1])
    flat = labels.ravel()
    means = np.stack(
        [np.bincount(flat, features[..., c].ravel(), minlength=n) for c in range(features.shape[2])], axis=1
    ) / areas[:, None]
    return graph, means, np.linalg.norm(means[rag.edges[:, 0]] - means[rag.edges[:, 1]], axis=1)


COLOUR_TREE_LEAVES = 25_000   # up to this many superpixels the colour tree is built on them directly,
COLOUR_TREE_REGIONS = 12_000  # above it on this many regions of them


def _colour_tree(graph, colour: np.ndarray, ward, ward_altitudes,
                 limit: int = COLOUR_TREE_LEAVES, regions: int = COLOUR_TREE_REGIONS):
    """Average linkage on the colour distance of adjacent superpixels, as a higra tree over them.

    higra's average linkage grows much faster than the graph on micrographs (0.45 s for the 21,000
    50-px superpixels of a 1024² micrograph, 13 s for the 85,000 of a 2048² one). Above
    `limit` superpixels the graph is therefore first cut into `regions` regions by the Ward tree,
    which merges small similar regions first, and average linkage goes on from that partition as
    it would from its own: an edge between two regions carries the mean colour distance of the
    superpixel edges between them, weighted by their number. Each region is one node over its
    superpixels, so the tree loses only the proposals inside the regions (docs/RESULTS.md).
    """
    n = graph.num_vertices()
    if n <= limit:
        return hg.binary_partition_tree_average_linkage(graph, colour)[0]
    cut = hg.labelisation_horizontal_cut_from_num_regions(ward, ward_altitudes, regions)
    _, region = np.unique(cut.ravel(), return_inverse=True)  # the cut's labels are not consecutive
    k = int(region.max()) + 1
    src, dst = graph.edge_list()
    a, b = region[src], region[dst]
    cross = a != b
    key = np.minimum(a, b)[cross] * k + np.maximum(a, b)[cross]
    keys, inverse = np.unique(key, return_inverse=True)
    count = np.bincount(inverse, minlength=len(keys)).astype(np.float64)
    mean = np.bincount(inverse, colour[cross], minlength=len(keys)) / count
    coarse = hg.UndirectedGraph(k)
    coarse.add_edges(keys // k, keys % k)
    top = hg.binary_partition_tree_average_linkage(coarse, mean, count)[0]
    # Stitch: the superpixels, then one node for each region of several superpixels, then the inner
    # nodes of the coarse tree (a coarse leaf is its region's node, or its one superpixel).
    multi = np.bincount(region, minlength=k) > 1
    m = int(multi.sum())
    region_node = n + np.cumsum(multi) - 1
    top_parents = top.parents().astype(np.int64)
    inner = top_parents - k + n + m  # a coarse node's parent, numbered in the stitched tree
    parents = np.concatenate([
        np.where(multi[region], region_node[region], inner[region]),
        inner[:k][multi],
        inner[k:],
    ])
    return hg.Tree(parents)


def build_hierarchies(
    rag: RegionAdjacency, features: np.ndarray, labels: np.ndarray, areas: np.ndarray
) -> list[RegionHierarchy]:
    """Diversified region hierarchies over the superpixels (the proposal source).

    Four trees, each grouping superpixels by a different cue, as selective
    search and MCG diversify theirs:

    - ``"boundary"``: average linkage on the mean contrast along shared boundaries;
    - ``"colour"``: average linkage on the distance between mean region features;
    - ``"colour+size"``: Ward linkage on mean region features, which merges
      small regions first;
    - ``"area"``: watershed hierarchy by area on boundary contrast.

    Parameters
    ----------
    rag : RegionAdjacency
        Output of `region_adjacency`.
    features : (H, W, C) float ndarray
        Pixel features the superpixels were computed on.
    labels : (H, W) int ndarray
        Superpixel ids ``0..S-1``.
    areas : (S,) int ndarray
        Pixel count of each superpixel.

    Returns
    -------
    list of RegionHierarchy
    """
    graph, means, colour = colour_graph(rag, features, labels, areas)
    vertex_area = areas.astype(np.float64)
    ward, ward_altitudes = hg.binary_partition_tree_ward_linkage(graph, means, vertex_area)
    trees = [
        ("boundary", hg.binary_partition_tree_average_linkage(graph, rag.contrast, rag.length)[0]),
        ("colour", _colour_tree(graph, colour, ward, ward_altitudes)),
        ("colour+size", ward),
        ("area", hg.watershed_hierarchy_by_area(graph, rag.contrast, vertex_area=vertex_area)[0]),
    ]
    return [_hierarchy(name, tree, areas) for name, tree in trees]
