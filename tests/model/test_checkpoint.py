import json

import pytest
import torch

from napari_cag.model import GUIDANCE_PRESETS, ModelConfig, build_model, load_model, save_model
from napari_cag.model.networks import FCN8s


def tiny(**kw):
    return ModelConfig(width=8, input_size=64, **kw)


def test_round_trip_keeps_weights_and_config(tmp_path):
    config = tiny(meta={"note": "x"})
    net = build_model(config)
    path = save_model(tmp_path / "m.safetensors", net, config)
    loaded, cfg = load_model(path)
    assert cfg == config and not loaded.training
    for (k, a), b in zip(net.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), k


def test_guidance_weights_start_at_zero():
    net = build_model(tiny())
    assert net.stem.weight[:, 3:].abs().sum() == 0 and net.stem.weight[:, :3].abs().sum() > 0
    fcn = FCN8s(7, stride=32)
    assert fcn.block1[0].weight[:, 3:].abs().sum() == 0


@pytest.mark.parametrize("stride", [32, 16, 8])
def test_fcn8s_output_matches_input_size(stride):
    out = FCN8s(5, stride=stride).eval()(torch.zeros(1, 5, 64, 64))
    assert out.shape == (1, 2, 64, 64)


def test_missing_truncated_and_mismatched_files_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="model weights not found: .*nope.safetensors"):
        load_model(tmp_path / "nope.safetensors")
    config = tiny()
    path = save_model(tmp_path / "m.safetensors", build_model(config), config)
    (tmp_path / "m.json").unlink()
    with pytest.raises(FileNotFoundError, match="m.json"):
        load_model(path)
    path = save_model(tmp_path / "m.safetensors", build_model(config), config)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="m.safetensors is not a readable safetensors file"):
        load_model(path)
    save_model(path, build_model(config), config)
    (tmp_path / "m.json").write_text(json.dumps({**config.to_dict(), "width": 16}))
    with pytest.raises(ValueError, match="does not match its configuration m.json"):
        load_model(path)
    (tmp_path / "m.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a valid napari-cag model configuration"):
        load_model(path)


def test_a_pickle_is_never_loaded(tmp_path):
    path = tmp_path / "evil.safetensors"
    torch.save({"x": torch.zeros(1)}, path)  # a pickle with the right name
    tiny_cfg = tiny()
    (tmp_path / "evil.json").write_text(json.dumps(tiny_cfg.to_dict()))
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load_model(path)


def test_config_validation():
    with pytest.raises(ValueError, match="unknown guidance channels"):
        ModelConfig(guidance=("gaussian",))
    with pytest.raises(ValueError, match="multiple of 32"):
        ModelConfig(input_size=100)
    with pytest.raises(ValueError, match="unknown model configuration keys"):
        ModelConfig.from_dict({"arch": "compact", "colour": 1})
    assert ModelConfig(guidance=GUIDANCE_PRESETS["euclidean"]).in_channels == 5
    assert ModelConfig().n_segments_for((512, 512)) == 1000
    assert ModelConfig().n_segments_for((2000, 2000)) == 10_000
