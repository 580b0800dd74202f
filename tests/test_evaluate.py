import csv
import json
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest
from skimage.draw import disk

from napari_cag import Click
from napari_cag.evaluate import ObjectResult, RandomWalkerSession, run_protocol, write_report
from napari_cag.metrics import iou, noc


def square(r0=5, c0=3, side=7, shape=(16, 16)):
    m = np.zeros(shape, bool)
    m[r0:r0 + side, c0:c0 + side] = True
    return m


GT = square()                 # 7x7, farthest point from the boundary: (8, 6)
NEAR = GT.copy()
NEAR[11] = False              # last row missed: IoU 42/49 = 0.857, between 85 % and 90 %


@dataclass
class FakeSample:
    """The dataset-sample interface `run_protocol` uses."""

    name: str
    image_path: str
    gt: np.ndarray
    ignore: np.ndarray | None = None

    @property
    def image(self):
        return np.zeros(self.gt.shape)

    def load(self):
        return SimpleNamespace(mask=self.gt, ignore=self.ignore)


class Scripted:
    """A segmenter returning scripted masks: ``scripts[k][n]`` after click n+1 on the k-th object since creation."""

    def __init__(self, scripts):
        self.scripts, self.objects, self.calls = list(scripts), -1, []

    def reset(self):
        self.objects += 1
        self.n = 0

    def add_click(self, y, x, positive=True):
        self.calls.append((self.objects, Click(y, x, positive)))
        script = self.scripts[self.objects]
        self.n += 1
        return script[min(self.n, len(script)) - 1].copy()


def test_iou_sequence_noc_and_simulated_clicks():
    fake = Scripted([[np.zeros_like(GT), NEAR, GT]])
    [result] = run_protocol([FakeSample("sq", "a.png", GT)], lambda s: fake, max_clicks=5)
    assert result.name == "sq" and result.area == 49
    np.testing.assert_allclose(result.ious, [0.0, 42 / 49, 1.0, 1.0, 1.0])
    assert noc(result.ious, 0.85, 5) == 2 and noc(result.ious, 0.90, 5) == 3
    # first click: positive at the farthest-from-boundary point; then the centre of the largest error
    assert result.clicks == [Click(8, 6), Click(8, 6), Click(11, 3)]
    assert [c for _, c in fake.calls] == result.clicks  # once perfect, no more clicks are made


def test_a_never_reached_target_pads_to_max_clicks_and_costs_max_clicks():
    fake = Scripted([[NEAR]])
    [result] = run_protocol([FakeSample("sq", "a.png", GT)], lambda s: fake, max_clicks=4)
    np.testing.assert_allclose(result.ious, [42 / 49] * 4)
    assert len(fake.calls) == 4 and noc(result.ious, 0.9, 4) == 4


def test_stop_at_ends_an_object_early():
    fake = Scripted([[np.zeros_like(GT), NEAR, GT]])
    [result] = run_protocol([FakeSample("sq", "a.png", GT)], lambda s: fake, max_clicks=5, stop_at=0.85)
    np.testing.assert_allclose(result.ious, [0.0] + [42 / 49] * 4)
    assert len(fake.calls) == 2


def test_false_positives_get_a_negative_click():
    too_big = GT.copy()
    too_big[:, 11:] = True  # 16x5 block of background taken: deeper than the missing row
    fake = Scripted([[too_big]])
    [result] = run_protocol([FakeSample("sq", "a.png", GT)], lambda s: fake, max_clicks=2)
    assert result.clicks[0] == Click(8, 6) and not result.clicks[1].positive
    assert not GT[result.clicks[1].pixel]


def test_ignored_pixels_are_not_errors():
    ignore = np.zeros_like(GT)
    ignore[11] = True  # the row NEAR misses
    fake = Scripted([[NEAR]])
    [result] = run_protocol([FakeSample("sq", "a.png", GT, ignore)], lambda s: fake, max_clicks=3)
    assert result.ious == [1.0, 1.0, 1.0] and len(fake.calls) == 1


def test_one_session_per_image_for_consecutive_samples():
    other = square(0, 0, 5)
    samples = [FakeSample("a#1", "a.png", GT), FakeSample("a#2", "a.png", other),
               FakeSample("b#1", "b.png", other), FakeSample("a#3", "a.png", GT)]
    made = []

    def make_session(sample):
        made.append(Scripted({"a#1": [[GT], [other]], "b#1": [[other]], "a#3": [[GT]]}[sample.name]))
        made[-1].first = sample.name
        return made[-1]

    finished = []
    results = run_protocol(samples, make_session, max_clicks=3, progress=lambda r: finished.append(r.name))
    assert [m.first for m in made] == ["a#1", "b#1", "a#3"]
    assert [r.name for r in results] == finished == ["a#1", "a#2", "b#1", "a#3"]
    assert all(r.ious == [1.0, 1.0, 1.0] for r in results)  # each object was reset and got its own mask
    assert made[0].objects == 1  # reset before each of its two objects
    # every object starts afresh: positive, at its own farthest point
    assert [r.clicks[0] for r in results] == [Click(8, 6), Click(2, 2), Click(2, 2), Click(8, 6)]


def test_write_report_files(tmp_path):
    results = {
        "m1": [ObjectResult("a", [0.5, 0.86, 0.95], [], 10), ObjectResult("b", [0.91, 0.91, 0.91], [], 20)],
        "m2": [ObjectResult("a", [0.1, 0.2, 0.3], [], 10)],
    }
    summary = write_report(results, tmp_path / "out", dataset="toy", command="napari-cag evaluate", max_clicks=3)
    on_disk = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert on_disk == summary
    assert on_disk["dataset"] == "toy" and on_disk["command"] == "napari-cag evaluate"
    m1, m2 = on_disk["methods"]["m1"], on_disk["methods"]["m2"]
    assert (m1["noc@85"], m1["noc@90"], m1["failures@90"], m1["n_objects"]) == (1.5, 2.0, 0, 2)
    assert (m2["noc@85"], m2["failures@85"]) == (3.0, 1)
    assert m1["mean_iou"] == pytest.approx([0.705, 0.885, 0.93])
    with (tmp_path / "out" / "objects.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["method", "object", "area", "noc@85", "noc@90", "iou@1", "iou@2", "iou@3"]
    assert rows[1] == ["m1", "a", "10", "2", "3", "0.5000", "0.8600", "0.9500"]
    assert [r[:2] for r in rows[1:]] == [["m1", "a"], ["m1", "b"], ["m2", "a"]]
    assert (tmp_path / "out" / "miou.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_random_walker_finds_a_bright_disc():
    rng = np.random.default_rng(0)
    gt = np.zeros((64, 64), bool)
    gt[disk((32, 30), 14)] = True
    image = np.where(gt, 0.8, 0.2) + rng.normal(0, 0.03, gt.shape)
    rw = RandomWalkerSession(image)
    first = rw.add_click(32, 30)  # no negative click yet: the window border is background
    assert iou(first, gt) > 0.8
    second = rw.add_click(4, 4, positive=False)
    assert iou(second, gt) > 0.8 and not second[4, 4]
    rw.reset()
    assert rw.clicks == [] and not rw.mask.any()
    assert not rw.add_click(4, 4, positive=False).any()  # only background seeds: nothing to segment


def test_the_paired_script_says_which_method_needs_fewer_clicks_and_how_surely(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "paired_noc.py"
    header = "method,object,area,noc@85,noc@90,iou@1\n"
    for name, clicks in (("a", [2, 3, 4, 5] * 10), ("b", [4, 5, 6, 7] * 10)):
        (tmp_path / name).mkdir()
        rows = [f"{name},obj{k},100,{n},{n + 1},0.5\n" for k, n in enumerate(clicks)]
        (tmp_path / name / "objects.csv").write_text(header + "".join(rows))
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "a"), str(tmp_path / "b")],
                         check=True, capture_output=True, text=True).stdout
    assert "(40 objects): noc@85 -2.00 [-2.00, -2.00]" in out  # A always needs 2 clicks fewer
    # a missing run and objects that differ are refused, not compared
    bad = subprocess.run([sys.executable, str(script), str(tmp_path / "a"), str(tmp_path / "b" / "objects.csv"),
                          str(tmp_path / "a"), str(tmp_path / "missing")], capture_output=True, text=True)
    assert bad.returncode != 0 and "no " in bad.stderr and "(40 objects)" in bad.stdout
    both = subprocess.run([sys.executable, str(script), str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "b"),
                           str(tmp_path / "b")], check=True, capture_output=True, text=True).stdout
    assert "all 2 pairs pooled (80 objects): noc@85 -1.00" in both  # -2 on one set, 0 on the other
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "objects.csv").write_text(header + "c,other,100,1,2,0.5\n")
    odd = subprocess.run([sys.executable, str(script), str(tmp_path / "a"), str(tmp_path / "c")],
                         capture_output=True, text=True)
    assert odd.returncode != 0 and "different objects" in odd.stderr
