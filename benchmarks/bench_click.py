"""Benchmark of one click, from clicks to full-resolution mask (issue: the network).

For RGB images of several sizes: the median time of `Session.add_click`
(guidance maps on the network's window + network + paste-back) over
simulated sessions, the structure time once per image, and the peak memory
of inference (resident set growth of this process during the clicks).

Run ``python benchmarks/bench_click.py [--model PATH] [--write docs/RESULTS.md]``.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import time
from pathlib import Path

import numpy as np
import torch
from skimage import data, transform

from _report import machine, write_section  # same folder
from napari_cag import Session
from napari_cag.predictor import Predictor



def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(size: int, predictor: Predictor, sessions: int, clicks: int, rng: np.random.Generator) -> dict:
    image = (transform.resize(data.astronaut(), (size, size)) * 255).astype(np.uint8)
    t = time.perf_counter()
    session = Session(image, model=predictor)
    structure_s = time.perf_counter() - t
    before = _rss_mb()
    times = []
    for _ in range(sessions):
        session.reset()
        centre = rng.uniform(0.3, 0.7, 2) * size
        for k in range(clicks):
            y, x = np.clip(centre + rng.normal(0, size / 10, 2), 0, size - 1)
            t = time.perf_counter()
            session.add_click(y, x, positive=(k == 0 or rng.random() < 0.6))
            times.append(time.perf_counter() - t)
    return dict(size=size, structure_s=structure_s, median_ms=1e3 * float(np.median(times)),
                p90_ms=1e3 * float(np.percentile(times, 90)), clicks=len(times),
                peak_extra_mb=_rss_mb() - before, peak_total_mb=_rss_mb())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="weights (default: the shipped model)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=8)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    predictor = Predictor(args.model, device=args.device)
    rng = np.random.default_rng(0)
    rows = [bench(s, predictor, args.sessions, args.clicks, rng) for s in args.sizes]
    lines = ["| image | clicks timed | median per click | p90 | structure (once per image) | RSS growth during clicks | peak RSS of the process |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['size']}×{r['size']} RGB | {r['clicks']} | {r['median_ms']:.0f} ms | {r['p90_ms']:.0f} ms "
                     f"| {r['structure_s']:.2f} s | {r['peak_extra_mb']:.0f} MB | {r['peak_total_mb']:.0f} MB |")
    device = torch.cuda.get_device_name() if args.device == "cuda" else machine()
    body = (f"_Measured {datetime.date.today().isoformat()} on {device} ({args.device}, "
            f"{torch.get_num_threads()} torch threads), model `{predictor.config.arch}` "
            f"({', '.join(predictor.config.guidance)}), with `python benchmarks/bench_click.py "
            f"--write docs/RESULTS.md`._\n\n" + "\n".join(lines))
    print(body)
    if args.write:
        write_section(args.write, "bench_click", "One click, end to end", body)


if __name__ == "__main__":
    main()
