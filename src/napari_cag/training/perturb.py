"""Previous masks made from the true mask, for training at later clicks without running the network.

Iterative training (Sec. 3.4) feeds the network its own masks back. On a CPU those rounds are
most of a step's time, and a small network's own masks are poor (a first-click IoU near 0.6),
so it learns to distrust the previous-mask channel: traced on DSB2018, its raw mask after the
sixth click is 0.13-0.15 IoU worse than the answer it was given (docs/RESULTS.md, sixteenth
session). FocalClick (Chen et al., CVPR 2022, Sec. 3.4) trains its correction on previous masks
made by perturbing the true one. Here a perturbed mask stands for the answer of a session some
clicks in: the true mask's boundary moved by a smooth random field (shifts, wobbles, missing and
extra lobes), sometimes with part of a touching object. Error clicks then go where the
evaluation user would put them, and each one but the last fixes part of its error, as an
accepted click does; the last click is the one the network answers.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..clicks import Click
from ..image import mask_box
from ..simulate import next_click

__all__ = ["perturbed_mask", "later_state"]

SHIFT = 0.3          # the boundary moves by up to this x the object's radius, everywhere at once ...
WOBBLE = (0.1, 0.6)  # ... plus a smooth field of this amplitude x the radius
P_NEIGHBOUR = 0.3    # share of masks that spill into part of a touching object
MARGIN = 0.5         # crop margin, x the object's extent (the perturbation never reaches further)


def _crop(gt: np.ndarray) -> tuple[slice, slice]:
    r0, c0, r1, c1 = mask_box(gt)
    m = int(MARGIN * max(r1 - r0 + 1, c1 - c0 + 1)) + 4
    return (slice(max(r0 - m, 0), min(r1 + 1 + m, gt.shape[0])),
            slice(max(c0 - m, 0), min(c1 + 1 + m, gt.shape[1])))


def perturbed_mask(gt: np.ndarray, objects: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """A plausible imperfect answer for the object `gt` ((H, W) bool, not empty).

    The signed distance to `gt`'s boundary plus a global shift and a Gaussian-smoothed noise field, both
    scaled to the object's radius, thresholded at 0; with `objects` (the instance labels), part of a
    touching object may join it.
    """
    ys, xs = _crop(gt)
    g = gt[ys, xs]
    inside, outside = ndimage.distance_transform_edt(g), ndimage.distance_transform_edt(~g)
    radius = max(np.sqrt(g.sum() / np.pi), 2.0)
    sigma = radius * rng.uniform(0.3, 1.0)
    noise = ndimage.gaussian_filter(rng.standard_normal(g.shape), sigma)
    noise *= rng.uniform(*WOBBLE) * radius / max(noise.std(), 1e-6)
    shift = rng.uniform(-SHIFT, SHIFT) * radius
    crop = inside - outside + shift + noise > 0
    if objects is not None and rng.random() < P_NEIGHBOUR:
        crop |= _neighbour_part(g, objects[ys, xs], radius, rng)
    out = np.zeros_like(gt)
    out[ys, xs] = crop
    return out


def _neighbour_part(g: np.ndarray, labels: np.ndarray, radius: float, rng) -> np.ndarray:
    """Pixels of one touching object within a random reach of `g`: where a mask spills over."""
    ring = ndimage.binary_dilation(g, iterations=2) & ~g & (labels > 0)
    ids = np.unique(labels[ring])
    ids = ids[ids != 0]
    if not ids.size:
        return np.zeros_like(g)
    other = labels == ids[rng.integers(ids.size)]
    other &= ~g
    reach = rng.uniform(0.2, 1.5) * radius
    return other & (ndimage.distance_transform_edt(~g) <= reach)


def later_state(gt: np.ndarray, mask: np.ndarray, clicks: list[Click], k: int, rng: np.random.Generator,
                ignore: np.ndarray | None = None) -> tuple[np.ndarray, list[Click]]:
    """`k` error clicks on `mask` after `clicks`: ``(previous mask, clicks)``.

    Each click goes to the centre of the largest error (`napari_cag.simulate.next_click`); each but the
    last then fixes its error region within a random reach, as a click the user was happy with did. The
    returned previous mask still holds the last click's error, which the network is to fix. Clicks stop
    early when no error is left.
    """
    ys, xs = _crop(gt | mask)
    g, cur = gt[ys, xs], mask[ys, xs].copy()
    ign = ignore[ys, xs] if ignore is not None else None
    local = [Click(c.y - ys.start, c.x - xs.start, c.positive) for c in clicks
             if ys.start <= c.y < ys.stop and xs.start <= c.x < xs.stop]
    out = list(clicks)
    for j in range(k):
        click = next_click(cur, g, ign, clicks=local)
        if click is None:
            break
        local.append(click)
        out.append(Click(click.y + ys.start, click.x + xs.start, click.positive))
        if j < k - 1:
            errors, _ = ndimage.label(cur != g)
            region = errors == errors[click.pixel]
            depth = ndimage.distance_transform_edt(region)[click.pixel]
            yy, xx = np.ogrid[:g.shape[0], :g.shape[1]]
            reach = depth * rng.uniform(0.7, 2.0) + 1
            region &= (yy - click.y) ** 2 + (xx - click.x) ** 2 <= reach ** 2
            cur[region] = g[region]
    previous = mask.copy()
    previous[ys, xs] = cur
    return previous, out
