"""The user's actions on the current object, and following the clicks layer's data (no Qt here).

However a point comes, goes, moves or changes polarity (a mouse click, the layer's own tools,
``layer.add``, ``layer.data = ...``, its ``positive`` feature), the object follows through
`translate.click_ops`; the controller's own changes to the layer are made quietly.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from napari.utils.notifications import show_info

from . import layers as L
from .translate import click_ops, points_to_clicks


class ActionsMixin:
    """User actions of `Controller` (which holds the layers, the queue and the worker)."""

    # -- following the clicks layer -------------------------------------------------------
    @contextmanager
    def _quietly(self):
        """Change the clicks layer without it counting as the user's edit."""
        self._quiet, quiet = True, self._quiet
        try:
            yield
        finally:
            self._quiet = quiet

    def _points_changed(self, event=None) -> None:
        action = str(getattr(event, "action", ""))
        if self._quiet or self.image is None or action.endswith("ing"):  # adding, changing, removing
            return
        layer = self.viewer.layers[L.POINTS] if L.POINTS in self.viewer.layers else None
        if layer is None or len(layer.features) != len(layer.data):
            return  # mid-update: the other half of the change follows
        positive = np.asarray(layer.features["positive"], bool)
        clicks = points_to_clicks(layer.data, positive, self._index, self.plane_shape[-2:])
        if len(clicks) < len(layer.data):
            self.status(f"{len(layer.data) - len(clicks)} point(s) outside the image or slice are ignored")
        ops, self._clicks = click_ops(self._clicks, clicks), clicks
        for kind, click in ops:
            self._enqueue(kind, click)

    def _clear_points(self) -> None:
        with self._quietly():
            self.points().data = np.empty((0, self.ndim))
        self._clicks = []

    # -- user actions ---------------------------------------------------------------------
    def add_click(self, data_coords, positive: bool) -> None:
        """A click at data coordinates of the image layer (what a mouse click on the canvas does)."""
        if self.image is None:
            show_info("napari-cag: choose an image layer first")
            return
        coords = np.asarray(data_coords, float)[-self.ndim:]
        h, w = self.plane_shape[-2:]
        if not (-0.5 <= coords[-2] < h - 0.5 and -0.5 <= coords[-1] < w - 0.5):
            show_info("napari-cag: that click is outside the image; ignored")
            return
        points = self.points()
        points.feature_defaults["positive"] = positive
        with self._quietly():  # napari fires several data events for one add: read the layer once, below
            points.add(coords[None])
        points.feature_defaults["positive"] = self.positive
        self._points_changed()  # the new point is a click

    def set_positive(self, positive: bool) -> None:
        """What a new point is (a left click, the layer's add mode, ``layer.add``)."""
        self.positive = bool(positive)
        if self.image is not None:
            self.points()

    def flip_selected(self) -> None:
        """Swap the polarity of the selected points (the last point when none is selected)."""
        points = self.points()
        # napari keeps the index of a point removed by `undo_click` in the selection: only points that exist
        chosen = sorted(i for i in points.selected_data if i < len(points.data))
        chosen = chosen or ([len(points.data) - 1] if len(points.data) else [])
        if chosen:
            features = points.features.copy()
            features.loc[chosen, "positive"] = ~features.loc[chosen, "positive"].astype(bool)
            points.features = features  # -> _points_changed -> the clicks are replayed

    def undo_click(self) -> None:
        points = self.points()
        if len(points.data):
            points.data = points.data[:-1]  # -> _points_changed -> undo

    def reset(self) -> None:
        """Drop the current object (an edited object stays as it was committed)."""
        self._clear_points()
        self.editing = None
        if L.PREVIEW in self.viewer.layers:
            self.viewer.layers[L.PREVIEW].data = np.zeros_like(self.viewer.layers[L.PREVIEW].data)
        self._enqueue("clear")

    def commit(self) -> None:
        self._enqueue("commit")
        self._clear_points()
        self.editing = None

    def edit_at(self, data_coords) -> None:
        """Load the committed object under `data_coords` as the current object, to refine it."""
        if self.image is None or self._objects is None:
            show_info("napari-cag: no committed object to edit yet")
            return
        r, c = (int(round(v)) for v in np.asarray(data_coords, float)[-2:])
        plane = self._objects[self._index.leading] if self._index.leading else self._objects
        if not (0 <= r < plane.shape[0] and 0 <= c < plane.shape[1]) or plane[r, c] == 0:
            show_info("napari-cag: no committed object there; Shift+click on an object to edit it")
            return
        label = int(plane[r, c])
        self._clear_points()
        self._enqueue("clear")
        self._enqueue("edit", edit=(label, plane == label))
        self.editing = label
        self.status(f"Editing object {label}: click to refine it, C commits it back as {label}.")

    def undo_commit(self) -> None:
        from ..labels import undo_edit

        if not self.edits:
            show_info("napari-cag: nothing to undo")
            return
        layer = self.objects()
        undo_edit(self._objects, self.edits.pop())
        layer.refresh()

    def slice_changed(self) -> None:
        """Moving to another slice starts a fresh object there."""
        if self.image is None:
            return
        if self._clicks or self.editing is not None:
            self._enqueue("clear")  # on the slice left
            self._clear_points()
            self.editing = None
            self.status("new slice: started a fresh object")
        self._index = self.current_index()
        self._enqueue("prepare")
