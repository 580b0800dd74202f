"""Networks, their configuration and checkpoints (imports torch)."""

from .checkpoint import build_model, load_model, save_model
from .config import GUIDANCE_PRESETS, ModelConfig

__all__ = ["GUIDANCE_PRESETS", "ModelConfig", "build_model", "load_model", "save_model"]
