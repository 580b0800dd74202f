"""Image structure: everything image-only that guidance needs, computed once per image."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np
from skimage import color, segmentation

from .image import normalize_image, validate_image
from .proposals import RegionHierarchy, build_hierarchies, region_adjacency

__all__ = ["ImageStructure", "compute_structure", "features_for_superpixels"]

Progress = Callable[[str, float], None]


@dataclass(eq=False)
class ImageStructure:
    """Superpixels and region hierarchies of one image (the cache behind every click).

    Attributes
    ----------
    superpixels : (H, W) int32 ndarray
        Superpixel id of every pixel, consecutive from 0.
    centroids : (S, 2) float64 ndarray
        Centroid (row, column) of each superpixel, Sec. 3.1.
    areas : (S,) int64 ndarray
        Number of pixels of each superpixel.
    hierarchies : list of RegionHierarchy
        Trees over the superpixels whose non-root nodes are the object proposals
        of Sec. 3.2.
    """

    superpixels: np.ndarray
    centroids: np.ndarray
    areas: np.ndarray
    hierarchies: list[RegionHierarchy] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        """Image shape ``(H, W)``."""
        return self.superpixels.shape

    @property
    def n_superpixels(self) -> int:
        """Number of superpixels ``S``."""
        return len(self.areas)

    @property
    def n_proposals(self) -> int:
        """Number of object proposals over all hierarchies."""
        return sum(h.n_proposals for h in self.hierarchies)

    @property
    def nbytes(self) -> int:
        """Memory held by the cached arrays, in bytes."""
        arrays = [self.superpixels, self.centroids, self.areas]
        return sum(a.nbytes for a in arrays) + sum(h.nbytes for h in self.hierarchies)

    def superpixel_at(self, pixels: np.ndarray) -> np.ndarray:
        """Superpixel ids under ``(N, 2)`` integer pixel coordinates."""
        pixels = np.asarray(pixels, dtype=np.int64).reshape(-1, 2)
        return self.superpixels[pixels[:, 0], pixels[:, 1]]


def features_for_superpixels(normalized: np.ndarray) -> np.ndarray:
    """Pixel features on which superpixels and region cues are computed.

    RGB images go to CIELAB (as SLIC's paper does); other images are scaled to
    ``[0, 100]``, the range of L*, so one compactness serves every image type.

    Parameters
    ----------
    normalized : (H, W, C) float32 ndarray
        Output of `normalize_image`.

    Returns
    -------
    features : (H, W, C) float32 ndarray
    """
    if normalized.shape[2] == 3:
        return color.rgb2lab(normalized).astype(np.float32)
    return normalized * np.float32(100.0)


def _superpixels(features, n_segments, method, compactness, sigma):
    if method == "slic":
        # slic rescales its input to [0, 1] by the global min and max; dividing
        # the compactness by that span clusters exactly as on the raw features.
        span = float(features.max() - features.min()) or 1.0
        return segmentation.slic(
            features, n_segments=n_segments, compactness=compactness / span, sigma=sigma,
            convert2lab=False, channel_axis=-1, start_label=0,
        )
    if method == "felzenszwalb":
        h, w = features.shape[:2]
        min_size = max(1, (h * w) // (4 * n_segments))
        return segmentation.felzenszwalb(
            features / 100.0, scale=min_size, sigma=max(sigma, 0.8), min_size=min_size, channel_axis=-1
        )
    raise ValueError(f"method must be 'slic' or 'felzenszwalb', got {method!r}")


def _check_superpixels(superpixels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    superpixels = np.asarray(superpixels)
    if superpixels.dtype.kind not in "iub":
        raise TypeError(f"superpixels must be an integer label image, got dtype {superpixels.dtype}")
    if superpixels.shape != tuple(shape):
        raise ValueError(f"superpixels have shape {superpixels.shape}, but the image is {tuple(shape)}")
    return superpixels


def compute_structure(
    image: np.ndarray,
    *,
    n_segments: int = 1000,
    superpixels: np.ndarray | None = None,
    method: Literal["slic", "felzenszwalb"] = "slic",
    compactness: float = 10.0,
    sigma: float = 1.0,
    hierarchies: bool = True,
    progress: Progress | None = None,
) -> ImageStructure:
    """Compute superpixels, their statistics and region hierarchies of an image.

    This is the image-only work of the method, done once per image so that a
    click only costs per-click work.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array_like
        Grayscale, RGB(A) or multichannel image, any real dtype; intensities
        are normalized with `normalize_image`.
    n_segments : int
        Approximate number of superpixels; the paper's Table 2 finds 1000 SLIC
        superpixels on par with MCG's.
    superpixels : (H, W) int ndarray, optional
        A caller's own label image; any integer ids, relabelled consecutively.
        Overrides `method` and `n_segments`.
    method : {"slic", "felzenszwalb"}
        Superpixel algorithm (SLIC, the paper's Table 2 default, or
        Felzenszwalb's graph-based one, where `n_segments` is approximate).
    compactness : float
        SLIC compactness on L*a*b* (or ``[0, 100]``-scaled) features.
    sigma : float
        Gaussian pre-smoothing in pixels before clustering. Without it, noisy
        microscopy images fragment and SLIC's connectivity step merges them
        into a handful of superpixels.
    hierarchies : bool
        Build the region hierarchies that supply object proposals (Sec. 3.2).
        Without them `object_map` is zero everywhere.
    progress : callable, optional
        Called as ``progress(step_name, fraction_done)`` between steps.

    Returns
    -------
    ImageStructure

    Raises
    ------
    ValueError, TypeError
        For an invalid image (see `validate_image`), ``n_segments < 1``, or a
        superpixel image of the wrong shape or dtype.

    Examples
    --------
    >>> from skimage import data
    >>> s = compute_structure(data.coffee(), n_segments=200)
    >>> s.superpixels.shape
    (400, 600)
    """
    report = progress or (lambda step, done: None)
    image = validate_image(image)
    if superpixels is not None:
        superpixels = _check_superpixels(superpixels, image.shape[:2])
    elif int(n_segments) < 1:
        raise ValueError(f"n_segments must be >= 1, got {n_segments}")
    report("normalizing", 0.0)
    features = features_for_superpixels(normalize_image(image))
    if superpixels is None:
        report("superpixels", 0.1)
        labels = _superpixels(features, int(n_segments), method, compactness, sigma)
    else:
        labels = superpixels
    _, labels = np.unique(labels, return_inverse=True)
    labels = labels.reshape(image.shape[:2]).astype(np.int32)

    report("superpixel statistics", 0.6)
    n = int(labels.max()) + 1
    flat = labels.ravel()
    areas = np.bincount(flat, minlength=n).astype(np.int64)
    rows, cols = np.indices(labels.shape, sparse=True)
    cy = np.bincount(flat, np.broadcast_to(rows, labels.shape).ravel(), minlength=n) / areas
    cx = np.bincount(flat, np.broadcast_to(cols, labels.shape).ravel(), minlength=n) / areas
    trees = []
    if hierarchies and n > 1:
        report("region hierarchies", 0.7)
        trees = build_hierarchies(region_adjacency(labels, features, n), features, labels, areas)
    report("done", 1.0)
    return ImageStructure(labels, np.stack([cy, cx], axis=1), areas, trees)
