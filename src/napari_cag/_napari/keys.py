"""The widget's keyboard shortcuts, bound on the clicks layer, chosen clear of napari's defaults.

napari's own keys for the viewer and for Points and Labels layers (modes 1-7, A, B, E, F,
L, M, P, S, X, Z, brackets, V, arrows, Space, Ctrl+...) stay what they are; a test checks
these against the viewer's keymap. (T, R and C mean something to Shapes and Image layers, but
a key reaches only the selected layer, and these are bound on the clicks layer alone.)
"""

from __future__ import annotations

# key: (action name, what it does); the widget maps the names to its methods
SHORTCUTS: dict[str, tuple[str, str]] = {
    "T": ("toggle_polarity", "swap what a left click adds (positive ↔ negative)"),
    "N": ("flip_selected", "flip the polarity of the selected clicks (the last click if none is selected)"),
    "C": ("commit", "commit the object into napari-cag objects"),
    "U": ("undo_click", "take back the last click"),
    "R": ("reset", "drop the current object (an edited object stays as committed)"),
    "G": ("propagate", "propagate the last committed object through the neighbouring slices"),
}

MOUSE = ("<b>Left click</b>: positive (object) · <b>right or Ctrl+click</b>: negative · "
         "<b>Shift+click</b> a committed object: edit it")


def help_text() -> str:
    """The widget's help: mouse gestures and every shortcut."""
    keys = " · ".join(f"<b>{key}</b> {what.split(' (')[0]}" for key, (_, what) in SHORTCUTS.items())
    return f"{MOUSE}<br>{keys}<br>Keys act while the clicks layer is selected."
