"""Closing napari while the widget works: the worker is stopped and awaited, nothing crashes
(issue 12, item 1)."""

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from napari_helpers import TINY  # noqa: E402
from napari_cag import session as session_module  # noqa: E402
from napari_cag._napari.layers import PREVIEW  # noqa: E402
from napari_cag._napari.widget import InteractiveSegmentation  # noqa: E402


def slow(monkeypatch, name, seconds=1.0):
    """Make `Session.<name>` take `seconds` longer, so that the viewer closes while it runs."""
    original = getattr(session_module.Session, name)

    def wrapped(self, *args, **kwargs):
        time.sleep(seconds)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(session_module.Session, name, wrapped)


def docked_widget(make_napari_viewer, image):
    viewer = make_napari_viewer()
    widget = InteractiveSegmentation(viewer, model=str(TINY))
    viewer.window.add_dock_widget(widget)
    viewer.add_image(image, name="cells")
    return viewer, widget


def test_closing_mid_preparation_stops_and_awaits_the_worker(make_napari_viewer, qtbot, monkeypatch, discs):
    slow(monkeypatch, "__init__")
    viewer, widget = docked_widget(make_napari_viewer, discs[0])
    c = widget.controller
    qtbot.waitUntil(lambda: c._worker is not None and c._worker.is_running, timeout=10_000)
    worker = c._worker
    viewer.close()
    assert not worker.is_running  # awaited while the window closed, not left to a dead widget
    qtbot.wait(300)
    assert PREVIEW not in viewer.layers


def test_closing_mid_prediction_stops_and_awaits_the_worker(make_napari_viewer, qtbot, monkeypatch, discs):
    viewer, widget = docked_widget(make_napari_viewer, discs[0])
    c = widget.controller
    qtbot.waitUntil(lambda: c._worker is None and not c._ops, timeout=60_000)
    slow(monkeypatch, "add_click")
    c.add_click((30, 30), True)
    c.add_click((65, 62), True)
    qtbot.waitUntil(lambda: c._worker is not None and c._worker.is_running, timeout=10_000)
    worker = c._worker
    viewer.close()
    assert not worker.is_running
    qtbot.wait(300)
    assert PREVIEW not in viewer.layers  # the result of a closed widget is never shown


SCRIPT = """
import sys, time
import numpy as np
import napari
from qtpy.QtCore import QTimer
from napari_cag import session

original = session.Session.{slow}
def slowed(self, *args, **kwargs):
    time.sleep(1.0)
    return original(self, *args, **kwargs)
session.Session.{slow} = slowed

viewer = napari.Viewer()
viewer.window.add_plugin_dock_widget("napari-cag", "Interactive segmentation")
widget = viewer.window.dock_widgets["Interactive segmentation (napari-cag)"]
widget.settings.model_box.addItem({model!r})
widget.settings.model_box.setCurrentText({model!r})
widget.settings.changed()
viewer.add_image(np.random.default_rng(0).normal(100, 20, (128, 128)), name="cells")
if {click}:
    QTimer.singleShot(1500, lambda: widget.controller.add_click((60, 60), True))
    QTimer.singleShot(1700, viewer.close)
else:
    QTimer.singleShot(200, viewer.close)
del widget  # only napari holds the widget, as when a user docks it from the menu
napari.run()
print("closed cleanly")
"""


@pytest.mark.parametrize("when", ["preparing", "predicting"])
def test_closing_napari_while_the_widget_works_exits_normally(when):
    script = SCRIPT.format(slow="add_click" if when == "predicting" else "__init__", model=str(TINY),
                           click=when == "predicting")
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "closed cleanly" in run.stdout
    assert "Traceback" not in run.stderr and "has been deleted" not in run.stderr, run.stderr[-3000:]
