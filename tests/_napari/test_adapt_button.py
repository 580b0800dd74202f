"""Adapt to my objects: the widget fine-tunes the model in use on the committed objects, offers the
result in its model box, saves it, and cancels."""

import copy
import dataclasses

import numpy as np
import pytest
from skimage.draw import disk

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

import napari_cag.adaptation as core  # noqa: E402
from napari_cag._napari import settings as settings_module  # noqa: E402
from napari_cag._napari.adapt_panel import ADAPT, CANCEL  # noqa: E402
from napari_cag._napari.layers import OBJECTS, PREVIEW  # noqa: E402
from napari_cag._napari.settings import CHOOSE_FILE, DEFAULT_MODEL  # noqa: E402
from napari_helpers import TINY  # noqa: E402


def discs(n: int = 8, size: int = 128, seed: int = 0):
    """A dark noisy image with `n` bright discs on a grid, and the discs' centres (as tests/test_adapt.py)."""
    rng = np.random.default_rng(seed)
    image = rng.normal(40, 8, (size, size))
    side = int(np.ceil(np.sqrt(n)))
    step = size // side
    centres = []
    for k in range(n):
        cy, cx = (k // side + 0.5) * step, (k % side + 0.5) * step
        image[disk((cy, cx), rng.integers(8, step // 2 - 3), shape=image.shape)] += 120
        centres.append((cy, cx))
    return np.clip(image, 0, 255).astype(np.uint8), centres


def commit(widget, settle, centres):
    """A click on each centre and a commit after each, as a person would."""
    c = widget.controller
    for at in centres:
        c.add_click(at, True)
        c.commit()
    settle(widget)


@pytest.fixture
def committed(docked, settle):
    """``(viewer, widget)``: the disc image with its 8 discs committed."""
    image, centres = discs()
    viewer, widget = docked(image)
    commit(widget, settle, centres)
    assert len(np.unique(viewer.layers[OBJECTS].data)) == 9
    return viewer, widget


@pytest.fixture
def small_batches(monkeypatch):
    """The real adapt on small batches and short checks, to keep the tests short; its calls and results."""
    real, calls = core.adapt, []

    def adapt(*args, **kwargs):
        calls.append((args, kwargs, real(*args, **kwargs, batch_size=2, max_clicks=3)))
        return calls[-1][2]

    monkeypatch.setattr(core, "adapt", adapt)
    return calls


def choose(widget, text):
    """What picking `text` in the model box does."""
    box = widget.model_box
    box.setCurrentText(text)
    box.activated.emit(box.currentIndex())


def adapted_fake(calls):
    """Stands in for `napari_cag.adaptation.adapt`: a copy of the base net, its weights moved a little."""
    def adapt(model, image, labels, **kwargs):
        calls.append((model, image, labels, kwargs))
        kwargs["progress"]("train", 1, kwargs["steps"])
        net, config = copy.deepcopy(model[0]), model[1]
        for p in net.parameters():
            p.data += 0.01
        config = dataclasses.replace(config, meta={**config.meta, "name": "tiny-adapted"})
        return core.Adaptation(net, config, True, objects=6, held_back=2, steps=kwargs["steps"], seconds=0.4,
                               noc_before=3.0, noc_after=2.0)
    return adapt


def adapt_and_wait(widget, qtbot, settle):
    widget.adapting.adapt_button.click()
    qtbot.waitUntil(lambda: widget.controller._adapting is None, timeout=60_000)
    settle(widget)


def test_the_button_waits_for_five_objects_then_runs_the_real_adapt(docked, settle, qtbot, small_batches):
    image, centres = discs()
    viewer, widget = docked(image)
    c, panel = widget.controller, widget.adapting
    commit(widget, settle, centres[:4])
    assert not panel.adapt_button.isEnabled() and "needs at least 5, 4 so far" in panel.adapt_button.toolTip()
    assert not panel.save_button.isEnabled()
    commit(widget, settle, centres[4:6])
    assert panel.adapt_button.isEnabled()

    panel.steps.setValue(1)
    base = c._predictor.net
    adapt_and_wait(widget, qtbot, settle)
    (model, plane, labels), kwargs, result = small_batches[0]
    assert model[0] is base and kwargs["steps"] == 1
    np.testing.assert_array_equal(plane, image)
    np.testing.assert_array_equal(labels, viewer.layers[OBJECTS].data)
    assert result.objects + result.held_back == 6
    assert result.message in widget.status.text()
    assert panel.adapt_button.text() == ADAPT and panel.adapt_button.isEnabled()
    if result.adapted:
        assert widget.model_box.currentText() == f"adapted ({result.objects} objects)"
        assert c._predictor.net is result.net and panel.save_button.isEnabled()
    else:  # kept: the model and its box stay
        assert widget.model_box.currentText() == str(TINY) and c._predictor.net is base
        assert not c.adaptations and not panel.save_button.isEnabled()


def test_the_adapted_model_makes_the_next_preview_and_the_others_come_back(committed, settle, qtbot,
                                                                            monkeypatch):
    viewer, widget = committed
    c, box = widget.controller, widget.model_box
    calls = []
    monkeypatch.setattr(core, "adapt", adapted_fake(calls))
    widget.adapting.steps.setValue(2)
    adapt_and_wait(widget, qtbot, settle)
    assert calls[0][3]["steps"] == 2
    result = c.adaptations["adapted (6 objects)"]
    assert box.currentText() == "adapted (6 objects)"
    assert widget.status.text().startswith(result.message)  # kept over the preparation that followed
    assert "adapted on 6 objects" in result.message

    forwards = []
    forward = result.net.forward
    result.net.forward = lambda *a: forwards.append(1) or forward(*a)
    assert c._predictor.net is result.net
    c.add_click((21, 21), True)
    settle(widget)
    assert forwards and viewer.layers[PREVIEW].data.any()  # the adapted network made this preview

    choose(widget, str(TINY))
    settle(widget)
    assert c._predictor.net is not result.net and c._predictor.config.meta.get("name") != "tiny-adapted"
    seen = len(forwards)
    c.add_click((21, 63), True)
    settle(widget)
    assert len(forwards) == seen and viewer.layers[PREVIEW].data.any()

    choose(widget, DEFAULT_MODEL)
    settle(widget)
    assert c.settings.model is None and c._predictor.auto
    choose(widget, "adapted (6 objects)")
    settle(widget)
    assert c._predictor.net is result.net


def test_save_writes_a_file_that_choose_file_loads(committed, settle, qtbot, monkeypatch, tmp_path):
    viewer, widget = committed
    c, panel = widget.controller, widget.adapting
    monkeypatch.setattr(core, "adapt", adapted_fake([]))
    adapt_and_wait(widget, qtbot, settle)
    assert panel.save_button.isEnabled()
    monkeypatch.setattr(panel, "save_path", lambda suggestion: str(tmp_path / "mine"))
    panel.save_button.click()
    path = tmp_path / "mine.safetensors"
    assert path.is_file() and str(path) in widget.status.text()

    choose(widget, str(TINY))
    settle(widget)
    monkeypatch.setattr(settings_module.QFileDialog, "getOpenFileName", lambda *a, **kw: (str(path), ""))
    choose(widget, CHOOSE_FILE)
    settle(widget)
    assert widget.model_box.currentText() == str(path) and c.settings.model == str(path)
    loaded, adapted = c._predictor.net.state_dict(), c.adaptations["adapted (6 objects)"].net.state_dict()
    assert c._predictor.config.meta["name"] == "tiny-adapted"
    for key, value in adapted.items():
        np.testing.assert_array_equal(loaded[key].cpu().numpy(), value.cpu().numpy())


def test_cancel_keeps_the_model(committed, settle, qtbot, small_batches):
    viewer, widget = committed
    c, panel = widget.controller, widget.adapting
    panel.steps.setValue(100_000)  # the real adapt, far longer than the test
    base, entries = c._predictor.net, widget.model_box.count()
    panel.adapt_button.click()
    assert panel.adapt_button.text() == CANCEL and panel.bar.isVisibleTo(panel)
    qtbot.waitUntil(lambda: panel.bar.format().startswith("training"), timeout=30_000)
    c.add_click((21, 21), True)  # the clicks go on meanwhile, with the model in use
    settle(widget)
    assert viewer.layers[PREVIEW].data.any() and c._adapting is not None
    panel.adapt_button.click()
    qtbot.waitUntil(lambda: c._adapting is None, timeout=30_000)
    assert "cancelled" in widget.status.text()
    assert panel.adapt_button.text() == ADAPT and not panel.bar.isVisibleTo(panel)
    assert c._predictor.net is base and widget.model_box.count() == entries and not c.adaptations
    assert widget.model_box.currentText() == str(TINY)
    assert small_batches[0][2].reason == "cancelled" and 0 < small_batches[0][2].steps < 100_000


def test_errors_go_to_the_status_line(docked, settle, qtbot, monkeypatch):
    image, centres = discs()
    viewer, widget = docked(image)
    c = widget.controller
    commit(widget, settle, centres[:2])
    assert not c.start_adapting(lambda *a: None, lambda *a: None)  # too few: a note, nothing started
    assert c._adapting is None

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(core, "adapt", broken)
    commit(widget, settle, centres[2:5])
    adapt_and_wait(widget, qtbot, settle)
    assert "adapting failed: RuntimeError: out of memory" in widget.status.text()
    assert widget.adapting.adapt_button.text() == ADAPT and not c.adaptations


def test_closing_the_viewer_mid_adaptation_stops_it(committed, qtbot, small_batches):
    viewer, widget = committed
    c, panel = widget.controller, widget.adapting
    panel.steps.setValue(100_000)
    panel.adapt_button.click()
    qtbot.waitUntil(lambda: panel.bar.format().startswith("training"), timeout=30_000)
    worker = c._adapting
    viewer.close()
    assert not worker.is_running  # stopped at its next step and awaited
