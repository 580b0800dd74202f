"""Input images: validation and robust intensity normalization."""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["as_mask", "mask_box", "validate_image", "normalize_image"]

MAX_CHANNELS = 16
_SAMPLE_PIXELS = 1 << 20  # percentiles are estimated on at most ~1M pixels


def validate_image(image: np.ndarray) -> np.ndarray:
    """Check that `image` is a finite 2D grayscale or multichannel image.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array_like
        Integer or floating-point pixels; ``C <= 16`` channels, last axis.

    Returns
    -------
    image : ndarray
        The same data as an ndarray (not copied when already one).

    Raises
    ------
    TypeError
        If the dtype is not a real integer, boolean or floating type.
    ValueError
        If the image has the wrong number of dimensions, is empty, has too many
        channels, or contains NaN or infinite values.
    """
    image = np.asarray(image)
    if image.dtype.kind not in "biuf":
        raise TypeError(f"image must have a real numeric dtype, got {image.dtype}")
    if image.ndim not in (2, 3):
        raise ValueError(
            f"image must be 2D (H, W) or (H, W, C) with channels last, got shape {image.shape}; "
            "for a 3D stack or time-lapse pass one 2D slice"
        )
    if image.shape[0] < 1 or image.shape[1] < 1 or (image.ndim == 3 and image.shape[2] < 1):
        raise ValueError(f"image is empty: shape {image.shape}")
    if image.ndim == 3 and image.shape[2] > MAX_CHANNELS:
        raise ValueError(
            f"image has {image.shape[2]} channels on its last axis (at most {MAX_CHANNELS} expected); "
            f"shape {image.shape} looks like a stack: pass one 2D slice, channels last"
        )
    if image.dtype.kind == "f":
        bad = ~np.isfinite(image)
        if bad.any():
            kinds = sorted({"NaN" if np.isnan(v) else "inf" for v in image[bad][:1000]})
            raise ValueError(f"image contains {int(bad.sum())} non-finite pixels ({', '.join(kinds)})")
    return image


def as_mask(array, name: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A 2D boolean mask from `array` (non-zero = True), checked.

    Raises
    ------
    ValueError
        If it is not 2D, or not of `shape` when one is given.
    TypeError
        If its dtype is neither boolean nor numeric.
    """
    a = np.asarray(array)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2D (H, W) mask, got an array of shape {a.shape}")
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {a.shape}")
    if a.dtype != bool:
        if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise TypeError(f"{name} must be a boolean or numeric mask, got dtype {a.dtype}")
        a = a != 0
    return a


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Bounding box ``(r0, c0, r1, c1)`` (inclusive) of a 2D mask's pixels, None when it is empty."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1])


def _sample(values: np.ndarray) -> np.ndarray:
    step = max(1, int(np.sqrt(values.shape[0] * values.shape[1] / _SAMPLE_PIXELS)))
    return values[::step, ::step]


def normalize_image(
    image: np.ndarray, *, low: float = 1.0, high: float = 99.8, limits: tuple[float, float] | None = None
) -> np.ndarray:
    """Robustly rescale intensities to ``[0, 1]`` using percentiles.

    A 12-bit microscopy image and its 8-bit twin come out the same. RGB and
    RGBA images keep their colour balance (one pair of percentiles for the
    three colour channels; alpha is dropped); other multichannel images are
    normalized per channel, since each channel is usually a different stain.
    Percentiles are estimated on a regular subsample of at most ~1M pixels.
    What the network cannot use is said, not hidden: a `UserWarning` is
    emitted for an image of more than four channels (the network sees the
    first three) and for an image that is constant once normalized.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array_like
        See `validate_image`.
    low, high : float
        Percentiles mapped to 0 and 1; values outside are clipped.
    limits : (float, float), optional
        Fixed intensities mapped to 0 and 1 instead of percentiles, e.g. a
        napari layer's contrast limits, so the network sees what the user sees.

    Returns
    -------
    normalized : (H, W, C) float32 ndarray
        A new array, channels last (``C = 1`` for grayscale, 3 for RGB(A)).
        A constant image becomes all zeros.

    Warns
    -----
    UserWarning
        ``"image has 5 channels; the network sees channels 0, 1, 2"`` for
        more than four channels, and ``"image is constant: there is nothing
        to segment"`` when every normalized channel is constant (a constant
        image, or one wholly outside `limits`).

    Examples
    --------
    >>> normalize_image(np.arange(4, dtype=np.uint16).reshape(2, 2)).shape
    (2, 2, 1)
    """
    if not 0 <= low < high <= 100:
        raise ValueError(f"need 0 <= low < high <= 100, got low={low}, high={high}")
    image = validate_image(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[2] == 4:
        image = image[..., :3]
    elif image.shape[2] > 4:
        warnings.warn(f"image has {image.shape[2]} channels; the network sees channels 0, 1, 2 "
                      f"(superpixels use all {image.shape[2]})", UserWarning)
    x = image.astype(np.float32)  # always a copy: the caller's array is never touched
    sample = _sample(x)
    if limits is not None:
        lo, hi = np.full(x.shape[2], float(limits[0])), np.full(x.shape[2], float(limits[1]))
    elif x.shape[2] == 3:
        lo, hi = np.percentile(sample, [low, high])
        lo, hi = np.full(3, lo), np.full(3, hi)
    else:
        lo, hi = np.percentile(sample.reshape(-1, x.shape[2]), [low, high], axis=0)
    span = (hi - lo).astype(np.float32)
    span[span <= 0] = 1.0
    x -= lo.astype(np.float32)
    x /= span
    np.clip(x, 0.0, 1.0, out=x)
    if (limits is not None or _constant(sample)) and _constant(x):  # the sample varies: no full pass
        within = "" if limits is None else f" within contrast limits ({limits[0]:g}, {limits[1]:g})"
        warnings.warn(f"image is constant{within}: there is nothing to segment", UserWarning)
    return x


def _constant(x: np.ndarray) -> bool:
    flat = x.reshape(-1, x.shape[2])
    return bool((flat.min(axis=0) == flat.max(axis=0)).all())
