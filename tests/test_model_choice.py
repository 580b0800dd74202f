"""The shipped models: one per domain, picked from the image, overridable everywhere."""

import json


import pytest
from skimage import data

from napari_cag import Session, segment
from napari_cag.clicks import Click
from napari_cag.data import nuclei_2d
from napari_cag.predictor import SHIPPED, Predictor

IMAGES = {"nuclei": lambda: nuclei_2d()[0], "astronaut": data.astronaut, "coffee": data.coffee,
          "camera": data.camera}
EXPECTED = {"nuclei": "microscopy", "astronaut": "natural", "coffee": "natural", "camera": "microscopy"}


def shipped_name(predictor) -> str:
    """Which shipped file the predictor's current network came from."""
    return predictor.config.meta["name"]


@pytest.mark.parametrize("domain", sorted(SHIPPED))
def test_every_shipped_model_has_weights_a_config_and_a_model_card(domain):
    weights = SHIPPED[domain]
    assert weights.is_file() and weights.stat().st_size < 20 * 2**20
    config = json.loads(weights.with_suffix(".json").read_text())
    card = weights.with_suffix(".md").read_text()
    for heading in ("Trained on", "Recipe", "Measured", "Not for", "Parameters", "FLOPs"):
        assert heading in card, f"{weights.with_suffix('.md').name} lacks {heading!r}"
    assert config["meta"]["name"] == weights.stem
    if config.get("later_mix"):  # the network mixed into its later clicks ships with it, card and all
        later = weights.parent / config["later_mix"]["weights"]
        assert later.is_file() and later.stat().st_size < 20 * 2**20
        assert json.loads(later.with_suffix(".json").read_text())["meta"]["name"] == later.stem
        later_card = later.with_suffix(".md").read_text()
        assert all(h in later_card for h in ("Trained on", "Recipe", "Measured", "Not for", "Parameters", "FLOPs"))


@pytest.mark.parametrize("name", ["nuclei", "astronaut"])
def test_auto_computes_the_structure_with_the_chosen_models_superpixel_settings(name):
    # the microscopy model was trained on superpixels of at most 50 px, the natural one on 1,000 per image:
    # each image's superpixels must be the ones its model saw in training
    image = IMAGES[name]()
    session = Session(image)
    session.add_click(image.shape[0] // 2, image.shape[1] // 2)
    wanted = session.predictor.config.n_segments_for(image.shape[:2])
    assert abs(session.structure.n_superpixels - wanted) < 0.25 * wanted


def test_the_shipped_models_differ_in_their_superpixel_settings():
    sizes = {d: json.loads(w.with_suffix(".json").read_text())["max_superpixel_area"] for d, w in SHIPPED.items()}
    assert sizes["microscopy"] < sizes["natural"]  # else the test above cannot tell the models apart


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_auto_picks_the_model_of_the_image_domain(name):
    image = IMAGES[name]()
    session = Session(image)
    h, w = image.shape[:2]
    session.add_click(h // 2, w // 2)
    assert session.predictor.domain == EXPECTED[name]
    assert shipped_name(session.predictor) == SHIPPED[EXPECTED[name]].stem


def test_one_predictor_switches_models_between_images():
    predictor = Predictor()
    for name in ("nuclei", "astronaut", "nuclei"):
        image = IMAGES[name]()
        Session(image, model=predictor).add_click(image.shape[0] // 2, image.shape[1] // 2)
        assert shipped_name(predictor) == SHIPPED[EXPECTED[name]].stem
    assert len(predictor._models) == 2  # each loaded once


def test_two_open_sessions_sharing_a_predictor_each_keep_their_model():
    """The predictor judges an image's domain once, but a click on another image is judged again."""
    predictor = Predictor()
    sessions = {name: Session(IMAGES[name](), model=predictor) for name in ("nuclei", "astronaut")}
    for name in ("nuclei", "astronaut", "nuclei", "astronaut"):
        h, w = sessions[name].shape
        sessions[name].add_click(h // 2 + 3, w // 2 + 3)
        assert predictor.domain == EXPECTED[name]


@pytest.mark.parametrize("override", ["natural", "microscopy"])
def test_the_user_can_override_the_choice(override):
    image = IMAGES["nuclei"]()
    session = Session(image, model=override)
    session.add_click(256, 256)
    assert shipped_name(session.predictor) == SHIPPED[override].stem
    mask = segment(image, [Click(256, 256)], model=override)
    assert mask.shape == image.shape


def test_an_unknown_model_name_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="not found"):
        Predictor("microscopy-v9")


def test_evaluate_takes_a_shipped_model_by_name(tmp_path):
    from napari_cag.cli import main
    from test_cli import labels_dataset

    root = labels_dataset(tmp_path / "cells")
    out = tmp_path / "eval"
    main(["evaluate", "--data", f"{root}:val.txt", "--method", "natural", "--method", "default",
          "--max-clicks", "1", "--out", str(out)])
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["methods"]) == {"natural", "default"}


def test_a_prediction_keeps_its_model_while_another_thread_switches_domains():
    # the widget's clicks and its propagation share one "auto" predictor: a photograph's domain switch
    # asked for on one thread must wait until a micrograph's prediction on the other has finished
    import threading
    import time

    from napari_cag.image import normalize_image
    from napari_cag.predictor import three_channels
    from napari_cag.structure import compute_structure

    predictor = Predictor("auto")
    nuclei, photo = IMAGES["nuclei"](), IMAGES["astronaut"]()
    predictor.config_for(three_channels(normalize_image(photo)))  # both networks loaded beforehand
    image = three_channels(normalize_image(nuclei))
    structure = compute_structure(nuclei, n_segments=predictor.config_for(image).n_segments_for(nuclei.shape))
    inside, release, seen = threading.Event(), threading.Event(), []
    network_pass = predictor._pass

    def slow_pass(*args, **kwargs):
        inside.set()
        release.wait(10)
        seen.append(shipped_name(predictor))
        return network_pass(*args, **kwargs)

    predictor._pass = slow_pass
    clicking = threading.Thread(target=predictor.predict, args=(image, structure, [Click(255, 255)]))
    clicking.start()
    assert inside.wait(10)
    switching = threading.Thread(target=predictor.config_for, args=(three_channels(normalize_image(photo)),))
    switching.start()
    time.sleep(0.3)  # without the lock, the switch would happen now, in the middle of the prediction
    release.set()
    clicking.join(30)
    switching.join(30)
    assert seen and set(seen) == {"microscopy"}
    assert shipped_name(predictor) == "natural"  # the switch did happen, afterwards


def test_changed_scale_factors_hold_for_the_model_of_every_domain():
    """The widget's scale factors reach whichever model `auto` picks next, not only the one in use."""
    from napari_cag.image import normalize_image
    from napari_cag.predictor import three_channels

    predictor = Predictor("auto")
    micrograph = three_channels(normalize_image(IMAGES["nuclei"]()))
    photo = three_channels(normalize_image(IMAGES["astronaut"]()))
    predictor.config_for(micrograph)
    predictor.update_config(f=2.5, f2=0.5)
    assert (predictor.config.f, predictor.config.f2) == (2.5, 0.5)
    natural = predictor.config_for(photo)
    assert predictor.domain == "natural" and (natural.f, natural.f2) == (2.5, 0.5)
    assert natural.max_superpixel_area != predictor.config_for(micrograph).max_superpixel_area
    assert (predictor.config.f, predictor.config.f2) == (2.5, 0.5)
