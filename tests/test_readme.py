"""The README's Python blocks run, in order, as a reader would paste them (shipped weights)."""

import os
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    """The bodies of the ```python fenced blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```$", text, re.M | re.S)


def test_python_blocks_are_found():
    blocks = python_blocks("text\n```python\na = 1\n```\n```bash\nls\n```\n```python\nb = a\n```\n")
    assert blocks == ["a = 1\n", "b = a\n"]


@pytest.fixture(scope="module")
def readme_namespace(tmp_path_factory):
    """The namespace after running every Python block of the README in one session (in a fresh
    folder, as the blocks write files)."""
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    namespace = {"__name__": "__readme__"}
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("readme"))
    try:
        for k, code in enumerate(blocks, 1):
            exec(compile(code, f"README.md python block {k}", "exec"), namespace)  # later blocks use earlier names
        namespace["cwd"] = Path.cwd()
    finally:
        os.chdir(here)
    return namespace


def _clicks(code: str) -> list[tuple[int, int, bool]]:
    return [(int(y), int(x), not neg) for y, x, neg in
            re.findall(r"add_click\((\d+), (\d+)(, positive=False)?\)", code)]


def test_from_python_clicks_are_on_a_nucleus_and_off_it():
    first = python_blocks(README.read_text(encoding="utf-8"))[0]
    from napari_cag.data import nuclei_2d

    truth = nuclei_2d()[1]
    (py, px, pos), (ny, nx, neg) = _clicks(first)
    assert pos and not neg
    assert truth[py, px] > 0, "the positive click must lie on a nucleus"
    assert truth[ny, nx] != truth[py, px], "the negative click must lie on background or another nucleus"


def test_readme_blocks_run_and_segment_the_clicked_nucleus(readme_namespace):
    ns = readme_namespace
    truth, labels, same = ns["truth"], ns["labels"], ns["same"]
    assert labels.shape == truth.shape and set(np.unique(labels)) == {0, 1}
    target = truth == truth[256, 252]
    assert np.array_equal(labels == 1, same)  # the session and the one-shot call agree
    inter = np.logical_and(same, target).sum()
    assert inter / same.sum() > 0.5 and inter / target.sum() > 0.5  # mostly the clicked nucleus
    assert ns["obj_sc"].shape == truth.shape and ns["sp"].shape == (2, *truth.shape)


def test_readme_propagation_block_finds_the_object(readme_namespace):
    ns = readme_namespace
    volume, truth3d = ns["volume"], ns["truth3d"]
    obj = truth3d == truth3d[13, 41, 36]
    assert truth3d[13, 41, 36] > 0 and volume.shape == truth3d.shape
    assert (volume & obj).sum() / (volume | obj).sum() > 0.5  # 0.73 measured (shipped weights, 2026-12-01)


def test_readme_adapt_block_saves_a_model_that_loads(readme_namespace):
    from napari_cag.model import load_model

    ns = readme_namespace
    result = ns["result"]
    assert result.objects + result.held_back == 20 and result.steps == 10
    assert result.message.startswith(("adapted on 15 objects", "kept the base model"))
    net, config = load_model(ns["cwd"] / "my_nuclei.safetensors")
    assert config.meta["name"].endswith("-adapted") == result.adapted
