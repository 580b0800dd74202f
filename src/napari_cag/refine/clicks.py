"""Make a prediction agree with the clicks that it contradicts.

A small network sometimes ignores a click. Clicking the same spot again then
changes no superpixel map (that superpixel is already clicked), so the mask
does not change and the user clicks in vain. After each
prediction, a contradicted click is applied directly:

- a positive click outside the mask adds its superpixel (the content-aware
  unit of Sec. 3.1, which follows the image's edges);
- negative clicks inside the mask cut it along image edges: a watershed of the
  gradient magnitude, flooded inside the mask from every click there, gives
  each mask pixel to its nearest click across edges, and the pixels won by
  negative clicks leave the mask;
- a negative click the network overruled but the refinement's click disk
  kept out sits in a pinhole of the mask: it counts as inside, so it cuts
  the mask as above instead of leaving a hole a few pixels wide, unless
  that cut would take more of the mask than the positive clicks keep.

Clicks the network already respects change nothing, so a good prediction is
never touched.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import ndimage as ndi
from skimage.filters import sobel
from skimage.segmentation import watershed

from ..clicks import Click
from ..image import mask_box
from ..structure import ImageStructure

__all__ = ["respect_clicks", "keep_unclaimed", "erase_refuted"]

INSIDE, OUTSIDE = 0.75, 0.25  # probabilities given to pixels a click puts in or out
SHAVE = 1.5  # px: how far inside the previous mask's edge the network may move it without being overruled


def respect_clicks(
    prob: np.ndarray, clicks: Sequence[Click], image: np.ndarray, structure: ImageStructure, margin: int = 8,
    overruled: Sequence[Click] = (),
) -> np.ndarray:
    """The probability map changed so that every click is on its side of the 0.5 threshold.

    Parameters
    ----------
    prob : (H, W) float32 ndarray
        Object probability from the network.
    clicks : sequence of Click
        All clicks so far (in image pixels).
    image : (H, W, C) float ndarray
        The normalized image (its channel mean gives the edges).
    structure : ImageStructure
        The image's superpixels.
    margin : int
        Pixels around the mask's bounding box in which the edges are computed.
    overruled : sequence of Click
        Negative clicks the network put inside its mask (`finish` passes those of its raw answer):
        one that now sits in a hole of the mask (the refinement's click disk) cuts the mask as if inside.

    Returns
    -------
    (H, W) float32 ndarray
        `prob` itself when no click is contradicted, else a corrected copy.
    """
    mask = prob > 0.5
    holes = _pinholes(mask, overruled)
    if holes is None and all(mask[c.pixel] == c.positive for c in clicks):
        return prob
    prob = prob.copy()
    sp = structure.superpixels
    for c in clicks:
        if c.positive and not mask[c.pixel]:
            region = sp == sp[c.pixel]
            prob[region] = np.maximum(prob[region], INSIDE)
    mask = prob > 0.5
    # a pinhole's click that would take most of the mask is too bold a guess: the pinhole stays
    if holes is None or not _cut(prob, mask | holes, clicks, image, margin, bold=False):
        _cut(prob, mask, clicks, image, margin)
    return prob


def _cut(prob: np.ndarray, region: np.ndarray, clicks: Sequence[Click], image: np.ndarray, margin: int,
         bold: bool = True) -> bool:
    """Lower, in place, `prob` where the negative clicks inside `region` win its split (`_split`); unless
    `bold`, not if they would win more of it than the positive clicks. Returns whether it cut."""
    inside = [c for c in clicks if region[c.pixel]]
    if all(c.positive for c in inside):
        return False
    flooded, crop = _split(region, inside, image, margin)
    if not bold and (flooded == 2).sum() > (flooded == 1).sum():
        return False
    cut = prob[crop]
    cut[flooded == 2] = np.minimum(cut[flooded == 2], OUTSIDE)
    return True


def erase_refuted(previous: np.ndarray | None, clicks: Sequence[Click], image: np.ndarray,
                  margin: int = 8) -> np.ndarray | None:
    """The previous mask as the newest negative click asks for it, for a network that reads it.

    A network that reads its previous mask tends to copy it, the part a new
    negative click refutes included. When the newest click is negative and
    inside `previous`, the mask is split along image edges as in
    `respect_clicks`, and the negative clicks' part leaves it, unless that part
    would be larger than the positive clicks' (the same guard as for a
    pinhole). `ModelConfig.erase_refuted` feeds a network this mask in
    training and at inference alike.

    Returns
    -------
    (H, W) bool ndarray or None
        `previous` itself when there is nothing to erase, else a cut copy.
    """
    if previous is None or not clicks or clicks[-1].positive or not previous[clicks[-1].pixel]:
        return previous
    prob = previous.astype(np.float32)
    if not _cut(prob, previous, clicks, image, margin, bold=False):
        return previous
    return prob > 0.5


def keep_unclaimed(prob: np.ndarray, previous: np.ndarray | None, clicks: Sequence[Click], image: np.ndarray,
                   margin: int = 8, shave: float = SHAVE) -> np.ndarray:
    """After a negative click, give back what the network dropped that the click does not claim.

    A negative click just outside an object, or on a leak into a neighbour,
    means "not this part", never "not this object". A small network sometimes
    answers it by dropping most of the object. The previous mask (plus the
    click) is split along image edges between the clicks, as in
    `respect_clicks`; the previous mask's pixels that fall to a positive
    click stay in the mask, except within `shave` px of its edge: a negative
    click on the thin rim of a mask drawn a pixel too wide asks for a tighter
    edge, which the network may draw everywhere, not only at the click (where
    the network dropped the object, it comes back that much thinner).

    Parameters
    ----------
    prob : (H, W) float32 ndarray
        The new object probability.
    previous : (H, W) bool ndarray or None
        The mask before the click.
    clicks : sequence of Click
        All clicks, the newest last.
    image : (H, W, C) float ndarray
        The normalized image.
    margin : int
        Pixels around the mask's bounding box in which the edges are computed.
    shave : float
        Pixels of the previous mask this close to its edge (Euclidean) that the network dropped stay
        dropped; 0 gives back everything that falls to a positive click.

    Returns
    -------
    (H, W) float32 ndarray
        `prob` itself when the newest click is positive or nothing was
        dropped, else a corrected copy.
    """
    if not clicks or clicks[-1].positive or previous is None or not previous.any():
        return prob
    dropped = previous & (prob <= 0.5)
    if not dropped.any():
        return prob
    region = previous.copy()
    for c in clicks:
        if not c.positive:
            region[c.pixel] = True
    markers = [c for c in clicks if region[c.pixel]]
    if not any(c.positive for c in markers):
        return prob
    flooded, crop = _split(region, markers, image, margin)
    back = dropped[crop] & (flooded == 1)
    if shave > 0:
        back &= ndi.distance_transform_edt(previous[crop]) > shave  # the image border is no edge
    if not back.any():
        return prob
    prob = prob.copy()
    prob[crop][back] = INSIDE
    return prob


def _pinholes(mask: np.ndarray, clicks: Sequence[Click]) -> np.ndarray | None:
    """The holes of `mask` (background enclosed by it) that hold one of the negative `clicks`; None if none."""
    clicks = [c for c in clicks if not c.positive and not mask[c.pixel]]
    if not clicks or not mask.any():
        return None
    r0, c0, r1, c1 = mask_box(mask)
    crop = (slice(r0, r1 + 1), slice(c0, c1 + 1))
    labels, _ = ndi.label(ndi.binary_fill_holes(mask[crop]) & ~mask[crop])
    picked = {labels[c.pixel[0] - r0, c.pixel[1] - c0] for c in clicks if r0 <= c.pixel[0] <= r1 and c0 <= c.pixel[1] <= c1}
    picked.discard(0)
    if not picked:
        return None
    holes = np.zeros_like(mask)
    holes[crop] = np.isin(labels, list(picked))
    return holes


def _split(region: np.ndarray, clicks: Sequence[Click], image: np.ndarray, margin: int):
    """Watershed of the gradient inside `region`, flooded from the clicks in it (1 positive, 2 negative);
    returns the labels on a crop around the region and the crop's slices."""
    r0, c0, r1, c1 = mask_box(region)  # every click inside lies in it
    r0, c0 = max(r0 - margin, 0), max(c0 - margin, 0)
    crop = (slice(r0, r1 + margin + 1), slice(c0, c1 + margin + 1))
    markers = np.zeros(region[crop].shape, np.int32)
    for c in clicks:
        markers[c.pixel[0] - r0, c.pixel[1] - c0] = 1 if c.positive else 2
    return watershed(sobel(image[crop].mean(axis=2)), markers, mask=region[crop]), crop
