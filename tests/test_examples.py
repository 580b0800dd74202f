"""The examples run: the notebook, the napari launcher and the screenshot script (tiny test model)."""

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TINY = Path(__file__).resolve().parent / "data" / "tiny_discs.safetensors"
NOTEBOOK = EXAMPLES / "segment_nuclei.ipynb"


def test_notebook_is_stored_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_runs_and_prints_the_ious(monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("NAPARI_CAG_MODEL", str(TINY))
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend keeps the figures
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # raises CellExecutionError on the first failing cell
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    ious = [float(v) for v in re.findall(r"^nucleus \d+: \d+ clicks, IoU (\d\.\d{3})$", text, re.M)]
    assert len(ious) == 3 and all(0 <= v <= 1 for v in ious)
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 2  # labels overlay and guidance maps


@pytest.fixture
def examples_on_path(monkeypatch):
    pytest.importorskip("napari")
    pytest.importorskip("pytestqt")
    monkeypatch.syspath_prepend(str(EXAMPLES))


def test_open_napari_docks_the_widget_on_the_sample(examples_on_path, make_napari_viewer, qtbot):
    import open_napari

    viewer, widget = open_napari.build(make_napari_viewer(), model=TINY)
    assert any(w is widget for w in viewer.window.dock_widgets.values())
    assert viewer.layers["nuclei"].data.shape == (512, 512)
    assert not viewer.layers["nuclei ground truth"].visible
    assert widget.model_box.currentText() == str(TINY)
    c = widget.controller
    qtbot.waitUntil(lambda: c._worker is None and not c._ops, timeout=60_000)
    assert c.image.name == "nuclei" and c._predictor is not None  # prepared with the tiny model
    assert viewer.layers.selection.active is viewer.layers["napari-cag clicks"]  # ready for a click


def test_screenshot_shows_the_window_after_clicks(examples_on_path, make_napari_viewer, tmp_path):
    from PIL import Image

    import screenshot

    viewer = make_napari_viewer(show=True)
    out = screenshot.take_screenshot(tmp_path / "shot.png", model=TINY, viewer=viewer)
    png = np.asarray(Image.open(out).convert("RGB"))
    assert png.shape[1] >= 1000  # the window, docks included, not the canvas only (~500 px wide)
    assert len(np.unique(png.reshape(-1, 3), axis=0)) > 200  # an image, not a blank window
    clicks = viewer.layers["napari-cag clicks"].data
    assert 1 <= len(clicks) <= 3  # the object left in preview keeps its clicks
    assert len(screenshot.pick_nuclei(viewer.layers["nuclei ground truth"].data)) == 3
