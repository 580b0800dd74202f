"""Connects napari layers to core `Session` objects; predictions run on one worker thread.

Operations (click, undo, reset, commit) are queued and applied in order by a
single worker, so the session never races with itself; after each batch only
the newest state is shown, so a click that arrives during a prediction
supersedes it and a stale mask is never displayed.
"""

from __future__ import annotations

from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from napari.qt.threading import thread_worker
from napari.utils.notifications import show_error, show_info

from ..labels import LabelsEdit, paint_mask, undo_edit
from .translate import SliceIndex, image_plane

POINTS, PREVIEW, OBJECTS = "napari-cag clicks", "napari-cag preview", "napari-cag objects"
POSITIVE, NEGATIVE = "#00e000", "#ff2020"


@dataclass
class Settings:
    """What the widget lets a user choose (the paper's defaults)."""

    model: str | None = None   # None: shipped default weights
    device: str | None = None  # None: auto
    n_segments: int = 1000
    f: float = 1.0             # Eq. 4 truncation factor
    f2: float = 3.0            # Eq. 5 upper size factor (f1 = 0, Sec. 4.4)
    overwrite: bool = False
    show_guidance: bool = False


@dataclass
class _Op:
    kind: str
    index: SliceIndex
    click: tuple | None = None
    plane: np.ndarray | None = field(default=None, repr=False)
    limits: tuple | None = None


class Controller:
    """Interactive segmentation state of one viewer."""

    def __init__(self, viewer, status: Callable[[str], None] = lambda s: None,
                 busy: Callable[[bool], None] = lambda b: None):
        self.viewer, self.status, self.busy = viewer, status, busy
        self.settings = Settings()
        self.image = None
        self.sessions: dict = {}
        self.positive = True
        self.edits: list[LabelsEdit] = []
        self._predictor = None
        self._ops: deque[_Op] = deque()
        self._worker = None
        self._objects = None

    # -- layers ---------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return self.image.ndim if self.image is not None else 2

    @property
    def plane_shape(self) -> tuple[int, ...]:
        shape = self.image.data.shape
        return tuple(shape[:-1] if self.image.rgb else shape)

    def _layer(self, name: str, make: Callable):
        if name in self.viewer.layers:
            return self.viewer.layers[name]
        with self._adding_layer():
            layer = make()
        if layer.ndim == self.image.ndim:  # the 2D preview places itself over its view
            layer.scale, layer.translate = self.image.scale, self.image.translate
        return layer

    @contextmanager
    def _adding_layer(self):
        """Add a layer under the clicks and leave the selection alone.

        napari selects each new layer, but mouse and keys reach only the selected one: the
        user's (the clicks layer) stays selected; and the clicks stay drawn above the masks.
        """
        layers = self.viewer.layers
        active = layers.selection.active
        yield
        if POINTS in layers:
            layers.move(layers.index(POINTS), len(layers))
        if active is not None and active in layers:
            layers.selection.active = active

    def points(self):
        return self._layer(POINTS, lambda: self.viewer.add_points(
            np.empty((0, self.ndim)), name=POINTS, ndim=self.ndim, size=8, border_color="white",
            features={"positive": np.zeros(0, bool)}, face_color="positive",
            face_color_cycle=[NEGATIVE, POSITIVE]))

    def preview(self, shape: tuple[int, int] | None = None, origin: tuple[int, int] = (0, 0)):
        """The 2D mask preview, covering the session's current view (the whole plane of a
        small image), so that showing a click costs what the view costs, not the image."""
        shape = tuple(shape or self.plane_shape[-2:])
        layer = self._layer(PREVIEW, lambda: self.viewer.add_labels(np.zeros(shape, np.uint8), name=PREVIEW,
                                                                   opacity=0.5))
        if layer.data.shape != shape:
            layer.data = np.zeros(shape, np.uint8)
        scale = np.asarray(self.image.scale[-2:])
        layer.scale = scale
        layer.translate = np.asarray(self.image.translate[-2:]) + np.asarray(origin) * scale
        return layer

    def objects(self):
        """The output labels; deleting the layer loses nothing: it comes back with every commit."""
        if self._objects is None or self._objects.shape != self.plane_shape:
            self._objects, self.edits = np.zeros(self.plane_shape, np.int32), []
        if OBJECTS not in self.viewer.layers and self.edits:
            show_info(f"napari-cag: restored the output layer with its {len(self.edits)} committed objects")
        return self._layer(OBJECTS, lambda: self.viewer.add_labels(self._objects, name=OBJECTS))

    def set_image(self, layer) -> None:
        """Segment `layer` from now on (an image layer; multiscale is not supported)."""
        if layer is not None and getattr(layer, "multiscale", False):
            show_error("napari-cag: multiscale image layers are not supported; open the full-resolution level")
            layer = None
        self.image, self.sessions = layer, {}
        self._ops.clear()
        if layer is None:
            return
        layers = self.viewer.layers
        if POINTS in layers and layers[POINTS].ndim != self.ndim:
            layers.remove(POINTS)  # made for an image of other dimensions
        if PREVIEW in layers:
            layers.remove(PREVIEW)  # it belonged to the last image's view
        if POINTS in layers:
            layers[POINTS].data = np.empty((0, self.ndim))
        self.viewer.layers.selection.active = self.points()  # preview and output layers come when needed
        self._enqueue("prepare")

    def detach(self, *args) -> None:
        """The widget is gone: stop reporting to it (a running worker may still finish)."""
        self.status, self.busy = (lambda text: None), (lambda busy: None)

    def reload(self, model_changed: bool = True) -> None:
        """Settings changed: prepare the image again with them (layers and committed labels stay)."""
        if model_changed:
            self._predictor = None
        self.sessions = {}
        if self.image is not None and len(self.points().data):
            self.reset()
        self._enqueue("prepare")

    def current_index(self) -> SliceIndex:
        return SliceIndex.from_point(self.viewer.dims.current_step, self.ndim)

    # -- user actions ---------------------------------------------------------------------
    def add_click(self, data_coords, positive: bool) -> None:
        """A click at data coordinates of the image layer."""
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
        points.add(coords[None])
        self._enqueue("click", (coords[-2], coords[-1], positive))

    def undo_click(self) -> None:
        points = self.points()
        if len(points.data):
            points.data = points.data[:-1]
            self._enqueue("undo")

    def reset(self) -> None:
        self.points().data = np.empty((0, self.ndim))
        if PREVIEW in self.viewer.layers:
            self.viewer.layers[PREVIEW].data = np.zeros_like(self.viewer.layers[PREVIEW].data)
        self._enqueue("reset")

    def commit(self) -> None:
        self._enqueue("commit")

    def undo_commit(self) -> None:
        if not self.edits:
            show_info("napari-cag: nothing to undo")
            return
        layer = self.objects()
        undo_edit(self._objects, self.edits.pop())
        layer.refresh()

    def slice_changed(self) -> None:
        """Moving to another slice starts a fresh object there."""
        if self.image is not None and len(self.points().data):
            self.reset()
            self.status("new slice: started a fresh object")
        self._enqueue("prepare")

    # -- the worker -----------------------------------------------------------------------
    def _enqueue(self, kind: str, click=None) -> None:
        if self.image is None:
            return
        index = self.current_index()
        op = _Op(kind, index, click)
        if (self.image.name, index) not in self.sessions:
            op.plane = image_plane(self.image.data, index, self.image.rgb)
            op.limits = tuple(self.image.contrast_limits) if not self.image.rgb else None
        self._ops.append(op)
        self._start()

    def _start(self) -> None:
        if self._worker is not None or not self._ops:
            return
        ops, name = list(self._ops), self.image.name
        self._ops.clear()
        self.busy(True)
        # handlers passed at creation: superqt re-raises errors of a worker created without one;
        # the worker keeps the sessions dict of its image even if another image is chosen meanwhile
        self._worker = thread_worker(self._apply, start_thread=False,
                                     connect={"returned": self._show, "errored": self._failed})(ops, name,
                                                                                               self.sessions)
        self._worker.start()

    def _session(self, op: _Op, name: str, sessions: dict):
        from ..predictor import Predictor
        from ..session import Session

        key = (name, op.index)
        if key not in sessions:
            if self._predictor is None:
                self._predictor = Predictor(self.settings.model, device=self.settings.device)
            # scale-aware factors apply to models trained with scale-aware maps, and to the display
            self._predictor.config = replace(self._predictor.config, f=self.settings.f, f2=self.settings.f2)
            sessions[key] = Session(op.plane, model=self._predictor, contrast_limits=op.limits,
                                    n_segments=self.settings.n_segments)
        return sessions[key]

    def _apply(self, ops: list[_Op], name: str, sessions: dict):
        """Worker thread: apply operations in order; return what the GUI must show."""
        from ..guidance import guidance_maps

        shown, commits = None, []
        for op in ops:
            if op.plane is None and (name, op.index) not in sessions:
                continue  # queued for a session that a settings change has since dropped
            session = self._session(op, name, sessions)
            if op.kind == "click":
                session.add_click(*op.click)
            elif op.kind == "undo":
                session.undo()
            elif op.kind == "reset":
                session.reset()
            elif op.kind == "commit" and session.clicks:
                commits.append((op.index, (session.view.y0, session.view.x0), session.view_mask()))
                session.reset()
            shown = (op.index, session)
        if shown is None:
            return name, None, (0, 0), None, None, commits
        index, session = shown
        view, mask = session.view, session.view_mask()
        maps = None
        if self.settings.show_guidance and view is not None:
            maps = guidance_maps(view.structure, view.local(session.clicks), previous_mask=mask,
                                 f=self.settings.f, f2=self.settings.f2)
        region = (view.y0, view.x0) if view is not None else (0, 0)
        return name, index, region, mask, maps, commits

    def _failed(self, err: Exception) -> None:
        self._worker = None
        self.busy(False)
        message = f"{type(err).__name__}: {err}"
        self.status(message)
        show_error(f"napari-cag: {message}")
        if isinstance(err, (FileNotFoundError, ValueError)) and self._predictor is None:
            self._ops.clear()  # the model cannot load: drop the queue rather than fail once per click
        self._start()

    def _show(self, result) -> None:
        self._worker = None
        name, index, (y0, x0), mask, maps, commits = result
        if self.image is None or name != self.image.name:
            # the image was removed or another one chosen while this ran: a commit it made is
            # kept in the output labels if they still fit, anything else is stale
            if commits and self._objects is not None:
                show_info("napari-cag: the image changed during a commit; the object was kept")
            else:
                self.busy(bool(self._ops))
                self._start()
                return
        for commit_index, origin, commit_mask in commits:
            layer = self.objects() if self.image is not None else None
            full = np.zeros(self._objects.shape[-2:], bool)
            full[origin[0]:origin[0] + commit_mask.shape[0], origin[1]:origin[1] + commit_mask.shape[1]] = commit_mask
            self.edits.append(paint_mask(self._objects, commit_index.leading, full, overwrite=self.settings.overwrite))
            if layer is not None:
                layer.refresh()
                self.points().data = np.empty((0, self.ndim))
        if self.image is None or name != self.image.name:
            self.busy(bool(self._ops))
            self._start()
            return
        empty = mask is None or not mask.any()
        if index is not None and not self._ops and index == self.current_index() and not (empty and PREVIEW not in self.viewer.layers):
            # newer operations supersede this view: only the newest is shown
            preview = self.preview(None if mask is None else mask.shape, (y0, x0))
            preview.data[...] = 0
            if not empty:
                preview.data[mask] = 1
            preview.refresh()
            if maps is not None:
                self._show_guidance(maps, (y0, x0))
        self.busy(bool(self._ops))
        self._start()

    def _show_guidance(self, maps: dict, origin: tuple[int, int]) -> None:
        """The maps the network saw, as image layers placed over the view they were computed on."""
        from ..guidance import CHANNELS

        translate = np.asarray(self.image.translate[-2:]) + np.asarray(origin) * np.asarray(self.image.scale[-2:])
        for key, data in maps.items():
            name = f"napari-cag {CHANNELS[key]}"
            if name in self.viewer.layers:
                self.viewer.layers[name].data = data
            else:
                with self._adding_layer():
                    self.viewer.add_image(data, name=name, colormap="magma", contrast_limits=(0, 255),
                                          visible=False, blending="additive", scale=self.image.scale[-2:])
            self.viewer.layers[name].translate = translate
