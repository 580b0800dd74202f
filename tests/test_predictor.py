import numpy as np
import pytest
import torch
from skimage import data

from napari_cag import Click, compute_structure
from napari_cag.model import ModelConfig, build_model
from napari_cag.predictor import Predictor, Window, choose_window, network_input, paste_back, three_channels

CONFIG = ModelConfig(width=8, input_size=64, min_window=20)


def test_first_click_sees_the_whole_image_then_the_window_zooms():
    first = choose_window((100, 200), [Click(50, 50)], None, CONFIG)
    assert first == Window(-50, 0, 200)  # square, centred, padded above and below
    prev = np.zeros((100, 200), bool)
    prev[40:60, 100:140] = True  # 20 x 40 box
    zoom = choose_window((100, 200), [Click(50, 120)], prev, CONFIG)
    assert zoom.side == round(40 * CONFIG.zoom_expand)
    assert zoom.y0 <= 40 and zoom.y0 + zoom.side >= 60 and zoom.x0 <= 100 and zoom.x0 + zoom.side >= 140
    tiny_prev = np.zeros((100, 200), bool)
    tiny_prev[50, 50] = True
    assert choose_window((100, 200), [Click(50, 50)], tiny_prev, CONFIG).side == CONFIG.min_window


def test_grid_cells_cover_the_window():
    rows, cols = Window(10, -5, 100).grid(4)
    np.testing.assert_array_equal(rows, [22, 47, 72, 97])
    np.testing.assert_array_equal(cols, [7, 32, 57, 82])


def test_network_input_layout_and_paste_back():
    image = data.coffee()[::4, ::4]
    structure = compute_structure(image, n_segments=50)
    norm = three_channels(np.asarray(image, np.float32)[..., :3] / 255)
    clicks = [Click(50, 75), Click(5, 5, False)]
    window = Window(-25, 0, 150)
    x, maps = network_input(norm, structure, clicks, None, window, CONFIG)
    assert x.shape == (3 + 4, 64, 64) and list(maps) == list(CONFIG.guidance)
    assert (maps["previous_mask"] == 255).all()
    prob = torch.zeros(64, 64)
    prob[32:, :] = 1.0  # bottom half of the window
    out = paste_back(prob, window, (100, 150))
    assert out.shape == (100, 150)
    assert out[90, 10] == pytest.approx(1.0) and out[20, 10] == 0.0


def test_predictor_runs_an_in_memory_network():
    image = data.camera()[::8, ::8]
    structure = compute_structure(image, n_segments=40)
    torch.manual_seed(0)
    pred = Predictor((build_model(CONFIG), CONFIG), device="cpu")
    prob, maps = pred.predict(three_channels(np.asarray(image, np.float32)[..., None] / 255), structure, [Click(30, 30)])
    assert prob.shape == (64, 64) and 0 <= prob.min() and prob.max() <= 1
    assert "object" in maps


def test_a_binary_previous_mask_model_is_given_the_previous_mask():
    import dataclasses

    from napari_cag.model import GUIDANCE_PRESETS

    image = data.camera()[::8, ::8]
    structure = compute_structure(image, n_segments=40)
    config = dataclasses.replace(CONFIG, guidance=GUIDANCE_PRESETS["sp+obj+iter+binary"])
    pred = Predictor((build_model(config), config), device="cpu")
    previous = np.zeros(image.shape, bool)
    previous[20:40, 20:40] = True
    _, maps = pred.predict(three_channels(np.asarray(image, np.float32)[..., None] / 255), structure,
                           [Click(30, 30), Click(45, 45)], previous_mask=previous)
    step = maps["previous_mask_binary"]
    assert set(np.unique(step)) == {0.0, 255.0}  # the mask reached the network, as a step


def test_a_model_trained_on_erased_masks_is_fed_them():
    """`erase_refuted` models read the previous mask with the newest negative click's part gone."""
    import dataclasses

    from napari_cag.model import GUIDANCE_PRESETS

    image = np.full((64, 96), 0.1, np.float32)
    image[16:48, 8:48], image[16:48, 48:88] = 0.8, 0.5  # two touching boxes
    structure = compute_structure(image, n_segments=20)
    norm = three_channels(image[..., None])
    previous = np.zeros(image.shape, bool)
    previous[16:48, 8:88] = True  # the last answer took both
    clicks = [Click(32, 24), Click(32, 72, positive=False)]
    window = Window(-16, 0, 96)
    plain = dataclasses.replace(CONFIG, guidance=GUIDANCE_PRESETS["sp+obj+iter+binary"])
    erased = dataclasses.replace(plain, erase_refuted=True)
    fed = [network_input(norm, structure, clicks, previous, window, c)[1]["previous_mask_binary"] < 128
           for c in (plain, erased)]
    cols = window.grid(64)[1]
    assert fed[0][:, cols > 52].sum() > 100 and not fed[1][:, cols > 52].any()  # the right box is gone
    np.testing.assert_array_equal(fed[0][:, cols < 44], fed[1][:, cols < 44])  # the left box stays
    assert ModelConfig.from_dict(erased.to_dict()).erase_refuted  # saved with the weights


def test_a_later_mix_network_joins_every_click_after_the_first(tmp_path):
    """`ModelConfig.later_mix`: once the object has a mask, the probability is the share-weighted mix of the
    two networks, each fed its own channels; the first click is the model's own."""
    import dataclasses

    from napari_cag.model import GUIDANCE_PRESETS, save_model

    image = three_channels(np.asarray(data.camera()[::8, ::8], np.float32)[..., None] / 255)
    structure = compute_structure(image, n_segments=40)
    torch.manual_seed(0)
    config_b = dataclasses.replace(CONFIG, guidance=GUIDANCE_PRESETS["sp+obj+iter+binary"])
    net_a, net_b = build_model(CONFIG), build_model(config_b)
    save_model(tmp_path / "later.safetensors", net_b, config_b)
    mixed = dataclasses.replace(CONFIG, later_mix={"weights": str(tmp_path / "later.safetensors"), "share": 0.25})
    raw = dict(device="cpu", refine="none", respect_clicks=False)
    mix, own, other = (Predictor((net_a, mixed), **raw), Predictor((net_a, CONFIG), **raw),
                       Predictor((net_b, config_b), **raw))
    first = [Click(30, 30)]
    np.testing.assert_array_equal(mix.predict(image, structure, first)[0], own.predict(image, structure, first)[0])
    previous = np.zeros(image.shape[:2], bool)
    previous[20:40, 20:40] = True
    later = first + [Click(25, 45)]
    got = mix.predict(image, structure, later, previous_mask=previous)[0]
    want = 0.75 * own.predict(image, structure, later, previous_mask=previous)[0] + \
        0.25 * other.predict(image, structure, later, previous_mask=previous)[0]
    np.testing.assert_allclose(got, want, atol=1e-6)
    with pytest.raises(ValueError, match="later_mix"):
        dataclasses.replace(CONFIG, later_mix={"weights": "x.safetensors", "share": 1.5})
    with pytest.raises(FileNotFoundError, match="absent"):
        Predictor((net_a, dataclasses.replace(mixed, later_mix={"weights": "absent.safetensors", "share": 0.5})),
                  **raw).predict(image, structure, later, previous_mask=previous)
    save_model(tmp_path / "wide.safetensors", net_b, dataclasses.replace(config_b, input_size=96))
    with pytest.raises(ValueError, match="input_size"):  # fed the same window at the same size, or not at all
        Predictor((net_a, dataclasses.replace(mixed, later_mix={"weights": str(tmp_path / "wide.safetensors"),
                                                                "share": 0.5})),
                  **raw).predict(image, structure, later, previous_mask=previous)


def test_three_channels_rules():
    assert three_channels(np.zeros((2, 2, 1))).shape == (2, 2, 3)
    two = three_channels(np.stack([np.zeros((2, 2)), np.ones((2, 2))], -1))
    np.testing.assert_array_equal(two[0, 0], [0, 1, 0.5])
    assert three_channels(np.zeros((2, 2, 5))).shape == (2, 2, 3)


class RecordingNet(torch.nn.Module):
    """Marks as object the pixels within 0.1 window side of a positive click; records each input."""

    def __init__(self):
        super().__init__()
        self.inputs = []

    def forward(self, x):
        self.inputs.append(x.clone())
        obj = x[:, 3] < 0.1  # positive Euclidean distance / window side
        return torch.stack([torch.zeros_like(x[:, 0]), torch.where(obj, 5.0, -5.0)], dim=1)


@pytest.mark.parametrize("auto_zoom, passes", [(True, 2), (False, 1)])
def test_a_small_first_object_is_looked_at_again_closer(auto_zoom, passes):
    from napari_cag.model import GUIDANCE_PRESETS

    config = ModelConfig(width=8, input_size=64, min_window=20, guidance=GUIDANCE_PRESETS["euclidean"],
                         auto_zoom=auto_zoom)
    image = np.zeros((200, 200), np.float32)
    structure = compute_structure(image, n_segments=20)
    net = RecordingNet()
    prob, _ = Predictor((net, config), device="cpu", first_view="whole").predict(
        three_channels(image[..., None]), structure, [Click(100, 100)])
    assert len(net.inputs) == passes
    radius = np.sqrt((prob > 0.5).sum() / np.pi)
    # first view: 0.1 x 200 px = 20 px; the zoomed view is 1.4 x 40 = 56 px wide: 0.1 x 56 = 5.6 px
    assert radius == pytest.approx(5.6 if auto_zoom else 20, rel=0.25)
