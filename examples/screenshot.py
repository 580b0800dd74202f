"""The README's screenshot: napari with the widget docked, after a few real clicks on the nuclei.

Run ``xvfb-run -a python examples/screenshot.py [--model PATH] [--out PATH]``
(or without ``xvfb-run`` on a desktop). The clicks are those of the simulated
user (`napari_cag.simulate.next_click`): one at the centre of a nucleus, then
up to two where the preview is most wrong. Six nuclei are committed; the
seventh stays in preview with its clicks on display.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from open_napari import build  # examples/ is on sys.path when this runs as a script

from napari_cag.simulate import next_click

PREVIEW = "napari-cag preview"
REGION = (slice(160, 352), slice(160, 352))  # where the nuclei are picked and the view is zoomed


def process_events(until, timeout: float = 120.0) -> None:
    """Run the Qt event loop until `until()` holds (at least once)."""
    from qtpy.QtCore import QEventLoop
    from qtpy.QtWidgets import QApplication

    app, deadline = QApplication.instance(), time.monotonic() + timeout
    while True:
        app.processEvents(QEventLoop.AllEvents, 50)
        if until():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"still waiting after {timeout:.0f} s")
        time.sleep(0.01)


def wait(controller, timeout: float = 120.0) -> None:
    """Run the Qt event loop until the widget's worker has applied every queued operation."""
    process_events(lambda: controller._worker is None and not controller._ops, timeout)


def close_notifications() -> None:
    """Close napari's pop-up notifications (start-up warnings), which would cover the canvas."""
    from qtpy.QtWidgets import QApplication

    for w in QApplication.instance().allWidgets():
        if type(w).__name__ == "NapariQtNotification":
            w.close()


def pick_nuclei(truth: np.ndarray, n: int = 3) -> np.ndarray:
    """The `n` largest nuclei that lie entirely inside `REGION`."""
    outside = np.ones(truth.shape, bool)
    outside[REGION] = False
    ids, sizes = np.unique(truth[REGION], return_counts=True)
    whole = (ids > 0) & ~np.isin(ids, truth[outside])
    return ids[whole][np.argsort(sizes[whole])[::-1][:n]]


def take_screenshot(out="docs/screenshot.png", *, model=None, viewer=None, n_commit: int = 6,
                    n_clicks: int = 3) -> Path:
    """Click on ``n_commit + 1`` nuclei as a user would, commit `n_commit`, save the window to `out`.

    Parameters
    ----------
    out : path
        The PNG to write.
    model : path, optional
        A ``.safetensors`` checkpoint (default: ``$NAPARI_CAG_MODEL``, else the shipped weights).
    viewer : napari.Viewer, optional
        Viewer to use (shown); a new one by default.
    n_commit : int
        Objects committed before the last one, which stays in preview.
    n_clicks : int
        Clicks per object at most: one at its centre, then where the preview is most wrong.

    Returns
    -------
    Path
        `out`.
    """
    viewer, widget = build(viewer, model)
    viewer.window.resize(1280, 800)  # fits xvfb-run's default 1280x1024 screen
    controller = widget.controller
    wait(controller)  # the image's structure, computed once
    truth = viewer.layers["nuclei ground truth"].data
    for k, object_id in enumerate(pick_nuclei(truth, n_commit + 1)):
        gt, clicks = truth == object_id, []
        for _ in range(n_clicks):
            # what the user sees; the preview layer comes with the first non-empty mask
            shown = viewer.layers[PREVIEW].data > 0 if PREVIEW in viewer.layers else np.zeros_like(gt)
            click = next_click(shown, gt, clicks=clicks)
            if click is None:
                break
            controller.add_click((click.y, click.x), click.positive)
            wait(controller)
            clicks.append(click)
        if k < n_commit:
            controller.commit()
            wait(controller)

    viewer.reset_view()  # the whole image fits the canvas; then zoom on REGION
    camera = viewer.scene.camera if hasattr(viewer, "scene") else viewer.camera  # napari >= 0.9 : older
    rows, cols = REGION
    camera.center = ((rows.start + rows.stop) / 2, (cols.start + cols.stop) / 2)
    camera.zoom *= truth.shape[1] / (cols.stop - cols.start)
    close_notifications()
    t = time.monotonic()
    process_events(lambda: time.monotonic() - t > 0.3)  # let the canvas draw
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    viewer.screenshot(str(out), canvas_only=False, flash=False)
    return out


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .safetensors checkpoint "
                        "(default: $NAPARI_CAG_MODEL, else the shipped weights)")
    parser.add_argument("--out", default="docs/screenshot.png", help="the PNG to write (default: %(default)s)")
    args = parser.parse_args(argv)
    out = take_screenshot(args.out, model=args.model)
    print(out)
    return out


if __name__ == "__main__":
    main()
