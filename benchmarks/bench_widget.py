"""Benchmark of the napari widget (issue: the plugin), run under Xvfb.

- Click to preview: from a click handed to the widget (as the Points layer's
  mouse callback does) to the preview layer showing the new mask; four clicks
  on one ~200 px object, a commit, the next object elsewhere.
- Responsiveness: while the widget prepares an image (structure in a worker
  thread), a 5 ms Qt timer measures the longest stretch the event loop was
  blocked.

Run ``xvfb-run -a python benchmarks/bench_widget.py [--model PATH] [--write docs/RESULTS.md]``.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import napari
import numpy as np
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication
from skimage import data, transform

from _report import machine, write_section  # same folder
from napari_cag._napari.widget import InteractiveSegmentation



def _idle(controller) -> bool:
    return controller._worker is None and not controller._ops


def _wait(controller, timeout: float = 300.0) -> None:
    end = time.perf_counter() + timeout
    while not _idle(controller):
        QApplication.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("the widget did not finish")
        time.sleep(0.001)


def _settle(seconds: float = 0.3) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        QApplication.processEvents()
        time.sleep(0.005)


def bench(size: int, model: str | None, clicks: int, rng: np.random.Generator) -> dict:
    image = (transform.resize(data.astronaut(), (size, size)) * 255).astype(np.uint8)
    viewer = napari.Viewer(show=True)
    viewer.add_image(image, name="image", rgb=True)
    _settle()
    t = time.perf_counter()
    widget = InteractiveSegmentation(viewer, model=model)  # starts preparing the image at once
    viewer.window.add_dock_widget(widget)
    open_ms = 1e3 * (time.perf_counter() - t)
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    _wait(widget.controller)
    prepare_s = time.perf_counter() - t
    timer.stop()
    blocked_ms = 1e3 * max(gaps, default=0.0)

    c = widget.controller
    latencies = []
    centre = rng.uniform(0.3, 0.7, 2) * size
    for k in range(clicks):
        # a user's clicks on one object (~200 px across), then a commit and the next object
        y, x = np.clip(centre + rng.normal(0, 50, 2), 0, size - 1)
        t = time.perf_counter()
        c.add_click((y, x), positive=(k == 0 or rng.random() < 0.6))
        _wait(c)
        latencies.append(time.perf_counter() - t)
        if k % 4 == 3:
            c.commit()
            _wait(c)
            centre = rng.uniform(0.3, 0.7, 2) * size
    viewer.close()
    return dict(size=size, open_ms=open_ms, prepare_s=prepare_s, blocked_ms=blocked_ms,
                median_ms=1e3 * float(np.median(latencies)), p90_ms=1e3 * float(np.percentile(latencies, 90)),
                clicks=clicks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 4096])
    parser.add_argument("--clicks", type=int, default=12)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = [bench(s, args.model, args.clicks, rng) for s in args.sizes]
    lines = ["| image | clicks | click → preview, median (p90) | creating + docking the widget (main thread, once) "
             "| preparing the image (worker) | longest event-loop stall while preparing |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['size']}×{r['size']} RGB | {r['clicks']} | {r['median_ms']:.0f} ms ({r['p90_ms']:.0f}) "
                     f"| {r['open_ms']:.0f} ms | {r['prepare_s']:.1f} s | {r['blocked_ms']:.0f} ms |")
    body = (f"_Measured {datetime.date.today().isoformat()} on {machine()} under Xvfb, with "
            f"`xvfb-run -a python benchmarks/bench_widget.py --write docs/RESULTS.md`._\n\n"
            + "\n".join(lines))
    print(body)
    if args.write:
        write_section(args.write, "bench_widget", "Widget speed", body)


if __name__ == "__main__":
    main()
