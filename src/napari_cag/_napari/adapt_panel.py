"""The widget's "Adapt to my objects" and "Save model…" buttons, and the adaptation's progress bar.

The work itself is `Controller.start_adapting` (`adapting.py`); this only translates buttons and
the worker's progress into Qt, and an adapted model into a model-box entry.
"""

from __future__ import annotations

from pathlib import Path

from napari.utils.notifications import show_error
from qtpy.QtCore import QObject, Signal
from qtpy.QtWidgets import QFileDialog, QGridLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QWidget

from ..adaptation import MIN_OBJECTS

ADAPT, CANCEL, CANCELLING = "Adapt to my objects", "Cancel adapting", "Cancelling…"
SAVE = "Save model…"
PHASES = {"structure": "preparing", "train": "training", "check": "checking"}


class _Relay(QObject):
    """Carries progress from the worker thread to the GUI thread (a signal across threads is queued)."""

    moved = Signal(str, int, int)


class AdaptPanel(QWidget):
    """Adapt the model in use to the objects committed on this image; save what came of it."""

    def __init__(self, controller, settings):
        super().__init__()
        self.controller, self.settings = controller, settings
        self.adapt_button, self.save_button = QPushButton(ADAPT), QPushButton(SAVE)
        self.steps = QSpinBox()
        self.steps.setRange(1, 100_000)
        self.steps.setValue(controller.settings.adapt_steps)
        self.steps.setToolTip("Training steps of 8 simulated interactions (40 take about a minute on a laptop CPU)")
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self._relay = _Relay(self)
        self._counted = (None, 0)  # (what the count depends on, objects committed on the plane)

        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.adapt_button, 0, 0)
        layout.addWidget(QLabel("steps"), 0, 1)
        layout.addWidget(self.steps, 0, 2)
        layout.addWidget(self.save_button, 1, 0)
        layout.addWidget(self.bar, 2, 0, 1, 3)

        self.adapt_button.clicked.connect(self.adapt)
        self.save_button.clicked.connect(self.save)
        self.steps.valueChanged.connect(lambda value: setattr(controller.settings, "adapt_steps", value))
        self._relay.moved.connect(self._moved)
        self.refresh()

    def refresh(self, *args) -> None:
        """Follow the committed objects: the button is enabled from `MIN_OBJECTS` of them on."""
        c = self.controller
        running = c._adapting is not None
        last = c.edits[-1] if c.edits else None
        key = (c.image.name if c.image is not None else None, c._index, len(c.edits), id(last), id(c._objects))
        if key != self._counted[0]:  # counting the labels costs ~50 ms on a 2048² plane: only after a change
            self._counted = (key, c.committed_objects())
        count = self._counted[1]
        if not running:
            self.adapt_button.setText(ADAPT)
            self.bar.setVisible(False)
        self.adapt_button.setEnabled(self.adapt_button.text() == CANCEL if running else count >= MIN_OBJECTS)
        self.adapt_button.setToolTip(
            "Cancel: the model in use stays" if running else
            f"Fine-tune the model in use on the objects committed on this image (and check it on some held "
            f"back): needs at least {MIN_OBJECTS}, {count} so far")
        self.save_button.setEnabled(bool(c.adaptations))
        self.save_button.setToolTip("Write the adapted model to a .safetensors file" if c.adaptations else
                                    "Adapt to your objects first")

    def adapt(self) -> None:
        """Start adapting, or cancel the run under way."""
        c = self.controller
        if c._adapting is not None:
            c.start_adapting(self._report, self._done)  # cancels
            self.adapt_button.setText(CANCELLING)
        elif c.start_adapting(self._report, self._done):
            self.adapt_button.setText(CANCEL)
            self.bar.setRange(0, 0)
            self.bar.setFormat("preparing")
            self.bar.setVisible(True)
        self.refresh()

    def _report(self, phase: str, done: int, total: int) -> None:
        """Worker thread."""
        try:
            self._relay.moved.emit(phase, done, total)
        except RuntimeError:  # the widget is gone
            pass

    def _moved(self, phase: str, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.bar.setFormat(f"{PHASES.get(phase, phase)} %v/%m")

    def _done(self, result, name: str | None) -> None:
        if name is not None:
            self.settings.add_choice(name)  # and use it: the image is prepared again with it
        self.refresh()

    def chosen(self):
        """The adaptation to save: the one in use, else the newest."""
        c = self.controller
        return c.adaptations.get(c.settings.model) or next(reversed(c.adaptations.values()), None)

    def save_path(self, suggestion: str) -> str:
        """Ask where to write (a test stands in for the dialog); '' when the user cancels."""
        path, _ = QFileDialog.getSaveFileName(self, "Save the adapted model", suggestion,
                                              "safetensors (*.safetensors)")
        return path

    def save(self) -> None:
        adaptation = self.chosen()
        if adaptation is None:
            return
        path = self.save_path(f"{adaptation.config.meta.get('name', 'adapted')}.safetensors")
        if not path:
            return
        path = Path(path) if Path(path).suffix == ".safetensors" else Path(f"{path}.safetensors")
        try:
            written = adaptation.save(path)
        except (OSError, ValueError) as err:
            show_error(f"napari-cag: could not save the model: {type(err).__name__}: {err}")
            return
        self.controller.status(f"Saved the adapted model to {written}; the model box's "
                               f"'choose a .safetensors file…' loads it.")
