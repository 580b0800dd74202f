"""Propagation through the bundled synthetic 3D nuclei (issue: the plugin as napari users expect it, item 8).

For each labelled object: one positive click at the most interior point of its
middle slice (a `Session` of that slice), then `napari_cag.propagate` through
the stack from that mask; the 3D IoU of the result against the object's truth.

Run ``python benchmarks/bench_propagate.py [--model PATH] [--objects N] [--write docs/RESULTS.md]``.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import numpy as np

from _report import machine, write_section  # same folder
from napari_cag import Session
from napari_cag.data import nuclei_3d
from napari_cag.predictor import Predictor
from napari_cag.propagate import interior_click, propagate_object


def propagate_from_middle(stack, truth, object_id, predictor, limits, start="click", **kw) -> tuple[float, int, int]:
    """3D IoU of one object propagated from its middle slice, slices found and true slices.

    The middle slice's mask is one click's (``start="click"``) or the true one (``"truth"``).
    """
    obj = truth == object_id
    zs = np.flatnonzero(obj.any(axis=(1, 2)))
    middle = int(zs[len(zs) // 2])
    if start == "truth":
        mask = obj[middle]
    else:
        click = interior_click(obj[middle])
        mask = Session(stack[middle], model=predictor, contrast_limits=limits).add_click(click.y, click.x)
    found = propagate_object(stack, middle, mask, predictor=predictor, contrast_limits=limits, **kw)
    return float((found & obj).sum() / (found | obj).sum()), int(found.any(axis=(1, 2)).sum()), len(zs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="weights file (default: the shipped model)")
    parser.add_argument("--objects", type=int, default=None, help="only the first N objects")
    parser.add_argument("--min-overlap", type=float, action="append", help="default: 0.5 and 0.7")
    parser.add_argument("--write", type=Path, default=None, help="update this RESULTS.md section")
    args = parser.parse_args()

    stack, truth = nuclei_3d()
    predictor = Predictor(args.model, device="cpu")
    limits = tuple(float(v) for v in np.percentile(stack, [1.0, 99.8]))
    ids = np.unique(truth[truth > 0])[:args.objects]
    table = []
    for start in ("click", "truth"):
        for min_overlap in args.min_overlap or [0.5, 0.7]:
            t = time.perf_counter()
            rows = [propagate_from_middle(stack, truth, i, predictor, limits, start, min_overlap=min_overlap)
                    for i in ids]
            seconds = time.perf_counter() - t
            ious = np.array([r[0] for r in rows])
            found, true = sum(r[1] for r in rows), sum(r[2] for r in rows)
            what = "one click at its centre" if start == "click" else "the true mask (propagation alone)"
            table.append(f"| {what} | {min_overlap:g} | {len(ids)} | **{ious.mean():.3f}** | {np.median(ious):.3f} | "
                         f"{(ious >= 0.5).mean():.0%} | {found} / {true} | {seconds / len(ids):.2f} s |")
            print(table[-1], flush=True)
    if args.write:
        cmd = "python benchmarks/bench_propagate.py" + (f" --model {args.model}" if args.model else "") + \
            (f" --objects {args.objects}" if args.objects else "") + f" --write {args.write}"
        body = (f"_Measured {datetime.date.today()} on {machine()}, with `{cmd}`._\n\n"
                "| middle slice starts from | min_overlap | objects | mean 3D IoU | median | 3D IoU ≥ 0.5 | "
                "slices found / true | time per object |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
                + "\n".join(table))
        write_section(args.write, "bench_propagate", "Propagation through a volume", body)


if __name__ == "__main__":
    main()
