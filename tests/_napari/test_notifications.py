"""No silent surprises: a choice of channels for multichannel images, a warning for constant ones
(issue 12, item 7)."""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from napari.utils.notifications import notification_manager  # noqa: E402

from napari_cag._napari.channels import COMPOSITE  # noqa: E402
from napari_cag._napari.layers import PREVIEW  # noqa: E402
from napari_cag.metrics import iou  # noqa: E402

NAMES = ["DAPI", "GFP", "RFP", "Cy5", "BF"]


def messages():
    return [str(n.message) for n in notification_manager.records]


def test_a_five_channel_image_gets_a_named_channel_choice(docked, discs, settle):
    image, truth = discs
    rng = np.random.default_rng(3)
    stack = rng.normal(40, 8, (96, 96, 5))
    stack[..., 3] += 130 * (truth == 1)  # only Cy5 shows the first disc
    viewer, widget = docked(np.clip(stack, 0, 255).astype(np.uint8), metadata={"channel_names": NAMES})
    c = widget.controller
    assert widget.channels.isVisibleTo(widget)
    assert [widget.channels.boxes[0].itemText(i) for i in range(5)] == NAMES
    note = next(m for m in messages() if "5 channels" in m)
    assert "DAPI (red), GFP (green), RFP (blue)" in note
    assert c.image.name == COMPOSITE and c.image.data.shape == (96, 96, 3) and c.image.rgb

    widget.channels.boxes[0].setCurrentText("Cy5")  # the stain the object is in, as red
    settle(widget)
    assert "Cy5 (red)" in messages()[-1]
    c.add_click((30, 30), True)
    settle(widget)
    assert iou(viewer.layers[PREVIEW].data > 0, truth == 1) > 0.7


def test_a_constant_image_is_said_to_be_constant(docked, settle):
    viewer, widget = docked(np.full((64, 64), 40, np.uint8))
    widget.controller.add_click((30, 30), True)
    settle(widget)
    assert any("constant" in m and "napari-cag" in m for m in messages()), messages()
