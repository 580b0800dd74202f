import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_cag import Click
from napari_cag.metrics import iou
from napari_cag.refine import REFINE_PRESETS, RefineSettings, graph_cut


def _ellipse(h=300, w=400, seed=0, colours=((0.8, 0.3, 0.2), (0.2, 0.5, 0.7))):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    truth = (yy - h / 2) ** 2 / (0.27 * h) ** 2 + (xx - w / 2) ** 2 / (0.3 * w) ** 2 < 1
    image = np.where(truth[..., None], colours[0], colours[1]) + rng.normal(0, 0.05, (h, w, 3))
    return np.clip(image, 0, 1).astype(np.float32), truth


def _blurred_guess(truth, sigma, shift):
    """A network-like probability: blurred and off by a few pixels."""
    return ndi.shift(ndi.gaussian_filter(truth.astype(np.float32), sigma), shift, order=1)


def test_the_cut_snaps_a_blurred_shifted_mask_to_the_object_boundary():
    image, truth = _ellipse()
    prob = _blurred_guess(truth, 8, (6, -5))
    assert iou(prob > 0.5, truth) < 0.92
    refined = graph_cut(prob, image, [Click(150, 200)])
    assert iou(refined, truth) > 0.98


def test_grey_images_use_an_intensity_model():
    image, truth = _ellipse(colours=((0.7,) * 3, (0.35,) * 3))
    prob = _blurred_guess(truth, 6, (4, 4))
    refined = graph_cut(prob, image, [Click(150, 200)], REFINE_PRESETS["microscopy"])
    assert iou(refined, truth) > max(0.97, iou(prob > 0.5, truth) + 0.03)


def test_clicks_are_hard_constraints():
    image, truth = _ellipse()
    prob = np.where(truth, 0.95, 0.05).astype(np.float32)
    neg = Click(150, 200, positive=False)  # deep inside a confident object
    refined = graph_cut(prob, image, [Click(150, 120), neg])
    assert not refined[neg.pixel] and refined[150, 120]
    assert refined.sum() > 0.8 * truth.sum()  # the rest of the object stays


def test_only_parts_holding_a_positive_click_are_kept():
    image, truth = _ellipse()
    prob = np.where(truth, 0.9, 0.05).astype(np.float32)
    prob[5:25, 5:25] = 0.9  # a confident blob away from the object
    refined = graph_cut(prob, image, [Click(150, 200)])
    assert not refined[5:25, 5:25].any() and iou(refined, truth) > 0.97


def test_large_objects_are_cut_coarse_to_fine_at_native_resolution():
    image, truth = _ellipse(600, 800, seed=1)
    prob = _blurred_guess(truth, 12, (8, -6))
    coarse_to_fine = graph_cut(prob, image, [Click(300, 400)], RefineSettings(max_nodes=5_000))
    assert iou(coarse_to_fine, truth) > 0.98
    edges = coarse_to_fine ^ ndi.binary_erosion(coarse_to_fine)
    assert (edges & (truth ^ ndi.binary_erosion(truth))).sum() > 0.5 * edges.sum()  # pixel-exact boundary


def test_nothing_to_refine_returns_the_network_mask():
    image, truth = _ellipse(60, 80)
    prob = np.where(truth, 0.9, 0.1).astype(np.float32)
    np.testing.assert_array_equal(graph_cut(prob, image, [Click(5, 5, positive=False)]), prob > 0.5)
    empty = np.zeros_like(prob)
    assert not graph_cut(empty, image, [Click(30, 40)]).any()


@pytest.mark.parametrize("refine", ["bogus", 3])
def test_bad_refine_options_are_refused(refine):
    from napari_cag.predictor import Predictor

    with pytest.raises(ValueError, match="refine must be"):
        Predictor(refine=refine)


def _energy(labels, unary, pairs):
    """The refinement energy of a labelling (module docstring of `napari_cag.refine.graphcut`)."""
    from napari_cag.refine.graphcut import _shifted

    total = np.where(labels, np.maximum(-unary, 0), np.maximum(unary, 0)).sum()
    for dy, dx, weight in pairs:
        a, b = _shifted(labels, dy, dx)
        total += weight[a != b].sum()
    return total


@pytest.mark.parametrize("seed", range(4))
def test_the_cut_is_the_least_energy_labelling(seed):
    """On a 4x4 crop with 12 free pixels, no labelling of the free pixels costs less than the cut's."""
    from napari_cag.refine.graphcut import _BandGraph, _pairwise

    rng = np.random.default_rng(seed)
    image = rng.random((4, 4, 3)).astype(np.float32)
    unary = rng.normal(0, 2, (4, 4)).astype(np.float32)
    pairs = _pairwise(image, 3.0)
    free = np.ones((4, 4), bool)
    free[0, :2] = free[3, 2:] = False
    start = np.zeros((4, 4), bool)
    start[0, :2] = True  # fixed object pixels; the other fixed ones are background
    none = np.zeros((4, 4), bool)
    graph = _BandGraph(pairs, free, start, none, none)
    cut = graph.cut(unary)
    assert np.array_equal(cut[~free], start[~free])
    best = np.inf
    for code in range(2 ** 12):
        labels = start.copy()
        labels[free] = (code >> np.arange(12)) & 1 == 1
        best = min(best, _energy(labels, unary, pairs))
    # capacities are rounded to 1/100: the cut may miss the optimum by that rounding only
    assert _energy(cut, unary, pairs) <= best + 0.01 * 60
    assert np.array_equal(graph.cut(unary), cut)  # the graph is reused for the colour model's rounds


# The widget's flow: the image's structure in a worker of Qt's thread pool, then a click (the network and the
# refinement) in the same, reused worker, while the main thread runs Python (the event loop).
_WORKER_CLICK = """
from qtpy.QtCore import QRunnable, QThreadPool
from napari_cag import Session
from napari_cag.data import nuclei_2d

image = nuclei_2d()
image = (image[0] if isinstance(image, tuple) else image)[128:384, 128:384]
pool, box = QThreadPool(), {}
pool.setMaxThreadCount(1)

class Task(QRunnable):
    def __init__(self, work):
        super().__init__()
        self.work = work

    def run(self):
        self.work()

def prepare():
    box["session"] = Session(image, model="microscopy")

def click():
    box["mask"] = box["session"].add_click(122, 122)

for work in (prepare, click):
    pool.start(Task(work))
    while pool.activeThreadCount():
        sum(range(1000))
print("object pixels", int(box["mask"].sum()))
"""


def test_a_refined_click_in_a_reused_worker_thread_keeps_the_process_alive(tmp_path):
    """OR-Tools' binding used to set up its NumPy interface on the first cut, taking the GIL back with a
    thread state left from the worker's previous task: the process died (SIGSEGV) on napari's first click."""
    import os
    import subprocess
    import sys

    pytest.importorskip("qtpy.QtCore")
    script = tmp_path / "worker_click.py"
    script.write_text(_WORKER_CLICK)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, f"exit status {done.returncode}: {done.stderr[-2000:]}"
    assert int(done.stdout.split()[-1]) > 100  # the clicked nucleus
