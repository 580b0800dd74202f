"""The "Interactive segmentation" dock widget: it only translates between Qt and the controller."""

from __future__ import annotations

from functools import partial

from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QComboBox, QFormLayout, QGridLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, \
    QWidget

from .adapt_panel import AdaptPanel
from .channels import ChannelPicker, channel_names, channels_last, show_composite
from .controller import Controller
from .keys import SHORTCUTS, help_text
from .layers import POINTS
from .settings import SettingsForm

HELP = help_text()


def _closing(viewer, controller, handlers, *args) -> None:
    """The widget is being destroyed (its dock or the viewer closed): stop following the viewer."""
    for emitter, handler in handlers:
        emitter.disconnect(handler)
    controller.close()


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
        self.controller = c = Controller(napari_viewer, status=self.status.setText, busy=self._busy,
                                         progress=self._progress)
        c.settings.model = str(model) if model else None
        self.settings = SettingsForm(c, model)
        self.model_box, self.overwrite, self.guidance = (self.settings.model_box, self.settings.overwrite,
                                                         self.settings.guidance)
        self._settings_changed = self.settings.changed
        self.adapting = AdaptPanel(c, self.settings)

        self.image_box = QComboBox()
        self.channels = ChannelPicker()
        self._source = None  # the multichannel layer whose composite is segmented
        self.polarity = QPushButton()
        buttons = {"Commit [C]": c.commit, "Undo click [U]": c.undo_click, "Reset object [R]": c.reset,
                   "Undo commit": c.undo_commit, "Flip selected [N]": c.flip_selected, "Propagate [G]": c.propagate}
        self.buttons = {}
        form = QFormLayout()
        form.addRow("image", self.image_box)
        self._channels_label = QLabel("channels")
        self._channels_label.setVisible(False)  # shown with the picker, for images of 4 to 16 channels
        form.addRow(self._channels_label, self.channels)
        grid = QGridLayout()
        for i, (name, action) in enumerate(buttons.items()):
            button = self.buttons[name] = QPushButton(name)
            button.clicked.connect(action)
            grid.addWidget(button, i // 2, i % 2)
        self.buttons["Undo commit"].clicked.connect(self.adapting.refresh)
        help_label = QLabel(HELP)
        help_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        for item in (form, self.settings, self.polarity, grid, self.adapting, help_label, self.progress, self.status):
            (layout.addLayout if isinstance(item, QGridLayout | QFormLayout) else layout.addWidget)(item)
        layout.addStretch()

        self.polarity.clicked.connect(self.toggle_polarity)
        self.image_box.currentTextChanged.connect(self._image_chosen)
        self.channels.changed.connect(self._channels_changed)
        handlers = [(napari_viewer.layers.events.inserted, self._refresh_layers),
                    (napari_viewer.layers.events.removed, self._refresh_layers),
                    (napari_viewer.dims.events.current_step, self._slice_changed)]
        for emitter, handler in handlers:
            emitter.connect(handler)
        self.destroyed.connect(partial(_closing, napari_viewer, c, handlers))
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
        layer = self.viewer.layers[name]
        self._source = layer if channels_last(layer) else None
        self.channels.set_channels(channel_names(layer) if self._source is not None else [])
        self._channels_label.setVisible(self._source is not None)
        self.controller.set_image(self._composite() if self._source is not None else layer)
        # napari selects a newly opened image after this handler: hand the selection back to the
        # clicks layer once it has, since mouse and keys reach only the selected layer
        QTimer.singleShot(0, self._select_points)
        self._leading = self.controller.current_index()
        self._wire_points(self.controller.points())

    def _composite(self):
        return show_composite(self.viewer, self._source, self.channels.picks)

    def _channels_changed(self) -> None:
        if self._source is not None and self._source.name in self.viewer.layers:
            self._composite()
            self.controller.reload(model_changed=False)

    def _wire_points(self, points) -> None:
        if self._on_mouse in points.mouse_drag_callbacks:
            return
        points.mode = "pan_zoom"
        points.mouse_drag_callbacks.append(self._on_mouse)
        for key, (name, _) in SHORTCUTS.items():
            action = getattr(self, name, None) or getattr(self.controller, name)
            points.bind_key(key, lambda layer, action=action: action(), overwrite=True)

    def _on_mouse(self, layer, event):
        """In pan/zoom mode a click without a drag adds a point (the layer's own modes act as usual)."""
        if event.type != "mouse_press" or layer.mode != "pan_zoom":
            return
        yield
        moved = False
        while event.type == "mouse_move":
            moved = True
            yield
        if moved:
            return
        coords = self.controller.image.world_to_data(event.position)
        if "Shift" in event.modifiers:
            self.controller.edit_at(coords)
            return
        negative = event.button == 2 or "Control" in event.modifiers
        self.controller.add_click(coords, self.controller.positive != negative)

    def _select_points(self) -> None:
        if POINTS in self.viewer.layers and self.controller.image is not None:
            self.viewer.layers.selection.active = self.viewer.layers[POINTS]

    def toggle_polarity(self) -> None:
        self.controller.set_positive(not self.controller.positive)
        self._show_polarity()

    def _show_polarity(self) -> None:
        word = "positive (object)" if self.controller.positive else "negative (background)"
        self.polarity.setText(f"Left click adds: {word} [T]")

    def _slice_changed(self, event=None) -> None:
        if self.controller.image is None:
            return
        index = self.controller.current_index()
        if index != self._leading:
            self._leading = index
            self.controller.slice_changed()
            self.adapting.refresh()

    def _progress(self, done, total) -> None:
        """A propagation's progress (None, None: it ended); its button cancels it meanwhile."""
        running = total is not None
        self.buttons["Propagate [G]"].setText("Cancel propagation [G]" if running else "Propagate [G]")
        self.progress.setRange(0, max(total or 1, 1))
        self.progress.setValue(done if running else 1)
        if not running:
            self.adapting.refresh()  # a propagation is a commit too

    def _busy(self, busy: bool) -> None:
        self.progress.setRange(0, 0 if busy else 1)
        self.progress.setValue(0 if busy else 1)
        if not busy:
            c = self.controller
            if c.editing is not None:
                self.status.setText(f"Editing object {c.editing}: click to refine it, C commits it back.")
            elif c.image is None:
                self.status.setText("Choose an image layer.")
            else:
                predictor = c._predictor
                chosen = (f" Model: {predictor.domain}, chosen for this image."
                          if predictor is not None and predictor.auto else "")
                ready = "Ready: click on an object." + chosen
                self.status.setText(f"{c.notice}. {ready}" if c.notice else ready)
                c.notice = None  # the adaptation's result, kept over the preparation it caused
            self.adapting.refresh()
