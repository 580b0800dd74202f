import csv
import json

import numpy as np
import pytest
import torch
from PIL import Image
from skimage.draw import disk

from napari_cag.cli import main
from napari_cag.training.cache import is_validation


def disc_image(k: int):
    """A 48x48 RGB image with one bright disc, and its 0/255 mask."""
    mask = np.zeros((48, 48), bool)
    mask[disk((20 + 4 * k, 24), 10)] = True
    image = np.where(mask[..., None], [210, 180, 60], [30, 40, 50]).astype(np.uint8)
    return image, mask


def img_gt_dataset(root, n=2):
    (root / "img").mkdir(parents=True)
    (root / "gt").mkdir()
    for k in range(n):
        image, mask = disc_image(k)
        Image.fromarray(image).save(root / "img" / f"d{k}.png")
        Image.fromarray((mask * 255).astype(np.uint8)).save(root / "gt" / f"d{k}.png")
    return root


def labels_dataset(root, stems=("c0", "c1")):
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for k, stem in enumerate(stems):
        image, mask = disc_image(k % 4)
        Image.fromarray(image[..., 0]).save(root / "images" / f"{stem}.png")
        Image.fromarray(mask.astype(np.uint16) * 7).save(root / "labels" / f"{stem}.png")
    (root / "val.txt").write_text(stems[0] + "\n")
    (root / "train.txt").write_text("\n".join(stems[1:]) + "\n")
    return root


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default output folders (runs/...) land in the test's folder
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("name", ["grabcut", "GrabCut"])
def test_train_refuses_the_grabcut_evaluation_set(tmp_path, name):
    (tmp_path / name).mkdir()
    with pytest.raises(SystemExit, match="evaluation set"):
        main(["train", "--data", str(tmp_path / name), "--run", str(tmp_path / "run"), "--cache", str(tmp_path / "c")])
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("split", ["val.txt", "val"])
def test_train_refuses_a_validation_split(tmp_path, split):
    root = labels_dataset(tmp_path / "cells")
    with pytest.raises(SystemExit, match=rf"cells:{split} is an evaluation set"):
        main(["train", "--data", f"{root}:{split}", "--run", str(tmp_path / "run"), "--cache", str(tmp_path / "c")])
    assert not (tmp_path / "run").exists()


def test_train_on_a_training_split(tmp_path):
    root = labels_dataset(tmp_path / "cells")
    assert not is_validation("cells/c1")  # else the only image would be held out
    run = tmp_path / "run"
    main(["train", "--data", f"{root}:train.txt", "--run", str(run), "--cache", str(tmp_path / "c"),
          "--steps", "2", "--batch-size", "1", "--width", "8", "--input-size", "64", "--save-every", "1"])
    config = json.loads((run / "last.json").read_text())
    assert config["width"] == 8 and config["meta"]["trained_on"] == [f"{root}:train.txt"]
    assert len(list((tmp_path / "c").glob("*.npz"))) == 1  # only the split's image was cached


def test_train_from_a_model_keeps_its_superpixel_setting_unless_told(tmp_path):
    from napari_cag.model import ModelConfig, build_model, save_model

    root = labels_dataset(tmp_path / "cells")
    config = ModelConfig(width=8, input_size=64, max_superpixel_area=50)
    weights = save_model(tmp_path / "m.safetensors", build_model(config), config)
    common = ["--data", f"{root}:train.txt", "--cache", str(tmp_path / "c"), "--init", str(weights), "--steps", "1",
              "--batch-size", "1", "--width", "8", "--input-size", "64", "--val-objects", "0"]
    main(["train", "--run", str(tmp_path / "same"), *common])
    main(["train", "--run", str(tmp_path / "told"), *common, "--max-superpixel-area", "200"])
    assert json.loads((tmp_path / "same" / "last.json").read_text())["max_superpixel_area"] == 50
    assert json.loads((tmp_path / "told" / "last.json").read_text())["max_superpixel_area"] == 200
    assert len(list((tmp_path / "c").glob("*.npz"))) == 2  # one structure per setting
    # resuming keeps the run's own setting, and a different one is refused
    resume = ["--data", f"{root}:train.txt", "--cache", str(tmp_path / "c"), "--run", str(tmp_path / "same"),
              "--batch-size", "1", "--width", "8", "--input-size", "64", "--val-objects", "0", "--resume"]
    main(["train", *resume, "--steps", "2"])
    assert json.loads((tmp_path / "same" / "last.json").read_text())["max_superpixel_area"] == 50
    assert len(list((tmp_path / "c").glob("*.npz"))) == 2  # no 400-px structure was made for it
    with pytest.raises(SystemExit, match="trained with --max-superpixel-area 50"):
        main(["train", *resume, "--steps", "3", "--max-superpixel-area", "400"])
    with pytest.raises(SystemExit, match="at least 1 pixel"):
        main(["train", "--run", str(tmp_path / "zero"), *common, "--max-superpixel-area", "0"])


def test_calibrate_writes_the_chosen_bias_into_a_copy(tmp_path, capsys):
    from napari_cag.model import ModelConfig, build_model, load_model, save_model

    root = labels_dataset(tmp_path / "cells", stems=[f"c{k}" for k in range(8)])
    config = ModelConfig(width=8, input_size=64)
    weights = save_model(tmp_path / "m.safetensors", build_model(config), config)
    out = tmp_path / "calibrated.safetensors"
    main(["calibrate", "--data", str(root), "--weights", str(weights), "--out", str(out), "--cache", str(tmp_path / "c"),
          "--biases", "0", "2", "--clicks", "1", "--val-objects", "2", "--score", "iou"])
    printed = capsys.readouterr().out
    assert "bias +0.00" in printed and "bias +2.00" in printed and "mean IoU over clicks 1-1" in printed
    _, calibrated = load_model(out)
    scores = calibrated.meta["calibration"]["scores"]
    assert set(scores) == {"+0.00", "+2.00"}
    assert calibrated.object_bias == max((0.0, 2.0), key=lambda b: scores[f"{b:+.2f}"]["mean"])
    assert load_model(weights)[1].object_bias == 0.0  # the input is left as it was
    with pytest.raises(SystemExit, match="safetensors"):
        main(["calibrate", "--data", str(root), "--weights", str(weights), "--out", str(tmp_path / "x.pt")])


def test_evaluate_random_walker_writes_a_report(tmp_path, capsys):
    root = img_gt_dataset(tmp_path / "discs")
    out = tmp_path / "out"
    main(["evaluate", "--data", str(root), "--method", "random-walker", "--max-clicks", "3", "--out", str(out)])
    summary = json.loads((out / "summary.json").read_text())
    rw = summary["methods"]["random-walker"]
    assert summary["dataset"] == "discs" and rw["n_objects"] == 2
    assert rw["noc@85"] == 1.0 and len(rw["mean_iou"]) == 3 and rw["mean_iou"][0] > 0.85
    with (out / "objects.csv").open() as f:
        assert [r[:2] for r in csv.reader(f)][1:] == [["random-walker", "d0"], ["random-walker", "d1"]]
    assert (out / "miou.png").is_file()
    assert "random-walker: NoC@85 1.00" in capsys.readouterr().out


def test_evaluate_a_split(tmp_path):
    root = img_gt_dataset(tmp_path / "discs")
    (root / "val.txt").write_text("d1\n")
    main(["evaluate", "--data", f"{root}:val.txt", "--method", "random-walker", "--max-clicks", "2",
          "--out", str(tmp_path / "out")])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["dataset"] == "discs:val.txt" and summary["methods"]["random-walker"]["n_objects"] == 1


def test_evaluate_method_may_change_a_refinement_preset(tmp_path, capsys):
    from napari_cag.cli import _method_spec
    from napari_cag.refine import REFINE_PRESETS

    name, path, options = _method_spec("microscopy,refine=microscopy+colour_weight=0.25+min_band=2")
    settings = options["refine"]
    assert (name, path) == ("microscopy", "")
    assert settings.colour_weight == 0.25 and settings.min_band == 2 and isinstance(settings.min_band, int)
    assert settings.edge_weight == REFINE_PRESETS["microscopy"].edge_weight
    for bad, message in (("refine=micro+band=1", "preset 'micro'"), ("refine=natural+colour=1", "'colour=1'"),
                         ("refine=natural+min_band=2.5", "not a int")):
        with pytest.raises(SystemExit, match=message):
            _method_spec(f"natural,{bad}")
    root = img_gt_dataset(tmp_path / "discs")
    main(["evaluate", "--data", str(root), "--method", "microscopy,refine=microscopy+colour_weight=0", "--max-clicks",
          "1", "--out", str(tmp_path / "out")])
    assert "microscopy: NoC@85" in capsys.readouterr().out
