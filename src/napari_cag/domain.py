"""Which kind of image this is, and the settings that follow from it.

Microscopy and photographs want different refinement (`napari_cag.refine`):
a photograph's object differs from its surroundings in colour, which the
graph cut's colour model exploits; a nucleus is one of many alike blobs on a
flat background, where the network's own probability is the better guide.

The rule (`image_domain`), on the image as the network sees it (normalized to
[0, 1], three channels):

- grey (all channels equal: fluorescence, phase contrast, EM, brightfield) is
  microscopy;
- a dark image, most of it near black (colour fluorescence), is microscopy;
- a stained image whose coloured pixels are mostly pink to purple (H&E) is
  microscopy;
- anything else is a photograph ("natural").

A grey photograph counts as microscopy; pass ``refine="natural"`` for it.
"""

from __future__ import annotations

import numpy as np

from .refine import REFINE_PRESETS, RefineSettings

__all__ = ["image_domain", "check_refine", "resolve_refine"]

_SAMPLE = 256  # the rule looks at about this many pixels a side


def image_domain(image: np.ndarray) -> str:
    """``"microscopy"`` or ``"natural"`` for an ``(H, W, 3)`` normalized image (see the module docstring)."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected a normalized (H, W, 3) image, got shape {image.shape}")
    step = max(1, max(image.shape[:2]) // _SAMPLE)
    px = image[::step, ::step].reshape(-1, 3).astype(np.float32)
    chroma = px.max(axis=1) - px.min(axis=1)
    if np.percentile(chroma, 99) < 0.02:
        return "microscopy"
    value = px.max(axis=1)
    if np.median(value) < 0.15:
        return "microscopy"
    coloured = chroma > 0.08
    if coloured.mean() > 0.2:
        r, g, b = px[coloured].T
        # pink to purple: green is the weakest channel, and blue is not far below red
        stained = (g < r) & (g < b) & (b > 0.6 * r)
        if stained.mean() > 0.7:
            return "microscopy"
    return "natural"


def check_refine(refine) -> str | RefineSettings:
    """Validate a ``refine=`` option: a preset name, ``"auto"``, ``"none"`` or RefineSettings."""
    if isinstance(refine, RefineSettings):
        return refine
    names = ("auto", "none", *REFINE_PRESETS)
    if refine not in names:
        raise ValueError(f"refine must be one of {names} or a RefineSettings, got {refine!r}")
    return refine


def resolve_refine(refine: str | RefineSettings, image: np.ndarray) -> RefineSettings | None:
    """The settings for this image, or None for no refinement."""
    if isinstance(refine, RefineSettings):
        return refine
    if refine == "auto":
        refine = image_domain(image)
    return None if refine == "none" else REFINE_PRESETS[refine]
