"""Images with more channels than the network sees: the user picks which three, by name.

napari shows a ``(..., H, W, C)`` array with 4 to 16 channels last as a stack of
``(W, C)`` planes; the widget segments an RGB composite of three chosen channels
instead, shown as its own layer, so what the network sees is on screen.
"""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from ..image import MAX_CHANNELS

COMPOSITE = "napari-cag channels"


def channels_last(layer) -> int:
    """The number of channels on the last axis of an image layer that has them, else 0."""
    shape = layer.data.shape
    if layer.rgb or len(shape) < 3 or not 4 <= shape[-1] <= MAX_CHANNELS:
        return 0
    return shape[-1] if shape[-1] < min(shape[-3], shape[-2]) else 0


def channel_names(layer) -> list[str]:
    """Names from ``layer.metadata["channel_names"]`` where given, else ``channel 0``, ``channel 1``..."""
    n = layer.data.shape[-1]
    names = list(layer.metadata.get("channel_names", []))[:n]
    return [str(v) for v in names] + [f"channel {i}" for i in range(len(names), n)]


def composite(data, picks: tuple[int, int, int]) -> np.ndarray:
    """``(..., H, W, 3)`` uint8: channels `picks` as red, green, blue, each by its own 1st/99.8th percentiles."""
    out = []
    for c in picks:
        x = np.asarray(data[..., c], np.float32)
        lo, hi = np.percentile(x[..., ::4, ::4], [1.0, 99.8])
        out.append(np.clip((x - lo) / (hi - lo if hi > lo else 1.0), 0, 1) * 255)
    return np.stack(out, -1).astype(np.uint8)


def show_composite(viewer, source, picks: tuple[int, int, int]):
    """The RGB layer `COMPOSITE` of channels `picks` of layer `source`, said in a notification."""
    from napari.utils.notifications import show_info

    data = composite(source.data, picks)
    if COMPOSITE in viewer.layers:
        layer = viewer.layers[COMPOSITE]
        layer.data = data
    else:
        layer = viewer.add_image(data, name=COMPOSITE, rgb=True, scale=source.scale[:-1],
                                 translate=source.translate[:-1])
    source.visible = False  # napari draws it as a stack of (W, C) planes
    names = channel_names(source)
    used = ", ".join(f"{names[p]} ({colour})" for p, colour in zip(picks, ("red", "green", "blue")))
    show_info(f"napari-cag: {source.name} has {len(names)} channels; the network sees three: {used}, "
              f"shown as '{COMPOSITE}'. Choose others under 'channels'.")
    return layer


class ChannelPicker(QWidget):
    """Three boxes: which channel is shown (and segmented) as red, green and blue."""

    changed = Signal()

    def __init__(self):
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes = []
        for colour in ("R", "G", "B"):
            box = QComboBox()
            box.currentIndexChanged.connect(lambda *a: self.changed.emit())
            layout.addWidget(QLabel(colour))
            layout.addWidget(box)
            self.boxes.append(box)
        self.setVisible(False)

    def set_channels(self, names: list[str]) -> None:
        for i, box in enumerate(self.boxes):
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.setCurrentIndex(i)
            box.blockSignals(False)
        self.setVisible(bool(names))

    @property
    def picks(self) -> tuple[int, int, int]:
        return tuple(box.currentIndex() for box in self.boxes)
