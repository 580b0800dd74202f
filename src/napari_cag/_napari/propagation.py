"""Propagate: carry the last committed object through the neighbouring slices or frames.

`napari_cag.propagate.propagate` runs on a generator worker; each slice it reaches is
painted as it comes (the progress bar counts them), Propagate again cancels, and the
whole run is one entry of the undo stack.
"""

from __future__ import annotations

import numpy as np
from napari.qt.threading import thread_worker
from napari.utils.notifications import show_error, show_info

from ..labels import LabelsEdit
from .edit import replace_label
from .failures import describe, reported


def _walk(stack, index, mask, kwargs):
    """Worker thread: the slices `propagate` reaches, one at a time (a quit stops between two)."""
    from ..propagate import propagate

    yield from propagate(stack, index, mask, **kwargs)


class PropagationMixin:
    """The Propagate action of `Controller` (which holds the image, labels and undo stack)."""

    _propagation = None  # the running worker
    _propagate_pending = False
    _run = None

    def propagate(self) -> None:
        """Start propagating the last committed object, or cancel the propagation under way."""
        if self._propagation is not None:
            self._propagation.quit()
            self.status("Propagation cancelled; the slices done so far are kept (Undo commit removes them).")
            return
        if self.image is None or len(self._index.leading) == 0:
            show_info("napari-cag: Propagate needs a 3D stack or a time-lapse")
            return
        self._propagate_pending = True  # after the commits queued before it
        self._start()

    def _start_propagation(self) -> None:
        self._propagate_pending = False
        if not self.edits or self.edits[-1].index[:-1] != self._index.leading[:-1]:
            show_info("napari-cag: commit an object on this stack first, then Propagate carries it on")
            return
        last = self.edits[-1]
        prefix, z = last.index[:-1], last.index[-1]
        stack = np.asarray(self.image.data[prefix] if prefix else self.image.data)
        plane = self._objects[last.index]
        if not (plane == last.label).any():
            show_info(f"napari-cag: object {last.label} is not on slice {z} any more; nothing to propagate")
            return
        # the library's min_overlap (the best on the bundled 3D nuclei, docs/RESULTS.md); the contrast the user sees
        kwargs = {"contrast_limits": None if self.image.rgb else tuple(self.image.contrast_limits)}
        kwargs.update({"predictor": self._predictor} if self._predictor is not None else {"model": self.model_choice()})
        volume = self._objects[prefix] if prefix else self._objects
        self._run = {"label": last.label, "prefix": prefix, "edit": LabelsEdit(prefix, volume.copy(), last.label),
                     "labels": self._objects, "done": 0, "total": stack.shape[0] - 1}
        self.edits.append(self._run["edit"])  # one undo step for the whole run
        self._propagation = thread_worker(reported(_walk), start_thread=False, connect={
            "yielded": self._propagated, "returned": self._propagation_ended,
            "aborted": self._propagation_ended, "errored": self._propagation_failed})(
            stack, int(z), plane == last.label, kwargs)
        self.progress(0, self._run["total"])
        self.status(f"Propagating object {last.label} from slice {z}… (Propagate again cancels)")
        self._propagation.start()

    def _propagated(self, item) -> None:
        z, mask = item
        run = self._run
        replace_label(run["labels"], run["prefix"] + (int(z),), mask, run["label"], overwrite=self.settings.overwrite)
        run["done"] += 1
        self.progress(run["done"], run["total"])
        if self.image is not None and not self._closed:
            self.objects().refresh()

    def _propagation_ended(self, *args) -> None:
        self._propagation = None
        run = self._run
        if run["done"] == 0 and self.edits and self.edits[-1] is run["edit"]:
            self.edits.pop()  # nothing was painted: no undo step
        if not self._closed:
            self.status(f"Object {run['label']} propagated to {run['done']} more slice(s).")
            self.progress(None, None)
        self._start()

    def _propagation_failed(self, err: Exception) -> None:
        self._propagation = None
        if self._run["done"] == 0 and self.edits and self.edits[-1] is self._run["edit"]:
            self.edits.pop()
        if not self._closed:
            show_error(f"napari-cag: propagation failed: {describe(err)}")
            self.progress(None, None)
        self._start()
