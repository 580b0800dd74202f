import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_core_imports_without_qt_or_napari():
    code = (
        "import sys\n"
        "for name in ('PyQt5', 'PyQt6', 'PySide2', 'PySide6', 'qtpy', 'napari', 'magicgui'):\n"
        "    sys.modules[name] = None  # any import of these now fails\n"
        "import napari_cag, napari_cag.guidance, napari_cag.structure\n"
        "assert 'torch' not in sys.modules, 'the core must not import torch eagerly'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_napari_manifest_is_valid_and_registered():
    from npe2 import PluginManifest

    manifest = PluginManifest.from_distribution("napari-cag")
    assert manifest.name == "napari-cag"


def test_guidance_example_draws_a_png(tmp_path):
    out = tmp_path / "fig.png"
    subprocess.run([sys.executable, str(ROOT / "examples" / "guidance_maps.py"), str(out)], check=True)
    assert out.read_bytes()[:4] == b"\x89PNG" and out.stat().st_size > 50_000
