"""Connects napari layers to core `Session` objects; predictions run on one worker thread.

The clicks layer's data is the truth: however a point comes, goes, moves or changes
polarity (a mouse click, the layer's own tools, ``layer.add``, ``layer.data = ...``),
the current object follows (`translate.click_ops`). Operations are queued and applied
in order by a single worker (`ops.apply_ops`), so the session never races with itself.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np
from napari.qt.threading import thread_worker
from napari.utils.notifications import show_error, show_info

from . import layers as L
from .layers import NEGATIVE, OBJECTS, POINTS, POSITIVE, PREVIEW  # noqa: F401 (the widget's layer names)
from .ops import Op, apply_ops
from .actions import ActionsMixin
from .adapting import AdaptingMixin
from .failures import reported
from .propagation import PropagationMixin
from .results import ResultsMixin
from .translate import SliceIndex, image_plane


@dataclass
class Settings:
    """What the widget lets a user choose (the paper's defaults)."""

    model: str | None = None   # None: shipped default weights
    device: str | None = None  # None: auto
    n_segments: int | None = None  # None: the model's own setting
    f: float = 1.0             # Eq. 4 truncation factor
    f2: float = 3.0            # Eq. 5 upper size factor (f1 = 0, Sec. 4.4)
    overwrite: bool = False
    show_guidance: bool = False
    refine: str = "auto"       # full-resolution refinement: auto (by the image), natural, microscopy, none
    adapt_steps: int = 40      # training steps of "Adapt to my objects"


class Controller(ActionsMixin, ResultsMixin, PropagationMixin, AdaptingMixin):
    """Interactive segmentation state of one viewer.

    `status(text)`, `busy(flag)` and `progress(done, total)` (None, None: finished) report to the widget.
    """

    def __init__(self, viewer, status: Callable[[str], None] = lambda s: None,
                 busy: Callable[[bool], None] = lambda b: None, progress: Callable = lambda done, total: None):
        self.viewer, self.status, self.busy, self.progress = viewer, status, busy, progress
        self.settings = Settings()
        self.image = None
        self.sessions: dict = {}
        self.refining: dict = {}     # (image, plane) -> EditSession of a committed object being edited
        self.positive = True
        self.editing: int | None = None  # id of the committed object being edited
        self.edits: list = []        # LabelsEdit of each commit, for Undo commit
        self._predictor = None
        self.adaptations: dict = {}  # model-box entry -> the `Adaptation` it names
        self._ops: deque[Op] = deque()
        self._worker = None
        self._objects = None
        self._clicks: list = []      # the current object's clicks, as queued
        self._index = SliceIndex(())
        self._quiet = False
        self._closed = False
        self._wired = None           # the clicks layer whose events are followed
        self._told: set[str] = set()  # warnings already shown for this image

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
        with L.adding_layer(self.viewer):
            layer = make()
        if layer.ndim == self.image.ndim:  # the 2D preview places itself over its view
            layer.scale, layer.translate = self.image.scale, self.image.translate
        return layer

    def points(self):
        layer = self._layer(L.POINTS, lambda: L.add_points(self.viewer, self.ndim))
        if layer is not self._wired:  # a new clicks layer (the user may delete it)
            layer.events.data.connect(self._points_changed)
            layer.events.features.connect(self._points_changed)
            self._wired = layer
        layer.feature_defaults["positive"] = self.positive
        return layer

    def objects(self):
        """The output labels; deleting the layer loses nothing: it comes back with every commit."""
        if self._objects is None or self._objects.shape != self.plane_shape:
            self._objects, self.edits = np.zeros(self.plane_shape, np.int32), []
        if L.OBJECTS not in self.viewer.layers and self.edits:
            show_info(f"napari-cag: restored the output layer with its {len(self.edits)} committed objects")
        return self._layer(L.OBJECTS, lambda: L.add_objects(self.viewer, self._objects))

    def set_image(self, layer) -> None:
        """Segment `layer` from now on (an image layer; multiscale is not supported)."""
        if layer is not None and getattr(layer, "multiscale", False):
            show_error("napari-cag: multiscale image layers are not supported; open the full-resolution level")
            layer = None
        self.image, self.sessions, self.refining, self._told = layer, {}, {}, set()
        self._ops.clear()
        self._clicks, self.editing = [], None
        if layer is None:
            return
        layers = self.viewer.layers
        if L.POINTS in layers and layers[L.POINTS].ndim != self.ndim:
            layers.remove(L.POINTS)  # made for an image of other dimensions
        if L.PREVIEW in layers:
            layers.remove(L.PREVIEW)  # it belonged to the last image's view
        self._index = self.current_index()
        with self._quietly():
            self.points().data = np.empty((0, self.ndim))
        self.viewer.layers.selection.active = self.points()  # preview and output layers come when needed
        self._enqueue("prepare")

    def close(self, timeout: float = 60.0) -> None:
        """The widget or viewer is closing: drop the queue, stop the worker and wait for it."""
        self._closed = True
        self._ops.clear()
        self.status, self.busy, self.progress = (lambda text: None), (lambda busy: None), (lambda d, t: None)
        deadline = time.monotonic() + timeout
        # kept referenced until they have returned; an adaptation stops at its next training step
        for worker in (self._worker, self._propagation, self._adapting):
            if worker is not None:
                worker.quit()  # it stops at the next operation or slice
                while worker.is_running and time.monotonic() < deadline:
                    time.sleep(0.01)

    def reload(self, model_changed: bool = True) -> None:
        """Settings changed: prepare the image again with them (layers and committed labels stay)."""
        if model_changed:
            self._predictor = None
        self.sessions, self.refining = {}, {}
        if self.image is not None and (self._clicks or self.editing is not None):
            self.reset()
        self._enqueue("prepare")

    def current_index(self) -> SliceIndex:
        return SliceIndex.from_point(self.viewer.dims.current_step, self.ndim)

    # -- the worker -----------------------------------------------------------------------
    def _enqueue(self, kind: str, click=None, edit=None) -> None:
        if self.image is None or self._closed:
            return
        op = Op(kind, self._index, click, edit=edit)
        if (self.image.name, op.index) not in self.sessions:
            op.plane = image_plane(self.image.data, op.index, self.image.rgb)
            op.limits = tuple(self.image.contrast_limits) if not self.image.rgb else None
        self._ops.append(op)
        self._start()

    def _start(self) -> None:
        if self._worker is not None or self._propagation is not None or self._closed:
            return  # one worker at a time: the network is shared
        if not self._ops:
            if self._propagate_pending:
                self._start_propagation()
            return
        ops, name = list(self._ops), self.image.name
        self._ops.clear()
        self.busy(True)
        # handlers passed at creation: superqt re-raises errors of a worker created without one;
        # the worker keeps the sessions of its image even if another image is chosen meanwhile
        self._worker = thread_worker(reported(apply_ops), start_thread=False,
                                     connect={"returned": self._show, "errored": self._failed})(
            ops, name, self.sessions, self.refining, self._make_session, self._guidance())
        self._worker.start()

    def _make_session(self, plane, limits):
        """Worker thread: the session of a plane, with the (shared) network."""
        from ..predictor import Predictor
        from ..session import Session

        if self._predictor is None:
            self._predictor = Predictor(self.model_choice(), device=self.settings.device)
        # scale-aware factors apply to models trained with scale-aware maps, and to the display
        self._predictor.update_config(f=self.settings.f, f2=self.settings.f2)
        return Session(plane, model=self._predictor, contrast_limits=limits, n_segments=self.settings.n_segments,
                       refine=self.settings.refine)

    def _guidance(self):
        if not self.settings.show_guidance:
            return None
        from ..guidance import guidance_maps

        f, f2 = self.settings.f, self.settings.f2
        return lambda view, clicks, mask: guidance_maps(view.structure, view.local(clicks), previous_mask=mask,
                                                        f=f, f2=f2)
