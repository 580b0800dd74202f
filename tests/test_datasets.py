from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from napari_cag.datasets import (
    Sample,
    detect_layout,
    instance_masks,
    labels_from_masks,
    load_dataset,
    read_image,
    read_mask,
)

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def needs(name):
    path = DATASETS / name
    return pytest.mark.skipif(
        not path.is_dir(), reason=f"real dataset folder {path} is absent (it lives in ../shared/datasets)"
    )


def save(path: Path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array), mode=mode).save(path)


def rgb(h, w, value=0):
    return np.full((h, w, 3), value, np.uint8)


# --- helpers ----------------------------------------------------------------------


def test_instance_masks_and_labels_from_masks():
    labels = np.array([[0, 7, 7], [300, 0, 7]], np.uint16)
    got = [(i, m.sum()) for i, m in instance_masks(labels)]
    assert got == [(7, 3), (300, 1)]
    a = np.array([[1, 1, 0]])
    b = np.array([[0, 255, 255]])
    assert labels_from_masks([a, b]).tolist() == [[1, 1, 2]]  # overlap: first mask wins
    with pytest.raises(ValueError, match=r"mask 1 has shape \(2, 2\)"):
        labels_from_masks([a, np.zeros((2, 2))])
    with pytest.raises(TypeError, match="float"):
        list(instance_masks(np.zeros((2, 2))))


def test_read_image_drops_alpha_and_read_mask_keeps_palette(tmp_path):
    rgba = np.zeros((4, 5, 4), np.uint8)
    rgba[..., 0] = 9
    rgba[..., 3] = 255
    save(tmp_path / "a.png", rgba)
    im = read_image(tmp_path / "a.png")
    assert im.shape == (4, 5, 3) and im[0, 0, 0] == 9
    with pytest.raises(FileNotFoundError, match="nope.png"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(FileNotFoundError, match="nope.png"):
        read_mask(tmp_path / "nope.png")


# --- synthetic layouts -------------------------------------------------------------


def make_grabcut(root: Path):
    m = np.zeros((6, 8), np.uint8)
    m[1:5, 2:6] = 128
    m[2:4, 3:5] = 255
    save(root / "boundary_GT" / "flower.bmp", m)
    save(root / "data_GT" / "flower.jpg", rgb(6, 8, 50))
    save(root / "boundary_GT" / "123.bmp", np.where(m == 128, 0, m).astype(np.uint8))
    save(root / "data_GT" / "123.bmp", rgb(6, 8, 90))


def test_grabcut_layout(tmp_path):
    make_grabcut(tmp_path)
    assert detect_layout(tmp_path) == "grabcut"
    samples = load_dataset(tmp_path)
    assert [s.name for s in samples] == ["123", "flower"]
    flower = samples[1].load()
    assert flower.image.shape == (6, 8, 3)
    assert flower.mask.dtype == bool and flower.mask.sum() == 4
    assert flower.ignore.sum() == 16 - 4
    assert flower.instances is None
    assert samples[0].ignore.sum() == 0 and samples[0].mask.sum() == 4
    assert samples[0].image_path.suffix == ".bmp"


def test_img_gt_palette_merges_ids_and_keeps_void(tmp_path):
    ids = np.zeros((6, 6), np.uint8)
    ids[0:2, 0:3] = 1  # 6 px
    ids[3:5, 3:6] = 2  # 6 px
    ids[5, :] = 255  # 6 px void
    pal = Image.fromarray(ids, mode="P")
    # colours chosen so an RGB read would NOT give back ids 1, 2, 255
    pal.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0, 0, 0] * 252 + [224, 224, 192])
    (tmp_path / "gt").mkdir()
    pal.save(tmp_path / "gt" / "baseball bat00_1.png")
    save(tmp_path / "img" / "baseball bat00_1.jpg", rgb(6, 6))
    grey = np.zeros((6, 6), np.uint8)
    grey[:3] = 255
    save(tmp_path / "gt" / "cat.png", grey)
    save(tmp_path / "img" / "cat.jpg", rgb(6, 6))

    assert detect_layout(tmp_path) == "img-gt"
    samples = load_dataset(tmp_path)
    assert [s.name for s in samples] == ["baseball bat00_1", "cat"]
    s = samples[0]
    np.testing.assert_array_equal(s.mask, (ids == 1) | (ids == 2))
    np.testing.assert_array_equal(s.ignore, ids == 255)
    assert read_mask(s.mask_path).max() == 255  # indices, not RGB
    assert samples[1].mask.sum() == 18 and not samples[1].ignore.any()


def make_labels(root: Path):
    a = np.zeros((8, 8), np.uint16)
    a[0:2, 0:2] = 1
    a[4:6, 4:6] = 1000  # beyond 8 bits
    a[6:8, 0:3] = 2
    b = np.zeros((8, 8), np.uint16)
    b[1:3, 1:3] = 5
    for stem, lab in (("a", a), ("b", b)):
        save(root / "labels" / f"{stem}.png", lab)
        save(root / "images" / f"{stem}.png", rgb(8, 8, 10))
    (root / "val.txt").write_text("b\n\n")
    (root / "train.txt").write_text("a\n")
    return a


def test_images_labels_layout_and_split(tmp_path):
    a = make_labels(tmp_path)
    assert detect_layout(tmp_path) == "images-labels"
    samples = load_dataset(tmp_path)
    assert [(s.name, s.label) for s in samples] == [("a#1", 1), ("a#2", 2), ("a#1000", 1000), ("b#5", 5)]
    big = samples[2].load()
    np.testing.assert_array_equal(big.mask, a == 1000)
    np.testing.assert_array_equal(big.instances, a)
    assert big.ignore is None
    assert [s.name for s in load_dataset(tmp_path, split="val.txt")] == ["b#5"]
    assert [s.label for s in load_dataset(tmp_path, split="train")] == [1, 2, 1000]


def test_max_instances_is_a_seeded_subset(tmp_path):
    make_labels(tmp_path)
    all_names = [s.name for s in load_dataset(tmp_path)]
    picks = {tuple(s.name for s in load_dataset(tmp_path, max_instances=2, seed=k)) for k in range(10)}
    assert all(len(p) == 2 and set(p) <= set(all_names) for p in picks)
    assert all(list(p) == [n for n in all_names if n in p] for p in picks)  # dataset order kept
    assert len(picks) > 1  # the seed matters ...
    first = [s.name for s in load_dataset(tmp_path, max_instances=2, seed=3)]
    assert first == [s.name for s in load_dataset(tmp_path, max_instances=2, seed=3)]  # ... reproducibly
    assert len(load_dataset(tmp_path, max_instances=99)) == 4
    with pytest.raises(ValueError, match="max_instances"):
        load_dataset(tmp_path, max_instances=0)


def test_images_masks_layout_several_masks_per_image(tmp_path):
    m1 = np.zeros((5, 5), np.uint8)
    m1[0:2, 0:2] = 255
    m2 = np.zeros((5, 5), np.uint8)
    m2[3:5, 3:5] = 1
    m3 = np.zeros((5, 5), np.uint8)
    m3[2, :] = 255
    save(tmp_path / "images" / "cell.png", rgb(5, 5))
    save(tmp_path / "images" / "cell2.png", rgb(5, 5))
    save(tmp_path / "masks" / "cell_a.png", m1)
    save(tmp_path / "masks" / "cell_b.png", m2)
    save(tmp_path / "masks" / "cell2_a.png", m3)  # starts with "cell" too: longest stem wins
    assert detect_layout(tmp_path) == "images-masks"
    samples = load_dataset(tmp_path)
    assert [(s.name, s.image_path.name) for s in samples] == [
        ("cell_a", "cell.png"),
        ("cell_b", "cell.png"),
        ("cell2_a", "cell2.png"),
    ]
    second = samples[1].load()
    np.testing.assert_array_equal(second.mask, m2 > 0)
    assert second.instances.max() == 2 and (second.instances == 1).sum() == 4
    assert samples[2].instances.max() == 1


# --- errors ---------------------------------------------------------------------------


def test_unknown_layout_names_folder_and_expected(tmp_path):
    (tmp_path / "pictures").mkdir()
    with pytest.raises(ValueError, match=r"matches no dataset layout.*data_GT/ \+ boundary_GT/"):
        detect_layout(tmp_path)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_dataset(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="layout must be one of"):
        load_dataset(tmp_path, layout="coco")


def test_image_without_mask_and_mask_without_image(tmp_path):
    make_grabcut(tmp_path)
    save(tmp_path / "data_GT" / "lonely.jpg", rgb(6, 8))
    with pytest.raises(ValueError, match="have no mask.*'lonely'"):
        load_dataset(tmp_path)
    (tmp_path / "data_GT" / "lonely.jpg").unlink()
    save(tmp_path / "boundary_GT" / "orphan.bmp", np.zeros((6, 8), np.uint8))
    with pytest.raises(ValueError, match="have no image.*'orphan'"):
        load_dataset(tmp_path)


def test_split_errors(tmp_path):
    make_labels(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"test.txt.*\['train.txt', 'val.txt'\]"):
        load_dataset(tmp_path, split="test.txt")
    (tmp_path / "bad.txt").write_text("zzz\n")
    with pytest.raises(ValueError, match="'zzz'"):
        load_dataset(tmp_path, split="bad.txt")


def test_images_masks_without_mask_raises(tmp_path):
    save(tmp_path / "images" / "x.png", rgb(3, 3))
    save(tmp_path / "masks" / "y_1.png", np.ones((3, 3), np.uint8))
    with pytest.raises(ValueError, match="starts with no image stem"):
        load_dataset(tmp_path)


def test_mask_image_size_mismatch(tmp_path):
    save(tmp_path / "img" / "a.jpg", rgb(4, 4))
    save(tmp_path / "gt" / "a.png", np.zeros((5, 5), np.uint8))
    with pytest.raises(ValueError, match=r"\(5, 5\).*\(4, 4\)"):
        load_dataset(tmp_path)[0].load()


# --- the real datasets in ../shared/datasets ------------------------------------------------


@needs("grabcut")
def test_real_grabcut():
    samples = load_dataset(DATASETS / "grabcut")
    assert len(samples) == 50
    assert all(isinstance(s, Sample) for s in samples)
    banded = 0
    for s in samples:
        mask, ignore = s.mask, s.ignore
        assert mask.any() and not (mask & ignore).any()
        banded += bool(ignore.any())
    assert banded == 42  # SOURCE.md: 42 of 50 masks have the 128 band
    one = samples[0].load()
    assert one.image.ndim == 3 and one.image.shape[:2] == one.mask.shape


@needs("dsb2018")
def test_real_dsb2018_val():
    samples = load_dataset(DATASETS / "dsb2018", split="val.txt")
    assert len(samples) == 4521
    assert len({s.image_path for s in samples}) == 107
    s = samples[0].load()
    assert s.image.shape[-1] == 3 and s.instances.dtype == np.uint16
    assert s.mask.sum() == (s.instances == samples[0].label).sum() > 0
    sub = load_dataset(DATASETS / "dsb2018", split="val.txt", max_instances=50, seed=1)
    assert len(sub) == 50 and {x.name for x in sub} <= {x.name for x in samples}


@needs("davis345")
def test_real_davis_palette_merges_ids():
    samples = load_dataset(DATASETS / "davis345")
    assert len(samples) == 345
    s = next(x for x in samples if x.name == "195")
    raw = read_mask(s.mask_path)
    assert set(np.unique(raw)) == {0, 1, 2, 255}
    np.testing.assert_array_equal(s.mask, (raw > 0) & (raw < 255))
    assert s.ignore.sum() == 160  # SOURCE.md: 160 void pixels


@needs("coco_mval")
def test_real_coco_stems_with_spaces():
    samples = load_dataset(DATASETS / "coco_mval")
    assert len(samples) == 800
    spaced = next(s for s in samples if s.name == "baseball bat00_000000057232")
    assert spaced.image_path.name == "baseball bat00_000000057232.jpg"
    assert spaced.mask.any()
