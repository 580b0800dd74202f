"""The widget's settings form: model, device, superpixels, scale-aware factors, options."""

from __future__ import annotations

from qtpy.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QSpinBox, QVBoxLayout, \
    QWidget

DEFAULT_MODEL = "auto (by image)"  # the shipped model of the image's domain (napari_cag.domain)
SHIPPED_CHOICES = ["microscopy", "natural"]
CHOOSE_FILE = "choose a .safetensors file…"
REFINE_CHOICES = ["auto", "natural", "microscopy", "none"]


class SettingsForm(QWidget):
    """Edits `controller.settings`; a change that alters the structure or model reloads the image."""

    def __init__(self, controller, model: str | None = None):
        super().__init__()
        self.controller = controller
        self.model_box = QComboBox()
        self.model_box.addItems([DEFAULT_MODEL, *SHIPPED_CHOICES, CHOOSE_FILE])
        self.model_box.setToolTip("auto: the shipped microscopy model for grey, dark-background and stained "
                                  "images, the natural-image model for photographs")
        if model:
            self.model_box.addItem(str(model))
            self.model_box.setCurrentText(str(model))
        self.refine_box = QComboBox()
        self.refine_box.addItems(REFINE_CHOICES)
        self.refine_box.setToolTip("Full-resolution graph cut after the network: 'auto' picks the settings for "
                                   "microscopy or photographs from the image; 'none' shows the network's mask")
        self.device_box = QComboBox()
        self.device_box.addItems(["auto", "cpu", "cuda", "mps"])
        self.n_segments = QSpinBox()
        self.n_segments.setRange(49, 20000)
        self.n_segments.setSpecialValueText("the model's")  # 49: what the model was trained with
        self.n_segments.setValue(49)
        self.f, self.f2 = QDoubleSpinBox(), QDoubleSpinBox()
        for box, value, tip in ((self.f, 1.0, "Eq. 4: superpixel distances are cut at f x object scale"),
                                (self.f2, 3.0, "Eq. 5: proposals larger than f2 x scale² are left out")):
            box.setRange(0.1, 20.0)
            box.setSingleStep(0.1)
            box.setValue(value)
            box.setToolTip(tip + " (used by models trained with scale-aware maps, and shown in the guidance)")
        self.overwrite = QCheckBox("overwrite existing objects")
        self.guidance = QCheckBox("show guidance maps")

        self.form = QFormLayout()
        for label, box in (("model", self.model_box), ("refinement", self.refine_box), ("device", self.device_box), ("superpixels", self.n_segments),
                           ("scale-aware f", self.f), ("scale-aware f2", self.f2)):
            self.form.addRow(label, box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.form)
        layout.addWidget(self.overwrite)
        layout.addWidget(self.guidance)

        self.model_box.activated.connect(self._model_chosen)
        self.device_box.currentTextChanged.connect(self.changed)
        self.refine_box.currentTextChanged.connect(self.changed)
        self.n_segments.editingFinished.connect(self.changed)
        for signal in (self.f.valueChanged, self.f2.valueChanged, self.overwrite.toggled, self.guidance.toggled):
            signal.connect(self.changed)

    def _model_chosen(self, index: int) -> None:
        if self.model_box.itemText(index) == CHOOSE_FILE:
            path, _ = QFileDialog.getOpenFileName(self, "Model weights", "", "safetensors (*.safetensors)")
            if path:
                self.model_box.addItem(path)
                self.model_box.setCurrentText(path)
            else:
                self.model_box.setCurrentIndex(0)
        self.changed()

    def add_choice(self, text: str) -> None:
        """Offer `text` as a model (an adapted one) and use it from now on."""
        if self.model_box.findText(text) < 0:
            self.model_box.addItem(text)
        self.model_box.setCurrentText(text)
        self.changed()

    def changed(self, *args) -> None:
        s = self.controller.settings
        model = self.model_box.currentText()
        device = None if self.device_box.currentText() == "auto" else self.device_box.currentText()
        model = None if model == DEFAULT_MODEL else model
        model_changed = (model, device) != (s.model, s.device)
        n_segments = None if self.n_segments.value() == self.n_segments.minimum() else self.n_segments.value()
        structure_changed = model_changed or n_segments != s.n_segments
        s.model, s.device, s.n_segments = model, device, n_segments
        s.overwrite, s.show_guidance = self.overwrite.isChecked(), self.guidance.isChecked()
        s.f, s.f2 = self.f.value(), self.f2.value()
        if self.refine_box.currentText() != s.refine:
            s.refine = self.refine_box.currentText()
            for session in self.controller.sessions.values():  # takes effect from the next click
                session.refine = s.refine
        if structure_changed:
            self.controller.reload(model_changed)
