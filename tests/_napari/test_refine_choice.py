"""The widget's refinement choice reaches the session: 'none' shows the network's own mask."""

import numpy as np
import pytest

pytest.importorskip("napari")
pytest.importorskip("pytestqt")

from napari_cag._napari.layers import PREVIEW  # noqa: E402


def test_choosing_no_refinement_shows_the_network_mask(docked, discs, settle):
    from napari_cag import Session
    from napari_helpers import TINY

    image, _ = discs
    viewer, widget = docked(image)
    c = widget.controller
    c.add_click((30, 30), True)
    settle(widget)
    refined = viewer.layers[PREVIEW].data > 0
    form = widget.settings
    form.refine_box.setCurrentText("none")
    assert c.settings.refine == "none" and all(s.refine == "none" for s in c.sessions.values())
    c.reset()
    c.add_click((30, 30), True)
    settle(widget)
    shown = viewer.layers[PREVIEW].data > 0
    limits = tuple(viewer.layers["cells"].contrast_limits)
    raw = Session(image, model=str(TINY), refine="none", contrast_limits=limits).add_click(30, 30)
    np.testing.assert_array_equal(shown, raw)
    assert (shown != refined).any()  # the choice changed what is on show
