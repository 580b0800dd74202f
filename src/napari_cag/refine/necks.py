"""A first click on one of two touching nuclei: keep the clicked one.

Of 16 DSB2018 val nuclei over 400 px whose first mask fell short of 0.75 IoU, 7 had spilled into a touching
neighbour of the same brightness (docs/RESULTS.md, seventeenth session of the models issue). Such a mask is two blobs joined by a
neck. The classic split of touching nuclei finds them: a watershed of the mask's distance transform, seeded by
its h-maxima, cuts it where it narrows; then lobes are joined back to the clicked one wherever the neck between
them is wide (a bent or elongated single object) and dropped where it is narrow compared with both lobes.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import h_maxima
from skimage.segmentation import watershed

from ..clicks import Click
from ..image import mask_box

__all__ = ["keep_clicked_lobe"]

H_FRACTION = 0.1  # a lobe's centre must stand this x the mask's largest inscribed radius (>= 1 px) above its neck
MAX_SIDE = 160    # larger masks are split on a copy shrunk to this side (a 1,000-px mask: 3 s at full size)


def keep_clicked_lobe(mask: np.ndarray, click: Click, ratio: float) -> np.ndarray:
    """`mask` ((H, W) bool) without the lobes that a narrow neck joins to the one under `click`.

    A lobe stays when the neck to a kept lobe is at least `ratio` times the inscribed radius of the smaller
    of the two (neck and radii from the distance transform). `mask` comes back unchanged when it has one
    lobe or does not hold the click.
    """
    if not mask[click.pixel]:
        return mask
    r0, c0, r1, c1 = mask_box(mask)
    full = mask[r0:r1 + 1, c0:c1 + 1]
    scale = min(1.0, MAX_SIDE / max(full.shape))
    small = full if scale == 1 else cv2.resize(full.astype(np.uint8), None, fx=scale, fy=scale,
                                              interpolation=cv2.INTER_AREA) > 0
    at = (min(int((click.pixel[0] - r0) * scale), small.shape[0] - 1),
          min(int((click.pixel[1] - c0) * scale), small.shape[1] - 1))
    kept = _clicked_lobes(small, at, ratio)
    if kept is None:
        return mask
    if scale < 1:
        kept = cv2.resize(kept.astype(np.uint8), full.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
    out = np.zeros_like(mask)
    out[r0:r1 + 1, c0:c1 + 1] = kept & full
    return out


def _clicked_lobes(mask: np.ndarray, at: tuple[int, int], ratio: float) -> np.ndarray | None:
    """The lobes of `mask` kept around the pixel `at`, or None when there is nothing to split."""
    crop = np.pad(mask, 1)
    dist = ndi.distance_transform_edt(crop)
    markers, n = ndi.label(h_maxima(dist, max(1.0, H_FRACTION * dist.max())))
    if n < 2:
        return None
    lobes = watershed(-dist, markers, mask=crop)
    radius = np.concatenate([[0.0], ndi.maximum(dist, lobes, index=np.arange(1, n + 1))])
    first = lobes[at[0] + 1, at[1] + 1]
    if first == 0:  # off the shrunk mask, or a part without a maximum of its own: nothing to compare
        return None
    keep, todo = {first}, [first]
    while todo:
        label = todo.pop()
        a = lobes == label
        for b in np.unique(lobes[ndi.binary_dilation(a) & ~a]):
            if b == 0 or b in keep:
                continue
            neck = dist[ndi.binary_dilation(lobes == b) & a].max()
            if neck >= ratio * min(radius[label], radius[b]):
                keep.add(b)
                todo.append(b)
    return np.isin(lobes, list(keep))[1:-1, 1:-1]
