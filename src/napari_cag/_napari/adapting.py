"""Adapt to my objects: fine-tune the model in use on the objects committed on the plane on display.

`napari_cag.adaptation.adapt` runs on its own worker, beside the clicks' worker (it trains a copy
of the network, so the clicks go on with the model in use meanwhile); its progress goes to a
callback and a cancel flag is polled between training steps. An adapted model stays in memory,
one model-box entry each (`Controller.adaptations`), until the viewer closes.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np
from napari.qt.threading import thread_worker
from napari.utils.notifications import show_error, show_info

from ..adaptation import MIN_OBJECTS
from .translate import image_plane


def _run(model, image, labels, kwargs):
    """Worker thread: the core call (looked up at call time, so a test can stand in for it)."""
    from .. import adaptation

    return adaptation.adapt(model, image, labels, **kwargs)


class AdaptingMixin:
    """The Adapt action of `Controller` (which holds the image, the committed labels and the model)."""

    _adapting = None            # the running worker
    _adapt_cancelled = False
    notice: str | None = None   # shown once, instead of "Ready", when the next worker run ends

    def model_choice(self):
        """What `settings.model` names: an `Adaptation` for an adapted entry, else the name itself."""
        return self.adaptations.get(self.settings.model, self.settings.model)

    def committed_labels(self) -> np.ndarray | None:
        """The output labels of the plane on display (None before the first commit)."""
        if self.image is None or self._objects is None or self._objects.shape != self.plane_shape:
            return None
        return self._objects[self._index.leading] if self._index.leading else self._objects

    def committed_objects(self) -> int:
        labels = self.committed_labels()
        return 0 if labels is None else int(np.count_nonzero(np.unique(labels)))

    def start_adapting(self, report: Callable[[str, int, int], None], done: Callable) -> bool:
        """Adapt the model in use to the plane's committed objects, or cancel the run under way.

        `report(phase, done, total)` is called from the worker thread; `done(result, name)` on the
        GUI thread when the run ends (`result` None after an error; `name` the new model-box entry,
        None when the model was kept). Returns whether a run started.
        """
        if self._adapting is not None:
            self._adapt_cancelled = True
            self.status("Cancelling the adaptation (at the next training step)…")
            return False
        count = self.committed_objects()
        if count < MIN_OBJECTS:
            show_info(f"napari-cag: adapting needs at least {MIN_OBJECTS} committed objects on this image, "
                      f"{count} so far")
            return False
        labels = self.committed_labels().copy()  # the user may commit on while it trains
        plane = image_plane(self.image.data, self._index, self.image.rgb)
        p = self._predictor
        # "auto" is left to adapt, which picks by this plane (the predictor's own switch is the clicks')
        model = (p.net, p.config) if p is not None and not p.auto else self.model_choice()
        kwargs = {"steps": self.settings.adapt_steps, "device": self.settings.device,
                  # the image as the clicks see it
                  "contrast_limits": None if self.image.rgb else tuple(self.image.contrast_limits),
                  "n_segments": self.settings.n_segments,
                  "threads": max(1, (os.cpu_count() or 2) - 1),  # a core left for the clicks meanwhile
                  "progress": lambda *args: None if self._closed else report(*args),
                  "cancel": lambda: self._adapt_cancelled or self._closed}
        self._adapt_cancelled = False
        self._adapting = thread_worker(_run, start_thread=False, connect={
            "returned": lambda result: self._adapted(result, done),
            "errored": lambda err: self._adapt_failed(err, done)})(model, plane, labels, kwargs)
        self.status(f"Adapting the model to {count} objects… (press the button again to cancel)")
        self._adapting.start()
        return True

    def _adapted(self, result, done: Callable) -> None:
        self._adapting = None
        if self._closed:
            return
        name = None
        if result.adapted:
            name, k = f"adapted ({result.objects} objects)", 2
            while name in self.adaptations:
                name, k = f"adapted ({result.objects} objects, #{k})", k + 1
            self.adaptations[name] = result
        if result.adapted or self._worker is not None:  # a run ending now would say "Ready" over it
            self.notice = result.message  # (choosing the new entry prepares the image again)
        self.status(result.message)
        done(result, name)

    def _adapt_failed(self, err: Exception, done: Callable) -> None:
        self._adapting = None
        if self._closed:
            return
        message = f"adapting failed: {type(err).__name__}: {err}"
        self.status(message)
        show_error(f"napari-cag: {message}")
        done(None, None)
