"""Start a wider `CompactFCN` from a trained narrower one, computing the same function.

Net2Net's idea (Chen et al., ICLR 2016) in its zero-output form: every channel
that the narrower network lacks starts silent, so the wider network's output
equals the narrower one's at step 0, and training adds capacity from there
instead of starting from scratch.

- Trained weights fill the leading slices of each wider tensor; the head's
  first convolution, which sees ``[decoder features, input]``, has its input
  columns mapped block by block.
- A new channel is silenced where it is made: batch-norm scale and shift 0
  (every bias-free convolution here is followed by a batch norm), and weight
  rows and bias 0 for the convolutions that carry their own bias. Its inputs
  and its weights into old channels keep their fresh initialisation: they
  multiply zeros until the new channel learns to speak.
"""

from __future__ import annotations

import torch
from torch import nn

from .networks import CompactFCN

__all__ = ["widen_into"]

_HEAD_IN = "head.0.0.weight"  # its inputs are [w decoder channels, in_channels input channels]


def _embed(source: torch.Tensor, target: torch.Tensor, key: str) -> torch.Tensor:
    """`target` (freshly initialised) with `source` in its leading slices."""
    if source.dim() == 0:
        return source.clone()
    out = target.clone()
    if key == _HEAD_IN:
        w_old = source.shape[0]
        n_in = source.shape[1] - w_old
        out[:w_old, :w_old] = source[:, :w_old]
        out[:w_old, -n_in:] = source[:, w_old:]
        return out
    out[tuple(slice(0, n) for n in source.shape)] = source
    return out


def widen_into(net: CompactFCN, source: CompactFCN) -> None:
    """Load `source`'s weights into the wider (or equally wide) `net`, in place.

    Raises
    ------
    ValueError
        If the two differ in input channels, or `net` is narrower.
    """
    if not (isinstance(net, CompactFCN) and isinstance(source, CompactFCN)):
        raise ValueError("widening needs two CompactFCN networks")
    if net.stem.in_channels != source.stem.in_channels:
        raise ValueError(f"input channels differ: {source.stem.in_channels} in the source, {net.stem.in_channels} here")
    if net.stem.out_channels < source.stem.out_channels:
        raise ValueError(f"cannot narrow width {source.stem.out_channels} to {net.stem.out_channels}")
    old = source.state_dict()
    new = {k: _embed(old[k], v, k) for k, v in net.state_dict().items()}
    net.load_state_dict(new, strict=True)
    with torch.no_grad():
        for name, module in net.named_modules():
            ref = source.get_submodule(name)
            if isinstance(module, nn.BatchNorm2d):
                module.weight[ref.num_features:] = 0.0
                module.bias[ref.num_features:] = 0.0
            elif isinstance(module, nn.Conv2d) and module.bias is not None:
                module.weight[ref.out_channels:] = 0.0
                module.bias[ref.out_channels:] = 0.0
