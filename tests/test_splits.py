"""Held-out validation images: the same in training and in ``evaluate --data PATH:holdout``."""

import numpy as np
import pytest
from PIL import Image

from napari_cag.cli import main
from napari_cag.datasets import load_dataset
from napari_cag.splits import held_out_stems


def cells(root, n=12):
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for k in range(n):
        labels = np.zeros((32, 32), np.uint16)
        labels[8:20, 6 + k % 10:18 + k % 10] = 1
        Image.fromarray((labels * 200).astype(np.uint8)).save(root / "images" / f"c{k:02d}.png")
        Image.fromarray(labels).save(root / "labels" / f"c{k:02d}.png")
    return root


def test_holdout_split_is_the_training_hold_out(tmp_path):
    root = cells(tmp_path / "cells")
    held = held_out_stems("cells", [f"c{k:02d}" for k in range(12)])
    assert 1 <= len(held) <= 4
    assert sorted({s.image_path.stem for s in load_dataset(root, split="holdout")}) == sorted(held)


def test_training_refuses_the_holdout_split(tmp_path):
    root = cells(tmp_path / "cells")
    with pytest.raises(SystemExit, match="evaluation set"):
        main(["train", "--data", f"{root}:holdout", "--run", str(tmp_path / "run"), "--cache", str(tmp_path / "c")])
