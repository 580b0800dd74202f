"""Open napari on the bundled nuclei with the "Interactive segmentation" widget docked.

Run ``python examples/open_napari.py [--model PATH]``. Without ``--model`` the
checkpoint named by the environment variable ``NAPARI_CAG_MODEL`` is used, if
set, else the weights shipped with the package. Then left-click on a nucleus,
right-click where the mask spills over, press C to commit, next nucleus.
"""

from __future__ import annotations

import argparse
import os

PLUGIN, WIDGET = "napari-cag", "Interactive segmentation"
CLICKS = "napari-cag clicks"  # the points layer the widget adds with the image


def choose_model(widget, path) -> None:
    """Pick a checkpoint in the widget's model box, as the file dialog would."""
    widget.model_box.addItem(str(path))
    widget.model_box.setCurrentText(str(path))
    widget.model_box.activated.emit(widget.model_box.currentIndex())


def build(viewer=None, model=None):
    """Dock the widget and open the nuclei sample (image + hidden ground truth).

    Parameters
    ----------
    viewer : napari.Viewer, optional
        Viewer to use; a new one by default.
    model : path, optional
        A ``.safetensors`` checkpoint; default: ``$NAPARI_CAG_MODEL``, else
        the shipped weights.

    Returns
    -------
    (viewer, widget)
        The viewer and the docked `InteractiveSegmentation` widget.
    """
    import napari

    viewer = napari.Viewer() if viewer is None else viewer
    model = model or os.environ.get("NAPARI_CAG_MODEL")
    # The widget first, so the image is prepared once, with the chosen model.
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    if model:
        choose_model(widget, model)
    viewer.open_sample(PLUGIN, "nuclei_2d")  # layers "nuclei" and "nuclei ground truth" (hidden)
    # Opening a layer selects it; the clicks layer must be the selected one to receive clicks and keys.
    viewer.layers.selection.active = viewer.layers[CLICKS]
    return viewer, widget


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .safetensors checkpoint "
                        "(default: $NAPARI_CAG_MODEL, else the shipped weights)")
    args = parser.parse_args(argv)
    import napari

    build(model=args.model)
    napari.run()


if __name__ == "__main__":
    main()
