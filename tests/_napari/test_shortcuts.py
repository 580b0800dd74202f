"""The widget's keys do not clash with napari's, are bound, and are documented (issue 12, item 10)."""

from pathlib import Path

import pytest
from napari_helpers import press_key

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from napari_cag._napari.keys import SHORTCUTS  # noqa: E402
from napari_cag._napari.layers import OBJECTS, POINTS  # noqa: E402
from napari_cag._napari.widget import HELP  # noqa: E402

README = Path(__file__).resolve().parents[2] / "README.md"


def napari_keys(viewer) -> set[str]:
    """Every key napari binds by default for the viewer (and its menus) and the Points and Labels
    layers, once a viewer has registered them. (Shapes and Image keys such as T, R and C never
    reach the clicks layer: a key goes to the selected layer only.)"""
    from napari._app_model import get_app_model
    from napari.components import ViewerModel
    from napari.layers import Labels, Points

    keys = {str(k) for keymap in (ViewerModel.class_keymap, Points.class_keymap, Labels.class_keymap)
            for k in keymap}
    keys |= {str(kb.keybinding) for kb in get_app_model().keybindings}
    keys |= {str(k) for k in viewer.keymap}
    return keys


def test_shortcuts_are_clear_of_napari_defaults(docked, discs):
    viewer, _ = docked(discs[0])
    taken = napari_keys(viewer)
    assert {"P", "Z", "Delete", "Ctrl+Z"} <= taken  # the keymap really was read
    clashes = {key for key in SHORTCUTS if key in taken}
    assert not clashes, f"napari already uses {clashes}"


def test_shortcuts_are_bound_on_the_clicks_layer_and_act(docked, discs, settle):
    viewer, widget = docked(discs[0])
    from app_model.types import KeyBinding

    points = viewer.layers[POINTS]
    assert {KeyBinding.from_str(k) for k in SHORTCUTS} <= set(points.keymap)
    widget.controller.add_click((30, 30), True)
    settle(widget)
    press_key(viewer, "C")  # through napari's own key handling
    settle(widget)
    assert (viewer.layers[OBJECTS].data == 1).any() and len(points.data) == 0


def test_shortcuts_are_in_the_help_text_and_the_readme():
    readme = README.read_text()
    for key in SHORTCUTS:
        assert f"<b>{key}</b>" in HELP, key
        assert f"**{key}**" in readme, key
