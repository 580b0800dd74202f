"""Saving and loading networks: safetensors weights beside a JSON configuration.

No pickle is ever executed: weights are read with safetensors, the
configuration with json, and the state dict is loaded strictly.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .config import ModelConfig
from .networks import CompactFCN, FCN8s

__all__ = ["build_model", "save_model", "load_model", "load_config", "config_path"]


def build_model(config: ModelConfig) -> torch.nn.Module:
    """A fresh (untrained) network for `config`."""
    if config.arch == "compact":
        return CompactFCN(config.in_channels, width=config.width)
    return FCN8s(config.in_channels, stride=config.stride)


def config_path(weights: str | Path) -> Path:
    """The JSON configuration that belongs to a ``.safetensors`` weights file."""
    return Path(weights).with_suffix(".json")


def save_model(path: str | Path, model: torch.nn.Module, config: ModelConfig) -> Path:
    """Write ``path`` (``.safetensors``) and its ``.json`` configuration.

    Returns
    -------
    Path
        The weights file.
    """
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"weights file must end in .safetensors, got {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp = path.with_suffix(".safetensors.tmp")
    save_file(state, str(tmp), metadata={"format": "napari-cag", "config": json.dumps(config.to_dict())})
    tmp.replace(path)  # never leave a half-written weights file behind
    config_path(path).write_text(json.dumps(config.to_dict(), indent=2) + "\n")
    return path


def load_config(weights: str | Path) -> ModelConfig:
    """The configuration saved beside a weights file by `save_model`, without reading the weights.

    Raises
    ------
    FileNotFoundError
        If the JSON configuration is missing.
    ValueError
        If it is not a valid configuration.
    """
    cfg_file = config_path(weights)
    if not cfg_file.is_file():
        raise FileNotFoundError(f"model configuration not found: {cfg_file} (expected beside {Path(weights).name})")
    try:
        return ModelConfig.from_dict(json.loads(cfg_file.read_text()))
    except (json.JSONDecodeError, TypeError, ValueError) as err:
        raise ValueError(f"{cfg_file} is not a valid napari-cag model configuration: {err}") from err


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, ModelConfig]:
    """Load a network saved by `save_model`, in eval mode.

    Raises
    ------
    FileNotFoundError
        If the weights or their JSON configuration are missing.
    ValueError
        If a file is truncated or corrupt, or the weights do not match the
        configuration; the message names the file and what is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model weights not found: {path}")
    cfg_file = config_path(path)
    config = load_config(path)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"{path} is not a readable safetensors file (truncated or corrupt?): {err}") from err
    model = build_model(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).splitlines()[0]
        raise ValueError(f"{path} does not match its configuration {cfg_file.name}: {first}") from err
    return model.to(device).eval(), config
