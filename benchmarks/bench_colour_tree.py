"""The colour proposal tree of a large view: built on all its superpixels, or from Ward regions.

On the bundled nuclei tiled to SIZE² (50-px superpixels, as the microscopy model has them), for each way:
the time of the colour tree alone, the mean best IoU that one of its proposals reaches on 200 nuclei, and,
with ``--first-clicks N``, the whole structure's time and the mean IoU of a first click at the centre of N
nuclei of one inner tile (the shipped microscopy model, full pipeline).

    python benchmarks/bench_colour_tree.py --size 2048 --first-clicks 25
"""

from __future__ import annotations

import argparse
import time

import higra as hg
import numpy as np
import torch

from napari_cag import Session
from napari_cag import proposals
from napari_cag.data import nuclei_2d
from napari_cag.image import normalize_image
from napari_cag.metrics import iou
from napari_cag.proposals import region_adjacency
from napari_cag.simulate import farthest_point
from napari_cag.structure import _superpixels, features_for_superpixels

WAYS = {"all superpixels": 10**9, "Ward regions": proposals.COLOUR_TREE_LEAVES}


def tiled(size: int):
    """The bundled nuclei and their labels tiled to ``size²``, each tile's nuclei with their own ids."""
    image, labels = nuclei_2d()
    reps = -(-size // image.shape[0])
    ids = np.concatenate([[0], np.arange(1, labels.max() + 1)])
    tiles = [[np.where(labels > 0, ids[labels] + (i * reps + j) * labels.max(), 0) for j in range(reps)]
             for i in range(reps)]
    return np.tile(image, (reps, reps))[:size, :size], np.block(tiles)[:size, :size]


def colour_graph(image: np.ndarray):
    features = features_for_superpixels(normalize_image(image))
    labels = _superpixels(features, image.size // 50, "slic", 10.0, 1.0)
    _, labels = np.unique(labels, return_inverse=True)
    labels = labels.reshape(image.shape).astype(np.int32)
    n = int(labels.max()) + 1
    areas = np.bincount(labels.ravel(), minlength=n)
    graph, means, colour = proposals.colour_graph(region_adjacency(labels, features, n), features, labels, areas)
    ward, altitudes = hg.binary_partition_tree_ward_linkage(graph, means, areas.astype(float))
    return labels, areas, graph, colour, ward, altitudes


def best_ious(tree, labels, areas, truth, ids) -> np.ndarray:
    node_area = hg.attribute_area(tree, vertex_area=areas.astype(float))
    out = []
    for i in ids:
        inside = truth.ravel() == i
        overlap = np.bincount(labels.ravel()[inside], minlength=len(areas)).astype(float)
        inter = hg.accumulate_sequential(tree, overlap, hg.Accumulators.sum)
        out.append(float((inter / (node_area + inside.sum() - inter)).max()))
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--nuclei", type=int, default=200)
    parser.add_argument("--first-clicks", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    image, truth = tiled(args.size)
    labels, areas, graph, colour, ward, altitudes = colour_graph(image)
    ids = np.random.default_rng(0).choice(np.unique(truth)[1:], args.nuclei, replace=False)
    print(f"{args.size}²: {len(areas)} superpixels")
    inner = args.size // 2 // 512 * 512  # one tile's nuclei away from the border
    tile = np.unique(truth[inner:inner + 512, inner:inner + 512])[1:][:args.first_clicks]
    for way, limit in WAYS.items():
        t = time.perf_counter()
        tree = proposals._colour_tree(graph, colour, ward, altitudes, limit=limit)
        tree_s = time.perf_counter() - t
        line = (f"{way}: colour tree {tree_s:.2f} s, {tree.num_vertices()} nodes, mean best proposal IoU "
                f"{best_ious(tree, labels, areas, truth, ids).mean():.3f}")
        if args.first_clicks:
            defaults = proposals._colour_tree.__defaults__
            proposals._colour_tree.__defaults__ = (limit, *defaults[1:])
            try:
                t = time.perf_counter()
                session = Session(image, model="microscopy")
                structure_s = time.perf_counter() - t
                scores = []
                for i in tile:
                    session.reset()
                    session.add_click(*farthest_point(truth == i))
                    scores.append(iou(session.mask, truth == i))
            finally:
                proposals._colour_tree.__defaults__ = defaults
            line += f"; structure {structure_s:.1f} s, first-click IoU {np.mean(scores):.3f} ({len(tile)} nuclei)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
