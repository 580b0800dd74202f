"""Benchmark of one click, from clicks to full-resolution mask, refinement included.

For a photograph (the astronaut, refined as ``natural``) and a micrograph
(the bundled nuclei, refined as ``microscopy``), at 512² and 2048² (the
nuclei tiled): the median time of `Session.add_click` (first view with its
scale search, guidance maps, network, graph-cut refinement, click
correction) over simulated sessions, first clicks and later clicks apart,
with 1 and 2 torch threads, on an idle machine and while a process that the
benchmark starts and stops keeps one core busy. Also the structure time once
per image and the peak memory of the process.

Run ``python benchmarks/bench_click.py [--model PATH] [--write docs/RESULTS.md]``.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import resource
import time
from pathlib import Path

import numpy as np
import torch
from skimage import data, transform

from _report import machine, write_section  # same folder
from napari_cag import Session
from napari_cag.data import nuclei_2d
from napari_cag.predictor import Predictor


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spin(stop) -> None:
    """Keep one core busy until `stop` is set."""
    x = 0
    while not stop.is_set():
        for _ in range(10_000):
            x += 1


class BusyCore:
    """A process that keeps one core busy while the block runs."""

    def __enter__(self):
        self.stop = multiprocessing.Event()
        self.proc = multiprocessing.Process(target=_spin, args=(self.stop,), daemon=True)
        self.proc.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.proc.join(5)


def test_image(kind: str, size: int) -> np.ndarray:
    if kind == "photograph":
        return (transform.resize(data.astronaut(), (size, size)) * 255).astype(np.uint8)
    nuclei = nuclei_2d()[0]
    reps = -(-size // nuclei.shape[0])
    return np.tile(nuclei, (reps, reps))[:size, :size]


def bench(image: np.ndarray, predictor: Predictor, sessions: int, clicks: int, rng: np.random.Generator) -> dict:
    size = image.shape[0]
    t = time.perf_counter()
    session = Session(image, model=predictor)
    structure_s = time.perf_counter() - t
    first, later = [], []
    for _ in range(sessions):
        session.reset()
        centre = rng.uniform(0.3, 0.7, 2) * size
        for k in range(clicks):
            y, x = np.clip(centre + rng.normal(0, size / 10, 2), 0, size - 1)
            t = time.perf_counter()
            session.add_click(y, x, positive=(k == 0 or rng.random() < 0.6))
            (later if k else first).append(time.perf_counter() - t)
    return dict(size=size, structure_s=structure_s, first_ms=1e3 * float(np.median(first)),
                later_ms=1e3 * float(np.median(later)), p90_ms=1e3 * float(np.percentile(later, 90)),
                clicks=len(first) + len(later))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="weights (default: the shipped model)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--clicks", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    rows = []
    for load in ("idle", "one core busy"):
        for threads in args.threads:
            predictor = Predictor(args.model, device=args.device, threads=threads)
            for kind in ("photograph", "micrograph"):
                for size in args.sizes:
                    rng = np.random.default_rng(0)
                    image = test_image(kind, size)
                    if load == "idle":
                        r = bench(image, predictor, args.sessions, args.clicks, rng)
                    else:
                        with BusyCore():
                            r = bench(image, predictor, args.sessions, args.clicks, rng)
                    rows.append(dict(r, load=load, threads=threads, kind=kind))
                    print(rows[-1], flush=True)
    lines = ["| machine | torch threads | image | clicks timed | first click (median) | later clicks (median) "
             "| later p90 | structure (once) |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['load']} | {r['threads']} | {r['kind']} {r['size']}² | {r['clicks']} "
                     f"| {r['first_ms']:.0f} ms | {r['later_ms']:.0f} ms | {r['p90_ms']:.0f} ms "
                     f"| {r['structure_s']:.2f} s |")
    device = torch.cuda.get_device_name() if args.device == "cuda" else machine()
    body = (f"_Measured {datetime.date.today().isoformat()} on {device} ({args.device}), "
            f"{args.model or 'shipped model'} with "
            f"the full pipeline (refinement by domain), peak RSS {_rss_mb():.0f} MB, with "
            f"`python benchmarks/bench_click.py --write docs/RESULTS.md`._\n\n" + "\n".join(lines))
    print(body)
    if args.write:
        write_section(args.write, "bench_click", "One click, end to end", body)


if __name__ == "__main__":
    main()
