"""A worker's RuntimeError (CUDA out of memory, an unusable device) is reported and the widget goes on;
superqt's generator workers used to swallow it, and the widget waited for them forever."""

import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from napari.utils.notifications import notification_manager  # noqa: E402
from test_propagate_button import clicked_ball  # noqa: E402

from napari_cag import session as session_module  # noqa: E402
from napari_cag._napari.layers import PREVIEW  # noqa: E402


def test_a_click_that_runs_out_of_memory_is_reported_and_the_next_one_works(docked, discs, settle, monkeypatch):
    image, truth = discs
    viewer, widget = docked(image)
    c = widget.controller
    original, calls = session_module.Session.add_click, []

    def once_out_of_memory(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("CUDA out of memory")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(session_module.Session, "add_click", once_out_of_memory)
    c.add_click((30, 30), True)
    settle(widget, timeout=20_000)  # timed out here before: the worker's end was never signalled
    assert "RuntimeError: CUDA out of memory" in widget.status.text()
    c.add_click((30, 30), True)
    settle(widget, timeout=20_000)
    assert len(calls) == 2 and viewer.layers[PREVIEW].data.any()


def test_a_propagation_that_fails_is_reported_and_clicks_go_on(docked, settle, qtbot, monkeypatch):
    import napari_cag.propagate as core

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")
        yield  # a generator, as propagate is

    monkeypatch.setattr(core, "propagate", broken)
    viewer, widget, c, truth = clicked_ball(docked, settle)
    c.commit()
    c.propagate()
    qtbot.waitUntil(lambda: c._propagation is None and not c._propagate_pending, timeout=20_000)
    assert any("propagation failed: RuntimeError: CUDA out of memory" in str(n.message)
               for n in notification_manager.records)
    c.add_click((2, 40, 44), True)
    settle(widget, timeout=20_000)
    assert viewer.layers[PREVIEW].data.any()
