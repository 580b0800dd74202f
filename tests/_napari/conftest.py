"""Helpers for driving the widget as a person would: a docked widget on an image, napari's
own mouse and key handling, and waiting for the worker."""

import numpy as np
import pytest

from napari_helpers import TINY


def make_discs():
    """Two bright discs on a dark noisy background, and their labels."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:96, :96]
    labels = np.zeros((96, 96), np.int32)
    labels[(yy - 30) ** 2 + (xx - 30) ** 2 <= 14**2] = 1
    labels[(yy - 65) ** 2 + (xx - 62) ** 2 <= 12**2] = 2
    image = rng.normal(40, 8, (96, 96)) + 130 * (labels > 0)
    return np.clip(image, 0, 255).astype(np.uint8), labels


@pytest.fixture
def discs():
    return make_discs()


@pytest.fixture
def settle(qtbot):
    """Wait until the widget's worker has applied everything queued."""
    def wait(widget, timeout=60_000):
        c = widget.controller
        qtbot.waitUntil(lambda: c._worker is None and not c._ops, timeout=timeout)
    return wait


@pytest.fixture
def docked(make_napari_viewer, settle):
    """``docked(image, **add_image_kwargs) -> (viewer, widget)`` with the tiny test model, prepared."""
    def make(image, **kw):
        from napari_cag._napari.widget import InteractiveSegmentation

        viewer = make_napari_viewer()
        widget = InteractiveSegmentation(viewer, model=str(TINY))
        viewer.window.add_dock_widget(widget)
        viewer.add_image(image, name="cells", **kw)
        settle(widget)
        return viewer, widget
    return make
