"""The widget offers the shipped models by domain, 'auto' first, and passes the choice to its sessions."""

import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")


def test_auto_first_then_each_shipped_model(docked, discs, settle):
    from napari_cag.predictor import SHIPPED

    image, _ = discs
    viewer, widget = docked(image)
    box = widget.settings.model_box
    items = [box.itemText(i) for i in range(box.count())]
    assert items[0].startswith("auto") and set(SHIPPED) <= set(items)
    box.setCurrentText("natural")
    widget.settings.changed()
    c = widget.controller
    assert c.settings.model == "natural"
    c.add_click((30, 30), True)
    settle(widget)
    assert c._predictor.config.meta["name"] == SHIPPED["natural"].stem


def test_the_status_says_which_model_auto_chose(docked, discs, settle):
    from napari_cag._napari.settings import DEFAULT_MODEL

    image, _ = discs
    viewer, widget = docked(image)
    widget.settings.model_box.setCurrentText(DEFAULT_MODEL)
    widget.settings.changed()
    assert widget.controller.settings.model is None
    widget.controller.add_click((30, 30), True)
    settle(widget)
    predictor = widget.controller._predictor
    assert predictor.auto and f"Model: {predictor.domain}, chosen for this image" in widget.status.text()
