"""The widget driven as a person would: clicks on the points layer, buttons, slices."""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from napari_cag._napari.controller import OBJECTS, POINTS, PREVIEW  # noqa: E402
from napari_cag._napari.widget import InteractiveSegmentation  # noqa: E402
from napari_cag.metrics import iou  # noqa: E402
from napari_helpers import TINY, make_discs as discs  # noqa: E402


def choose_model(widget, path):
    """What the "choose a .safetensors file" entry does once the dialog returns `path`."""
    widget.model_box.addItem(str(path))
    widget.model_box.setCurrentText(str(path))
    widget._settings_changed()


def open_widget(viewer, qtbot, image, **kw):
    widget = InteractiveSegmentation(viewer)
    viewer.window.add_dock_widget(widget)
    choose_model(widget, TINY)
    viewer.add_image(image, name="cells", **kw)
    wait(qtbot, widget)
    return widget


def wait(qtbot, widget):
    c = widget.controller
    qtbot.waitUntil(lambda: c._worker is None and not c._ops, timeout=60_000)


def test_click_commit_next_object_and_undo(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = discs()
    widget = open_widget(viewer, qtbot, image)
    c = widget.controller
    names = lambda: {layer.name for layer in viewer.layers}  # noqa: E731
    assert POINTS in names() and not {PREVIEW, OBJECTS} & names()  # the rest come when needed

    c.add_click((30, 30), True)
    wait(qtbot, widget)
    assert PREVIEW in names()
    preview = viewer.layers[PREVIEW].data > 0
    assert iou(preview, truth == 1) > 0.7
    assert len(viewer.layers[POINTS].data) == 1

    c.commit()
    wait(qtbot, widget)
    objects = viewer.layers[OBJECTS].data
    assert iou(objects == 1, truth == 1) > 0.7
    assert len(viewer.layers[POINTS].data) == 0  # clicks cleared for the next object

    c.add_click((65, 62), True)
    wait(qtbot, widget)
    c.commit()
    wait(qtbot, widget)
    assert iou(viewer.layers[OBJECTS].data == 2, truth == 2) > 0.7
    first = (viewer.layers[OBJECTS].data == 1).copy()

    widget.controller.undo_commit()
    assert (viewer.layers[OBJECTS].data == 2).sum() == 0
    np.testing.assert_array_equal(viewer.layers[OBJECTS].data == 1, first)


def test_undo_click_and_reset(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = discs()
    widget = open_widget(viewer, qtbot, image)
    c = widget.controller
    c.add_click((30, 30), True)
    wait(qtbot, widget)
    one = (viewer.layers[PREVIEW].data > 0).copy()
    c.add_click((65, 62), True)
    wait(qtbot, widget)
    assert (viewer.layers[PREVIEW].data > 0)[65, 62]
    c.undo_click()
    wait(qtbot, widget)
    np.testing.assert_array_equal(viewer.layers[PREVIEW].data > 0, one)
    c.reset()
    wait(qtbot, widget)
    assert not viewer.layers[PREVIEW].data.any() and len(viewer.layers[POINTS].data) == 0


def test_committed_labels_are_not_overwritten_unless_asked(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = discs()
    widget = open_widget(viewer, qtbot, image)
    c = widget.controller
    c.add_click((30, 30), True)
    c.commit()
    wait(qtbot, widget)
    before = viewer.layers[OBJECTS].data.copy()
    c.add_click((30, 30), True)  # the same disc again
    c.commit()
    wait(qtbot, widget)
    np.testing.assert_array_equal(viewer.layers[OBJECTS].data[before > 0], before[before > 0])


def test_negative_click_and_outside_click(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = discs()
    widget = open_widget(viewer, qtbot, image)
    c = widget.controller
    c.add_click((200, 30), True)  # outside: ignored with a message, nothing queued
    assert len(viewer.layers[POINTS].data) == 0
    c.add_click((30, 30), True)
    c.add_click((65, 62), False)
    wait(qtbot, widget)
    assert list(viewer.layers[POINTS].features["positive"]) == [True, False]
    assert not (viewer.layers[PREVIEW].data > 0)[65, 62]


def test_mouse_click_without_drag_adds_a_point(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, _ = discs()
    widget = open_widget(viewer, qtbot, image)

    class Event:
        def __init__(self, kind, button=1, modifiers=()):
            self.type, self.button, self.modifiers, self.position = kind, button, modifiers, (30.0, 30.0)

    for button, expected in ((1, True), (2, False)):
        press = Event("mouse_press", button)
        gen = widget._on_mouse(viewer.layers[POINTS], press)
        next(gen)
        press.type = "mouse_release"
        with pytest.raises(StopIteration):
            next(gen)
        assert bool(viewer.layers[POINTS].features["positive"].iloc[-1]) is expected
    wait(qtbot, widget)


def test_a_3d_stack_segments_the_slice_on_display(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = discs()
    stack = np.stack([np.full_like(image, 40), image, np.roll(image, 20, axis=1)])
    widget = open_widget(viewer, qtbot, stack)
    c = widget.controller
    viewer.dims.set_current_step(0, 1)
    wait(qtbot, widget)
    c.add_click((1, 30, 30), True)
    wait(qtbot, widget)
    c.commit()
    wait(qtbot, widget)
    objects = viewer.layers[OBJECTS].data
    assert objects.shape == stack.shape
    assert iou(objects[1] == 1, truth == 1) > 0.7 and not objects[0].any() and not objects[2].any()
    c.add_click((1, 65, 62), True)
    wait(qtbot, widget)
    viewer.dims.set_current_step(0, 2)  # another slice: a fresh object there
    wait(qtbot, widget)
    assert len(viewer.layers[POINTS].data) == 0


def test_deleted_layers_come_back_and_keep_committed_labels(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = discs()
    widget = open_widget(viewer, qtbot, image)
    c = widget.controller
    c.add_click((30, 30), True)
    c.commit()
    wait(qtbot, widget)
    committed = viewer.layers[OBJECTS].data.copy()
    viewer.layers.remove(OBJECTS)
    viewer.layers.remove(POINTS)
    c.add_click((65, 62), True)
    c.commit()
    wait(qtbot, widget)
    objects = viewer.layers[OBJECTS].data
    np.testing.assert_array_equal(objects[committed > 0], committed[committed > 0])
    assert (objects == 2).any()


def test_a_broken_checkpoint_gives_a_message(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    image, _ = discs()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    (tmp_path / "bad.json").write_text(TINY.with_suffix(".json").read_text())
    widget = InteractiveSegmentation(viewer)
    choose_model(widget, bad)
    viewer.add_image(image, name="cells")
    wait(qtbot, widget)
    assert "bad.safetensors" in widget.status.text() and "safetensors" in widget.status.text()


def test_guidance_layers_follow_the_clicks(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, _ = discs()
    widget = open_widget(viewer, qtbot, image)
    widget.guidance.setChecked(True)
    widget.controller.add_click((30, 30), True)
    wait(qtbot, widget)
    name = "napari-cag positive superpixel map (Eq. 2)"
    assert name in viewer.layers and viewer.layers[name].data[30, 30] == 0
    assert (viewer.layers["napari-cag negative superpixel map (Eq. 2)"].data == 255).all()
    assert "napari-cag scale-aware object map (Eq. 5)" in viewer.layers


def test_the_clicks_layer_stays_selected_and_on_top_as_the_widget_adds_layers(make_napari_viewer, qtbot):
    # napari selects every new layer; mouse clicks and keys only reach the selected one
    viewer = make_napari_viewer()
    image, _ = discs()
    widget = open_widget(viewer, qtbot, image)
    widget.guidance.setChecked(True)
    c = widget.controller
    viewer.layers.selection.active = viewer.layers[POINTS]  # as the user does to click
    c.add_click((30, 30), True)  # adds the preview and the guidance layers
    wait(qtbot, widget)
    assert PREVIEW in viewer.layers and viewer.layers.selection.active is viewer.layers[POINTS]
    c.commit()  # adds the output layer
    wait(qtbot, widget)
    assert OBJECTS in viewer.layers and viewer.layers.selection.active is viewer.layers[POINTS]
    assert viewer.layers[-1] is viewer.layers[POINTS]  # the clicks are drawn above the masks


def test_removing_the_image_mid_prediction_is_handled(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, _ = discs()
    widget = open_widget(viewer, qtbot, image)
    c = widget.controller
    c.add_click((30, 30), True)
    c.commit()
    wait(qtbot, widget)
    committed = viewer.layers[OBJECTS].data.copy()
    c.add_click((65, 62), True)  # a prediction is under way...
    viewer.layers.remove("cells")  # ...when the image goes
    wait(qtbot, widget)
    assert c.image is None and "Choose an image layer" in widget.status.text()
    np.testing.assert_array_equal(viewer.layers[OBJECTS].data, committed)


def test_switching_images_mid_prediction_shows_no_stale_mask(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image, truth = discs()
    widget = open_widget(viewer, qtbot, image)
    viewer.add_image(np.zeros_like(image), name="blank")
    c = widget.controller
    c.add_click((30, 30), True)
    widget.image_box.setCurrentText("blank")  # chosen while the click is predicted
    wait(qtbot, widget)
    assert c.image.name == "blank"
    assert PREVIEW not in viewer.layers or not viewer.layers[PREVIEW].data.any()


def test_opening_an_image_with_the_widget_docked_selects_the_clicks_layer(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    widget = InteractiveSegmentation(viewer, model=str(TINY))
    viewer.window.add_dock_widget(widget)
    viewer.add_image(discs()[0], name="cells")
    qtbot.waitUntil(lambda: viewer.layers.selection.active is not None
                    and viewer.layers.selection.active.name == POINTS, timeout=5000)
    wait(qtbot, widget)


@pytest.mark.skipif(not __import__("napari_cag.predictor").predictor.DEFAULT_WEIGHTS.exists(),
                    reason="no shipped weights")
def test_bundled_nuclei_with_the_shipped_weights(make_napari_viewer, qtbot):
    """A user segments six nuclei of the bundled sample with the default model, three clicks at most each."""
    from napari_cag.data import nuclei_2d
    from napari_cag.simulate import next_click

    image, truth = nuclei_2d()
    viewer = make_napari_viewer()
    widget = InteractiveSegmentation(viewer)  # the shipped default model
    viewer.window.add_dock_widget(widget)
    viewer.add_image(image, name="nuclei")
    wait(qtbot, widget)
    c, labels = widget.controller, []
    inner = truth[1:-1, 1:-1]
    whole = [k for k in np.unique(truth[truth > 0]) if (inner == k).sum() == (truth == k).sum()]
    ids = list(np.random.default_rng(0).choice(whole, 6, replace=False))  # whole nuclei, seeded
    for k in ids:
        for _ in range(3):
            shown = viewer.layers[PREVIEW].data > 0 if PREVIEW in viewer.layers else np.zeros(truth.shape, bool)
            click = next_click(shown, truth == k)
            if click is None:
                break
            c.add_click((click.y, click.x), click.positive)
            wait(qtbot, widget)
        c.commit()
        wait(qtbot, widget)
        labels.append(c.edits[-1].label)
    objects = viewer.layers[OBJECTS].data
    ious = [iou(objects == n, truth == k) for n, k in zip(labels, ids)]
    assert np.mean(ious) > 0.6, ious
