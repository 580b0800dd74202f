"""Helpers for driving the widget as a person would: a docked widget on an image, napari's
own mouse and key handling, and waiting for the worker."""

import pytest

from napari_helpers import TINY, make_discs


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
