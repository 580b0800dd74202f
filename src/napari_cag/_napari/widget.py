"""The "Interactive segmentation" dock widget: it only translates between Qt and the controller."""

from __future__ import annotations

from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout, QLabel,
                            QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from .controller import POINTS, Controller

HELP = ("<b>Left click</b>: positive (object) · <b>right or Ctrl+click</b>: negative<br>"
        "<b>T</b> toggle polarity · <b>C</b> commit · <b>U</b> undo click · <b>R</b> reset object<br>"
        "Keys act while the clicks layer is selected.")
DEFAULT_MODEL = "shipped default"


class InteractiveSegmentation(QWidget):
    """Click on objects, see their mask, commit, next object."""

    def __init__(self, napari_viewer, model: str | None = None):
        super().__init__()
        # Importing torch initialises C extensions while holding the GIL (~0.2 s of frozen viewer
        # if it happened in the worker); do it once here, when the widget opens, not at napari's
        # start-up and not while an image is being prepared.
        import torch  # noqa: F401
        self.viewer = napari_viewer
        self.status = QLabel("Choose an image layer.")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.controller = Controller(napari_viewer, status=self.status.setText, busy=self._busy)
        self.controller.settings.model = str(model) if model else None
        self.destroyed.connect(self.controller.detach)

        self.image_box = QComboBox()
        self.model_box = QComboBox()
        self.model_box.addItems([DEFAULT_MODEL, "choose a .safetensors file…"])
        if model:
            self.model_box.addItem(str(model))
            self.model_box.setCurrentText(str(model))
        self.device_box = QComboBox()
        self.device_box.addItems(["auto", "cpu", "cuda", "mps"])
        self.n_segments = QSpinBox()
        self.n_segments.setRange(50, 20000)
        self.n_segments.setValue(1000)
        self.f, self.f2 = QDoubleSpinBox(), QDoubleSpinBox()
        for box, value, tip in ((self.f, 1.0, "Eq. 4: superpixel distances are cut at f x object scale"),
                                (self.f2, 3.0, "Eq. 5: proposals larger than f2 x scale² are left out")):
            box.setRange(0.1, 20.0)
            box.setSingleStep(0.1)
            box.setValue(value)
            box.setToolTip(tip + " (used by models trained with scale-aware maps, and shown in the guidance)")
        self.overwrite = QCheckBox("overwrite existing objects")
        self.guidance = QCheckBox("show guidance maps")
        self.polarity = QPushButton()
        buttons = {name: QPushButton(name) for name in ("Commit [C]", "Undo click [U]", "Reset object [R]",
                                                         "Undo commit")}

        form = QFormLayout()
        form.addRow("image", self.image_box)
        form.addRow("model", self.model_box)
        form.addRow("device", self.device_box)
        form.addRow("superpixels", self.n_segments)
        form.addRow("scale-aware f", self.f)
        form.addRow("scale-aware f2", self.f2)
        grid = QGridLayout()
        for i, b in enumerate(buttons.values()):
            grid.addWidget(b, i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for w in (self.overwrite, self.guidance, self.polarity):
            layout.addWidget(w)
        layout.addLayout(grid)
        layout.addWidget(QLabel(HELP))
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch()

        c = self.controller
        buttons["Commit [C]"].clicked.connect(c.commit)
        buttons["Undo click [U]"].clicked.connect(c.undo_click)
        buttons["Reset object [R]"].clicked.connect(c.reset)
        buttons["Undo commit"].clicked.connect(c.undo_commit)
        self.polarity.clicked.connect(self.toggle_polarity)
        self.image_box.currentTextChanged.connect(self._image_chosen)
        self.model_box.activated.connect(self._model_chosen)
        self.device_box.currentTextChanged.connect(self._settings_changed)
        self.n_segments.editingFinished.connect(self._settings_changed)
        self.f.valueChanged.connect(self._settings_changed)
        self.f2.valueChanged.connect(self._settings_changed)
        self.overwrite.toggled.connect(self._settings_changed)
        self.guidance.toggled.connect(self._settings_changed)
        napari_viewer.layers.events.inserted.connect(self._refresh_layers)
        napari_viewer.layers.events.removed.connect(self._refresh_layers)
        napari_viewer.dims.events.current_step.connect(self._slice_changed)
        self._leading = None
        self._show_polarity()
        self._refresh_layers()

    # -- translations --------------------------------------------------------------------
    def _refresh_layers(self, event=None) -> None:
        from napari.layers import Image

        if event is not None and getattr(event, "value", None) is not None \
                and event.value.name.startswith("napari-cag"):
            return  # the widget's own layers coming and going: nothing to choose

        names = [layer.name for layer in self.viewer.layers if isinstance(layer, Image)
                 and not layer.name.startswith("napari-cag")]
        current = self.image_box.currentText()
        self.image_box.blockSignals(True)
        self.image_box.clear()
        self.image_box.addItems(names)
        self.image_box.blockSignals(False)
        if current in names:
            self.image_box.setCurrentText(current)
        elif names:
            self._image_chosen(names[0])
        else:
            self.controller.set_image(None)
            self.status.setText("Choose an image layer.")
        if POINTS in self.viewer.layers:
            self._wire_points(self.viewer.layers[POINTS])

    def _image_chosen(self, name: str) -> None:
        if not name or name not in self.viewer.layers:
            return
        self.status.setText(f"Preparing {name}…")
        self.controller.set_image(self.viewer.layers[name])
        # napari selects a newly opened image after this handler: hand the selection back to the
        # clicks layer once it has, since mouse and keys reach only the selected layer
        QTimer.singleShot(0, self._select_points)
        self._leading = self.controller.current_index()
        self._wire_points(self.controller.points())

    def _wire_points(self, points) -> None:
        if self._on_mouse in points.mouse_drag_callbacks:
            return
        points.mode = "pan_zoom"
        points.mouse_drag_callbacks.append(self._on_mouse)
        for key, action in (("t", self.toggle_polarity), ("c", self.controller.commit),
                            ("u", self.controller.undo_click), ("r", self.controller.reset)):
            points.bind_key(key, lambda layer, action=action: action(), overwrite=True)

    def _on_mouse(self, layer, event):
        """A click without a drag adds a point; a drag pans as usual."""
        if event.type != "mouse_press":
            return
        yield
        moved = False
        while event.type == "mouse_move":
            moved = True
            yield
        if moved:
            return
        negative = event.button == 2 or "Control" in event.modifiers
        positive = self.controller.positive != negative
        self.controller.add_click(self.controller.image.world_to_data(event.position), positive)

    def _select_points(self) -> None:
        if POINTS in self.viewer.layers and self.controller.image is not None:
            self.viewer.layers.selection.active = self.viewer.layers[POINTS]

    def toggle_polarity(self) -> None:
        self.controller.positive = not self.controller.positive
        self._show_polarity()

    def _show_polarity(self) -> None:
        word = "positive (object)" if self.controller.positive else "negative (background)"
        self.polarity.setText(f"Left click adds: {word} [T]")

    def _model_chosen(self, index: int) -> None:
        if index == 1:
            path, _ = QFileDialog.getOpenFileName(self, "Model weights", "", "safetensors (*.safetensors)")
            if path:
                self.model_box.addItem(path)
                self.model_box.setCurrentText(path)
            else:
                self.model_box.setCurrentIndex(0)
        self._settings_changed()

    def _settings_changed(self, *args) -> None:
        s = self.controller.settings
        model = self.model_box.currentText()
        device = None if self.device_box.currentText() == "auto" else self.device_box.currentText()
        model = None if model == DEFAULT_MODEL else model
        model_changed = (model, device) != (s.model, s.device)
        structure_changed = model_changed or self.n_segments.value() != s.n_segments
        s.model, s.device, s.n_segments = model, device, self.n_segments.value()
        s.overwrite, s.show_guidance = self.overwrite.isChecked(), self.guidance.isChecked()
        s.f, s.f2 = self.f.value(), self.f2.value()
        if structure_changed:
            self.controller.reload(model_changed)

    def _slice_changed(self, event=None) -> None:
        if self.controller.image is None:
            return
        index = self.controller.current_index()
        if index != self._leading:
            self._leading = index
            self.controller.slice_changed()

    def _busy(self, busy: bool) -> None:
        self.progress.setRange(0, 0 if busy else 1)
        self.progress.setValue(0 if busy else 1)
        if not busy:
            ready = self.controller.image is not None
            self.status.setText("Ready: click on an object." if ready else "Choose an image layer.")
