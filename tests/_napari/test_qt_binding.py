"""The Qt binding is Qt 6: napari 0.9 covers the canvas with a deprecation toast under PyQt5
(issue 12, item 6)."""

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_qt_and_testing_extras_install_a_qt6_binding():
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    for name in ("qt", "testing"):
        bindings = [r for r in extras[name] if r.lower().startswith(("pyqt", "pyside"))]
        assert bindings and all(r.lower().startswith(("pyqt6", "pyside6")) for r in bindings), (name, bindings)


def test_napari_runs_on_qt6_here():
    qtpy = pytest.importorskip("qtpy")
    assert qtpy.QT6, (f"qtpy picked {qtpy.API_NAME}: an old PyQt5 is installed beside the [testing] extra's "
                      "PyQt6; `pip uninstall pyqt5` (napari 0.9 deprecates it)")
