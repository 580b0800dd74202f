"""Whether the object-proposal map (Eq. 3) around a first click tells the object's size.

    python benchmarks/bench_object_map_scale.py usiigaci monuseg cpm15 isbi2012_em

A scale prior from the image itself could let the first-view search (`napari_cag.firstview`) stop at the
right view where the network's own answer does not (phase-contrast cells, a large even object). For each of
``--val-objects`` seeded held-out objects per set (the split and structure cache of `napari-cag train`), one
positive click at the object's centre; the map's connected region at the click, thresholded at a share of
its peak (255), is compared with the true object: ``log2(region extent / object extent)`` (0 is right, 1 is
twice too large), its median and inter-quartile range, and the share of objects within 2x.

``--persistent`` measures instead a proposal chosen by its own merit: among the regions of a hierarchy that
hold the click (at most a quarter of the image), the one that persists longest (the largest gap between its
merge height and its parent's), for the boundary-contrast tree and the area tree of
`napari_cag.proposals.build_hierarchies`, rebuilt here with their heights (the cache keeps none). Sizes are
compared as ``log2(sqrt(region area) / sqrt(object area))``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

SHARES = (0.3, 0.5, 0.7, 0.9)


def main() -> None:
    from scipy import ndimage as ndi

    from napari_cag.cli import _training_images
    from napari_cag.clicks import Click
    from napari_cag.guidance import object_map
    from napari_cag.image import mask_box
    from napari_cag.model import ModelConfig
    from napari_cag.simulate import farthest_point
    from napari_cag.splits import split_validation
    from napari_cag.training.cache import build_cache, load_cache
    from napari_cag.training.validation import held_out_objects

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="set folders under --data")
    parser.add_argument("--data", default="../shared/datasets")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--val-objects", type=int, default=20)
    parser.add_argument("--persistent", action="store_true", help="the longest-persisting proposal instead")
    args = parser.parse_args()

    def extent(mask):
        r0, c0, r1, c1 = mask_box(mask)
        return max(r1 - r0 + 1, c1 - c0 + 1)

    for name in args.sets:
        paths = build_cache(_training_images([f"{args.data}/{name}"], None), args.cache, ModelConfig())
        _, held_out = split_validation(load_cache(paths), 0.1)
        samples, items = held_out_objects(held_out, args.val_objects, seed=0)
        for set_name, objects in samples.items():
            if args.persistent:
                print(json.dumps({"set": set_name, "objects": len(objects), **persistent(objects, items)}), flush=True)
                continue
            ratios = []
            for sample in objects:
                gt = sample.labels == sample.object_id
                y, x = farthest_point(gt)
                m = object_map(items[sample.image_path].structure, [Click(y, x, True)])
                row = []
                for share in SHARES:
                    regions, _ = ndi.label(m >= share * 255)
                    row.append(np.log2(extent(regions == regions[int(y), int(x)]) / extent(gt)))
                ratios.append(row)
            a = np.array(ratios)
            print(json.dumps({"set": set_name, "objects": len(a), "shares": SHARES,
                              "median_log2": np.round(np.median(a, 0), 2).tolist(),
                              "iqr_log2": np.round(np.percentile(a, 75, 0) - np.percentile(a, 25, 0), 2).tolist(),
                              "within_2x": np.round((np.abs(a) <= 1).mean(0), 2).tolist()}), flush=True)


def trees_with_heights(item) -> dict:
    """The boundary-contrast and area trees of a cached image: ``{name: (tree, heights, node areas)}``."""
    import higra as hg

    from napari_cag.proposals import region_adjacency
    from napari_cag.structure import features_for_superpixels

    st = item.structure
    n, vertex_area = st.n_superpixels, st.areas.astype(np.float64)
    rag = region_adjacency(st.superpixels, features_for_superpixels(item.image.astype(np.float32) / 255), n)
    graph = hg.UndirectedGraph(n)
    graph.add_edges(rag.edges[:, 0], rag.edges[:, 1])
    built = {"boundary": hg.binary_partition_tree_average_linkage(graph, rag.contrast, rag.length),
             "area": hg.watershed_hierarchy_by_area(graph, rag.contrast, vertex_area=vertex_area)}
    return {k: (t, h, hg.attribute_area(t, vertex_area=vertex_area)) for k, (t, h) in built.items()}


def persistent_area(tree, heights, areas, leaf: int, max_area: float) -> float:
    """The pixel count of the region holding `leaf` that persists longest, at most `max_area` pixels."""
    path = tree.ancestors(leaf)[:-1]  # the root, the whole image, is no proposal
    gap = np.where(areas[path] <= max_area, heights[tree.parents()[path]] - heights[path], -1.0)
    return float(areas[path[int(np.argmax(gap))]])


def persistent(objects, items) -> dict:
    """The longest-persisting proposal at each object's centre against the object, per tree."""
    from napari_cag.simulate import farthest_point

    trees, ratios = {}, {"boundary": [], "area": []}
    for sample in objects:
        item = items[sample.image_path]
        if sample.image_path not in trees:
            trees[sample.image_path] = trees_with_heights(item)
        gt = sample.labels == sample.object_id
        y, x = farthest_point(gt)
        leaf = int(item.structure.superpixels[int(y), int(x)])
        for name, (tree, heights, areas) in trees[sample.image_path].items():
            area = persistent_area(tree, heights, areas, leaf, 0.25 * gt.size)
            ratios[name].append(0.5 * np.log2(area / gt.sum()))
    return {name: {"median_log2": round(float(np.median(v)), 2),
                   "iqr_log2": round(float(np.subtract(*np.percentile(v, [75, 25]))), 2),
                   "within_2x": round(float((np.abs(np.array(v)) <= 1).mean()), 2)} for name, v in ratios.items()}


if __name__ == "__main__":
    main()
