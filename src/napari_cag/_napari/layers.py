"""The widget's layers: the clicks, the preview of the current object, the committed objects.

Each has its own look: clicks are green (positive) or red (negative) points, the
preview is a fixed-colour outline, committed objects are filled, one colour each.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from napari.utils.colormaps import DirectLabelColormap

POINTS, PREVIEW, OBJECTS = "napari-cag clicks", "napari-cag preview", "napari-cag objects"
POSITIVE, NEGATIVE = "#00e000", "#ff2020"
PREVIEW_COLOR = "#ffd600"  # a yellow outline: never a committed object's (filled) look
PREVIEW_CONTOUR = 2        # outline width in pixels


@contextmanager
def adding_layer(viewer):
    """Add a layer under the clicks and leave the selection alone.

    napari selects each new layer, but mouse and keys reach only the selected one: the
    user's (the clicks layer) stays selected; and the clicks stay drawn above the masks.
    """
    layers = viewer.layers
    active = layers.selection.active
    yield
    if POINTS in layers:
        layers.move(layers.index(POINTS), len(layers))
    if active is not None and active in layers:
        layers.selection.active = active


def add_points(viewer, ndim: int):
    """The clicks layer: its ``positive`` feature is each click's polarity, and its colour."""
    layer = viewer.add_points(np.empty((0, ndim)), name=POINTS, ndim=ndim, size=8, border_color="white",
                              features={"positive": np.zeros(0, bool)}, face_color="positive",
                              face_color_cycle={True: POSITIVE, False: NEGATIVE})
    layer.feature_defaults["positive"] = True
    return layer


def add_preview(viewer, shape: tuple[int, int]):
    """The current object: label 1 drawn as a `PREVIEW_COLOR` outline, whatever the objects' colours."""
    colormap = DirectLabelColormap(color_dict={None: "transparent", 0: "transparent", 1: PREVIEW_COLOR})
    layer = viewer.add_labels(np.zeros(shape, np.uint8), name=PREVIEW, opacity=1.0, colormap=colormap)
    layer.contour = PREVIEW_CONTOUR
    return layer


def add_objects(viewer, data: np.ndarray):
    return viewer.add_labels(data, name=OBJECTS)
