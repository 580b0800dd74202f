"""Benchmark of the guidance engine (issue: package foundation and guidance engine).

Measures, for an RGB image at several sizes with 1000 SLIC superpixels:
``compute_structure`` time, the per-click update of all structure-based
guidance channels (Eq. 2-5), the Euclidean maps (Eq. 1) as the floor, and the
cached structure's bytes per pixel.

Run ``python benchmarks/bench_guidance.py [--write docs/RESULTS.md]``.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import numpy as np
from skimage import data, transform

from _report import machine, write_section  # same folder
from napari_cag import Click, compute_structure, guidance

CHANNELS = ["superpixel_pos", "superpixel_neg", "object",
            "superpixel_pos_scaled", "superpixel_neg_scaled", "object_scaled"]
TARGETS = {512: (0.5, 10.0), 2048: (4.0, 60.0)}  # structure s, click ms


def _clicks(size: int, n: int, rng: np.random.Generator) -> list[Click]:
    """A plausible session: a positive, a negative, then mixed corrections."""
    points = rng.uniform(0, size - 1, size=(n, 2))
    return [Click(y, x, positive=(i == 0 or (i > 1 and rng.random() < 0.6))) for i, (y, x) in enumerate(points)]


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def bench(size: int, repeats: int, rng: np.random.Generator) -> dict:
    image = (transform.resize(data.astronaut(), (size, size)) * 255).astype(np.uint8)
    structure_ms = _median_ms(lambda: compute_structure(image, n_segments=1000), repeats)
    structure = compute_structure(image, n_segments=1000)
    click_ms, euclid_ms = [], []
    for _ in range(5):  # five sessions of 10 clicks; each click recomputes every channel
        clicks = _clicks(size, 10, rng)
        for k in range(1, len(clicks) + 1):
            click_ms.append(_median_ms(lambda: guidance.guidance_maps(structure, clicks[:k], names=CHANNELS), 1))
            euclid_ms.append(_median_ms(lambda: guidance.euclidean_maps(structure.shape, clicks[:k]), 1))
    return dict(
        size=size, n_superpixels=structure.n_superpixels, n_proposals=structure.n_proposals,
        structure_s=structure_ms / 1e3, click_ms=float(np.median(click_ms)),
        click_p90_ms=float(np.percentile(click_ms, 90)), euclid_ms=float(np.median(euclid_ms)),
        bytes_per_pixel=structure.nbytes / size**2,
    )


def table(rows: list[dict]) -> str:
    def mark(value, size, i):
        target = TARGETS.get(size, (None, None))[i]
        return "" if target is None else (" ✓" if value <= target else f" ✗ (target {target})")

    lines = [
        "| image | superpixels | proposals | `compute_structure` | click update, median (p90) | Euclidean floor | structure bytes/pixel |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        s = r["size"]
        lines.append(
            f"| {s}×{s} RGB | {r['n_superpixels']} | {r['n_proposals']} | {r['structure_s']:.2f} s{mark(r['structure_s'], s, 0)} "
            f"| {r['click_ms']:.1f} ms ({r['click_p90_ms']:.1f}){mark(r['click_ms'], s, 1)} | {r['euclid_ms']:.1f} ms "
            f"| {r['bytes_per_pixel']:.1f}{' ✓' if r['bytes_per_pixel'] <= 16 else ' ✗'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 2048, 4096])
    parser.add_argument("--repeats", type=int, default=3, help="compute_structure runs per size")
    parser.add_argument("--write", type=Path, help="update this markdown file's benchmark section")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for size in args.sizes:
        rows.append(bench(size, args.repeats, rng))
        print(f"{size}: {rows[-1]}", flush=True)
    body = (
        f"_Measured {datetime.date.today().isoformat()} on {machine()}, with "
        f"`python benchmarks/bench_guidance.py --write docs/RESULTS.md`._ One click's update recomputes all six "
        f"structure channels (Eq. 2–5, both polarities) from all clicks so far, over 5 sessions of 10 clicks; "
        f"`compute_structure` is the median of {args.repeats} runs.\n\n{table(rows)}"
    )
    print(body)
    if args.write:
        write_section(args.write, "bench_guidance", "Guidance engine speed", body)


if __name__ == "__main__":
    main()
