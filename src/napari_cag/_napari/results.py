"""What the controller does with a worker's `ops.Result`: the preview, commits, guidance, notes."""

from __future__ import annotations

import numpy as np
from napari.utils.notifications import show_error, show_info, show_warning

from ..labels import paint_mask
from . import layers as L
from .edit import replace_label
from .failures import WorkFailed, describe


class ResultsMixin:
    """The GUI-thread half of `Controller` (it holds the layers and the worker's state)."""

    def preview(self, shape: tuple[int, int] | None = None, origin: tuple[int, int] = (0, 0)):
        """The 2D mask preview, covering the session's current view (the whole plane of a
        small image), so that showing a click costs what the view costs, not the image."""
        shape = tuple(shape or self.plane_shape[-2:])
        layer = self._layer(L.PREVIEW, lambda: L.add_preview(self.viewer, shape))
        if layer.data.shape != shape:
            layer.data = np.zeros(shape, np.uint8)
        scale = np.asarray(self.image.scale[-2:])
        translate = np.asarray(self.image.translate[-2:]) + np.asarray(origin) * scale
        # setting either recomputes the viewer's extent and redraws every layer: only when it moved
        if not np.array_equal(layer.scale, scale):
            layer.scale = scale
        if not np.array_equal(layer.translate, translate):
            layer.translate = translate
        return layer

    def _failed(self, err: Exception) -> None:
        self._worker = None
        if self._closed:
            return
        self.busy(False)
        message = describe(err)
        self.status(message)
        show_error(f"napari-cag: {message}")
        if isinstance(err, (FileNotFoundError, ValueError, WorkFailed)) and self._predictor is None:
            self._ops.clear()  # the model cannot load: drop the queue rather than fail once per click
        self._start()

    def _next(self) -> None:
        self.busy(bool(self._ops))
        self._start()

    def _show(self, result) -> None:
        self._worker = None
        if self._closed:
            return
        current = self.image is not None and result.name == self.image.name
        if not current:
            # the image was removed or another one chosen while this ran: a commit it made is
            # kept in the output labels if they still fit, anything else is stale
            if result.commits and self._objects is not None:
                show_info("napari-cag: the image changed during a commit; the object was kept")
            else:
                return self._next()
        for index, origin, mask, label in result.commits:
            self._paint(index, origin, mask, label)
        if not current:
            return self._next()
        for message in result.warnings:
            if message not in self._told:
                self._told.add(message)
                show_warning(f"napari-cag ({self.image.name}): {message}")
        mask, (y0, x0) = result.mask, result.region
        empty = mask is None or not mask.any()
        if (result.index is not None and not self._ops and result.index == self._index
                and not (empty and L.PREVIEW not in self.viewer.layers)):
            # newer operations supersede this view: only the newest is shown
            preview = self.preview(None if mask is None else mask.shape, (y0, x0))
            preview.data[...] = 0
            if not empty:
                preview.data[mask] = 1
            preview.refresh()
            if result.maps is not None:
                self._show_guidance(result.maps, (y0, x0))
        self._next()

    def _paint(self, index, origin, mask, label) -> None:
        """Write a committed mask (of a view at `origin`) into the output labels, undoably."""
        layer = self.objects() if self.image is not None else None
        full = np.zeros(self._objects.shape[-2:], bool)
        full[origin[0]:origin[0] + mask.shape[0], origin[1]:origin[1] + mask.shape[1]] = mask
        overwrite = self.settings.overwrite
        if label is None:
            edit = paint_mask(self._objects, index.leading, full, overwrite=overwrite)
        else:
            edit = replace_label(self._objects, index.leading, full, label, overwrite=overwrite)
        self.edits.append(edit)
        if layer is not None:
            layer.refresh()

    def _show_guidance(self, maps: dict, origin: tuple[int, int]) -> None:
        """The maps the network saw, as image layers placed over the view they were computed on."""
        from ..guidance import CHANNELS

        translate = np.asarray(self.image.translate[-2:]) + np.asarray(origin) * np.asarray(self.image.scale[-2:])
        for key, data in maps.items():
            name = f"napari-cag {CHANNELS[key]}"
            if name in self.viewer.layers:
                self.viewer.layers[name].data = data
            else:
                with L.adding_layer(self.viewer):
                    self.viewer.add_image(data, name=name, colormap="magma", contrast_limits=(0, 255),
                                          visible=False, blending="additive", scale=self.image.scale[-2:])
            self.viewer.layers[name].translate = translate
