"""Training losses: per-pixel cross-entropy, and the normalized focal loss of RITM.

Cross-entropy spends most of its gradient on the many pixels a network
already gets right: the background far from the object and the object's
inside. What an interactive model is judged on, the clicks to 85 or 90 %
IoU, is settled on the few pixels it gets wrong, most of them along the
boundary. The focal loss (Lin et al., 2017) weights each pixel's
cross-entropy by ``(1 - p_t) ** gamma``, ``p_t`` the probability given to
the true class; RITM (Sofiiuk et al., "Reviving Iterative Training with Mask
Guidance for Interactive Segmentation", 2022, Sec. 3.3) then rescales every
image's weights to sum to its number of pixels, so the loss keeps
cross-entropy's scale however well the network already does ("normalized
focal loss"), and reports faster training and fewer clicks with it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "normalized_focal_loss", "pixel_loss"]

LOSSES = ("ce", "nfl", "nfl-later")
IGNORE = 255  # target value of pixels that count for nothing (the sampler's ignore regions)


def normalized_focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0,
                          per_image: bool = False) -> torch.Tensor:
    """The normalized focal loss over a batch (see the module docstring).

    Parameters
    ----------
    logits : (B, 2, H, W) tensor
        Background and object logits.
    target : (B, H, W) int64 tensor
        0 or 1, or `IGNORE`.
    gamma : float
        Focusing exponent; 0 gives cross-entropy averaged per image.
    per_image : bool
        Return each image's loss instead of their mean.

    Returns
    -------
    scalar or (B,) tensor
        The mean over images of each image's weighted mean over its counted pixels.
    """
    valid = target != IGNORE
    log_pt = F.log_softmax(logits, dim=1).gather(1, torch.where(valid, target, 0)[:, None])[:, 0]
    weight = (1 - log_pt.exp()).pow(gamma) * valid
    counted = valid.sum(dim=(1, 2), keepdim=True).clamp_min(1)
    # the rescaling is a constant for the gradient, as in RITM
    weight = weight * (counted / weight.sum(dim=(1, 2), keepdim=True).clamp_min(1e-8)).detach()
    losses = -(weight * log_pt).sum(dim=(1, 2)) / counted[:, 0, 0]
    return losses if per_image else losses.mean()


def pixel_loss(name: str, logits: torch.Tensor, target: torch.Tensor,
               corrected: torch.Tensor | None = None, weight: torch.Tensor | None = None) -> torch.Tensor:
    """The training loss `name` (one of `LOSSES`) of a batch.

    `corrected` marks, for ``"nfl-later"``, the examples that had error-click
    rounds ((B,) bool); the others get cross-entropy. `weight` ((B, H, W)),
    for ``"ce"`` only, scales each pixel's cross-entropy (the touching-object
    band of `TrainingSampler.touching`); the sum is divided by the number of
    counted pixels, so a weight of 1 everywhere is plain cross-entropy.
    """
    if weight is not None and name != "ce":
        raise ValueError(f"pixel weights are for the loss 'ce', not {name!r}")
    if name == "ce":
        if weight is None:
            return F.cross_entropy(logits, target, ignore_index=IGNORE)
        per_pixel = F.cross_entropy(logits, target, ignore_index=IGNORE, reduction="none")
        return (per_pixel * weight).sum() / (target != IGNORE).sum().clamp_min(1)
    if name == "nfl":
        return normalized_focal_loss(logits, target)
    if name == "nfl-later":
        if corrected is None:
            raise ValueError("the loss 'nfl-later' needs to know which examples had error-click rounds")
        ce = normalized_focal_loss(logits, target, gamma=0, per_image=True)
        return torch.where(corrected, normalized_focal_loss(logits, target, per_image=True), ce).mean()
    raise ValueError(f"loss must be one of {LOSSES}, got {name!r}")
