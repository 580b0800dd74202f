"""Start a wider `CompactFCN` from a trained narrower one, computing the same function.

Net2Net's idea (Chen et al., ICLR 2016) in its zero-fan-out form: the
channels that the narrower network lacks start with a fresh initialisation
and compute from the first step, but nothing they compute reaches an old
channel yet, so the wider network's output equals the narrower one's at
step 0, and training adds capacity from there instead of starting from
scratch.

- Trained weights fill the leading slices of each wider tensor; the head's
  first convolution, which sees ``[decoder features, input]``, has its input
  columns mapped block by block.
- The weights from a new input channel into an old output channel start at
  0. Batch norm works per channel and the residual and lateral additions
  join channels of one index, so old channels see old channels only. Those
  zero weights get a gradient from the first step (the new channels are
  active), so the new channels join in as training goes.
"""

from __future__ import annotations

import torch

from .networks import CompactFCN

__all__ = ["widen_into"]

_HEAD_IN = "head.0.0.weight"  # its inputs are [w decoder channels, in_channels input channels]


def _embed(source: torch.Tensor, target: torch.Tensor, key: str) -> torch.Tensor:
    """`target` (freshly initialised) with `source` in its leading slices; for a
    convolution, no weight from a new input channel into an old output channel."""
    out = target.clone()
    if source.dim() == 4:
        rows, cols = source.shape[:2]
        if key == _HEAD_IN:  # inputs [w decoder channels, input channels]
            n_in = cols - rows
            out[:rows, :rows] = source[:, :rows]
            out[:rows, -n_in:] = source[:, rows:]
            out[:rows, rows:out.shape[1] - n_in] = 0.0
        else:
            out[:rows, :cols] = source
            out[:rows, cols:] = 0.0
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
    net.load_state_dict({k: _embed(old[k], v, k) for k, v in net.state_dict().items()}, strict=True)
