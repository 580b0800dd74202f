"""Driving napari as a person would: its own key and mouse dispatch on a layer."""

from pathlib import Path

import numpy as np

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_discs.safetensors"


def press_key(viewer, key: str) -> None:
    """What napari does when `key` is pressed on the canvas: the viewer's key handler resolves it
    through the selected layer's keymap, its class's (napari's defaults) and the viewer's."""
    handler = viewer.window._qt_viewer._key_map_handler
    handler.press_key(key)
    handler.release_key(key)


def mouse_click(layer, position, button=1, modifiers=()):
    """A press and release without a move at world `position`, through napari's own mouse dispatch."""
    from napari.utils._proxies import ReadOnlyWrapper
    from napari.utils.interactions import mouse_press_callbacks, mouse_release_callbacks

    class Event:
        def __init__(self, kind):
            self.type, self.is_dragging, self.button, self.modifiers = kind, False, button, list(modifiers)
            self.position, self.pos = tuple(float(v) for v in position), np.zeros(2)
            self.view_direction, self.up_direction = None, None
            self.dims_displayed, self.dims_point = [layer.ndim - 2, layer.ndim - 1], list(position)
            self.handled = False

    for kind, dispatch in (("mouse_press", mouse_press_callbacks), ("mouse_release", mouse_release_callbacks)):
        dispatch(layer, ReadOnlyWrapper(Event(kind), exceptions=("handled",)))


def make_discs():
    """Two bright discs on a dark noisy background, and their labels."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:96, :96]
    labels = np.zeros((96, 96), np.int32)
    labels[(yy - 30) ** 2 + (xx - 30) ** 2 <= 14**2] = 1
    labels[(yy - 65) ** 2 + (xx - 62) ** 2 <= 12**2] = 2
    image = rng.normal(40, 8, (96, 96)) + 130 * (labels > 0)
    return np.clip(image, 0, 255).astype(np.uint8), labels
