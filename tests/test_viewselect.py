import dataclasses

import numpy as np
import pytest
import torch

from napari_cag import Click, compute_structure
from napari_cag.model import GUIDANCE_PRESETS, ModelConfig, load_model, save_model
from napari_cag.model import build_model
from napari_cag.predictor import Predictor, three_channels
from napari_cag.viewselect import FEATURES, fit_selector, score_views


class BrightNet(torch.nn.Module):
    """Object = bright pixels of the window."""

    def forward(self, x):
        return torch.stack([torch.zeros_like(x[:, 0]), (x[:, 0] - 0.5) * 20], dim=1)


CONFIG = ModelConfig(input_size=64, min_window=48, guidance=GUIDANCE_PRESETS["euclidean"])


def _selector(feature: str) -> dict:
    """A hand-made selector whose score is the given feature."""
    n = len(FEATURES)
    w1 = np.zeros((n, 1))
    w1[FEATURES.index(feature), 0] = 1.0
    return {"features": list(FEATURES), "mean": [0.0] * n, "std": [1.0] * n, "w1": w1.tolist(), "b1": [0.0],
            "w2": [1.0], "b2": 0.0}


def _nucleus():
    image = np.full((512, 512), 0.05, np.float32)
    image[250:270, 250:270] = 0.9  # a 20-px nucleus
    return three_channels(image[..., None]), compute_structure(image, n_segments=50), [Click(260, 260)]


def test_every_first_view_down_to_24_px_is_answered_and_the_rules_choice_is_marked():
    image, structure, clicks = _nucleus()
    predictor = Predictor((BrightNet(), CONFIG), device="cpu", refine="none", first_view="search")
    answers, maps, features = predictor.first_views(image, structure, clicks, clicks[0])
    assert [a.side for a in answers] == [512, 256, 128, 64, 32]  # below the model's 48-px min_window too
    assert features.shape == (5, len(FEATURES)) and len(maps) == 5
    # the framing rule on views of 48 px or more keeps the 64-px one (20 / 64 of its side); on all, 32 px
    assert features[:, FEATURES.index("rule_choice")].tolist() == [0, 0, 0, 1, 0]
    assert features[:, FEATURES.index("rule_choice_all")].tolist() == [0, 0, 0, 0, 1]
    assert features[:, FEATURES.index("below_min_window")].tolist() == [0, 0, 0, 0, 1]
    # the close views find the same square (the whole image draws it with 2.5 input pixels)
    assert np.all(features[-2:, FEATURES.index("agree_larger")] > 0.95)
    truth = np.zeros((512, 512), bool)
    truth[250:270, 250:270] = True
    assert all((a.zoomed > 0.5)[truth].mean() > 0.9 for a in answers)


@pytest.mark.parametrize("feature, side", [("whole_image", 512), ("smallest", 32), ("rule_choice", 64)])
def test_a_selector_keeps_the_view_it_scores_highest(feature, side):
    image, structure, clicks = _nucleus()
    plain = Predictor((BrightNet(), CONFIG), device="cpu", refine="none", first_view="search")
    answers, _, _ = plain.first_views(image, structure, clicks, clicks[0])
    expected = next(a for a in answers if a.side == side).zoomed
    chosen = Predictor((BrightNet(), dataclasses.replace(CONFIG, view_selector=_selector(feature))), device="cpu",
                       refine="none", first_view="search", respect_clicks=False)
    prob, _ = chosen.predict(image, structure, clicks)
    np.testing.assert_array_equal(prob, expected)


def test_a_fitted_selector_picks_the_view_its_training_objects_reward():
    rng = np.random.default_rng(0)

    def example(n_views):
        features = rng.normal(size=(n_views, len(FEATURES))).astype(np.float32)
        ious = rng.uniform(0.2, 0.5, n_views).astype(np.float32)
        ious[features[:, FEATURES.index("contrast")].argmax()] = 0.9  # the best view has the most contrast
        return features, ious, "a" if n_views % 2 else "b"

    selector = fit_selector([example(int(rng.integers(3, 7))) for _ in range(200)], hidden=4, iters=200)
    held = [example(5) for _ in range(100)]
    picked = np.mean([ious[score_views(selector, f).argmax()] for f, ious, _ in held])
    assert picked > 0.8  # a random pick gets about 0.5


def test_a_selector_fitted_on_other_features_is_refused():
    selector = _selector("contrast")
    selector["features"] = selector["features"][:-1] + ["something else"]
    with pytest.raises(ValueError, match="other features"):
        score_views(selector, np.zeros((3, len(FEATURES)), np.float32))


def test_the_selector_travels_with_the_saved_model(tmp_path):
    config = dataclasses.replace(ModelConfig(width=8), view_selector=_selector("contrast"))
    save_model(tmp_path / "m.safetensors", build_model(config), config)
    _, loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.view_selector == _selector("contrast")


def test_the_fit_script_writes_a_selector_into_a_models_configuration(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "fit_view_selector.py"
    rng = np.random.default_rng(1)
    counts = rng.integers(3, 7, 60)
    features = rng.normal(size=(counts.sum(), len(FEATURES))).astype(np.float32)
    scores = rng.uniform(0, 1, counts.sum()).astype(np.float32)
    np.savez(tmp_path / "records.npz", features=features, scores=scores, views=counts,
             groups=np.array(["a", "b"] * 30))
    config = tmp_path / "m.json"
    config.write_text(json.dumps(ModelConfig(width=8).to_dict()))
    subprocess.run([sys.executable, str(script), "--records", str(tmp_path / "records.npz"), "--write", str(config)],
                   check=True, capture_output=True)
    selector = json.loads(config.read_text())["view_selector"]
    assert score_views(selector, features[:4]).shape == (4,)
    assert set(selector["fitted_on"]) == {"a", "b"} and "--records" in selector["command"]
    ModelConfig.from_dict(json.loads(config.read_text()))  # still a valid configuration


def test_first_view_rule_keeps_the_framing_rule_for_a_model_with_a_selector():
    image, structure, clicks = _nucleus()
    selecting = dataclasses.replace(CONFIG, view_selector=_selector("smallest"))
    rule = Predictor((BrightNet(), selecting), device="cpu", refine="none", first_view="rule", respect_clicks=False)
    plain = Predictor((BrightNet(), CONFIG), device="cpu", refine="none", first_view="search", respect_clicks=False)
    np.testing.assert_array_equal(rule.predict(image, structure, clicks)[0], plain.predict(image, structure, clicks)[0])
    with pytest.raises(ValueError, match="'rule'"):
        Predictor((BrightNet(), CONFIG), device="cpu", first_view="best")
