"""Interactive state for one image: clicks in, masks out (notebooks and the widget share it)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .clicks import Click, click_pixels
from .image import normalize_image, validate_image
from .labels import paint_mask
from .structure import ImageStructure, compute_structure

__all__ = ["Session", "segment"]


class Session:
    """Segment objects of one image click by click.

    The image's structure is computed once; each click runs the network on a
    window around the object and returns the new mask.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array_like
        The image (any real dtype; normalized with percentiles).
    model : path, (module, ModelConfig), Predictor or None
        The network; None loads the shipped default weights.
    device : str, optional
        ``"cpu"``, ``"cuda"`` or ``"mps"``; default: the best available.
    structure : ImageStructure, optional
        A precomputed structure of this image (e.g. shared by the objects of
        one image in an evaluation); computed with the model's settings if not
        given.
    contrast_limits : (float, float), optional
        Intensities shown as black and white (napari's contrast limits); by
        default robust percentiles.
    n_segments : int, optional
        Superpixels for the structure; default: the model's setting.

    Examples
    --------
    >>> s = Session(image)                          # doctest: +SKIP
    >>> mask = s.add_click(120, 80)                 # doctest: +SKIP
    >>> mask = s.add_click(150, 40, positive=False) # doctest: +SKIP
    >>> labels = s.commit(labels)                   # doctest: +SKIP
    """

    def __init__(self, image, *, model=None, device: str | None = None, structure: ImageStructure | None = None,
                 contrast_limits: tuple[float, float] | None = None, n_segments: int | None = None):
        from .predictor import Predictor, three_channels  # torch is imported only when a session starts

        image = validate_image(image)
        self.predictor = model if isinstance(model, Predictor) else Predictor(model, device=device)
        self.image = three_channels(normalize_image(image, limits=contrast_limits))
        config = self.predictor.config
        if structure is None:
            n = n_segments or config.n_segments_for(image.shape[:2])
            structure = compute_structure(image, n_segments=n)
        elif structure.shape != image.shape[:2]:
            raise ValueError(f"structure is for shape {structure.shape}, the image is {image.shape[:2]}")
        self.structure = structure
        self._clicks: list[Click] = []
        self._masks: list[np.ndarray] = []
        self._probs: list[np.ndarray] = []
        self.guidance: dict[str, np.ndarray] = {}

    @property
    def shape(self) -> tuple[int, int]:
        """Image shape ``(H, W)``."""
        return self.structure.shape

    @property
    def clicks(self) -> list[Click]:
        """The clicks of the current object, oldest first."""
        return list(self._clicks)

    @property
    def mask(self) -> np.ndarray:
        """The current object's mask, ``(H, W)`` bool (empty before a click)."""
        return self._masks[-1].copy() if self._masks else np.zeros(self.shape, bool)

    @property
    def probability(self) -> np.ndarray:
        """The current object probability, ``(H, W)`` float32."""
        return self._probs[-1].copy() if self._probs else np.zeros(self.shape, np.float32)

    def add_click(self, y: float, x: float, positive: bool = True) -> np.ndarray:
        """Add a click and return the new mask, ``(H, W)`` bool.

        Raises
        ------
        ValueError
            If the click lies outside the image.
        """
        click = Click(y, x, positive)
        click_pixels([click], self.shape)
        clicks = self._clicks + [click]
        previous = self._masks[-1] if self._masks else None
        prob, self.guidance = self.predictor.predict(self.image, self.structure, clicks, previous)
        self._clicks.append(click)
        self._probs.append(prob)
        self._masks.append(prob > 0.5)
        return self.mask

    def undo(self) -> np.ndarray:
        """Remove the last click; returns the mask as it was before it."""
        if self._clicks:
            self._clicks.pop()
            self._masks.pop()
            self._probs.pop()
        return self.mask

    def reset(self) -> None:
        """Forget the current object's clicks and mask."""
        self._clicks.clear()
        self._masks.clear()
        self._probs.clear()
        self.guidance = {}

    def commit(self, labels: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
        """Write the mask into a copy of `labels` with the next free id, then reset.

        Parameters
        ----------
        labels : (H, W) int ndarray
            The label image so far (not modified).
        overwrite : bool
            Let the new object take pixels of existing objects.

        Returns
        -------
        (H, W) ndarray
            The new label image.
        """
        labels = np.asarray(labels)
        if labels.shape != self.shape:
            raise ValueError(f"labels have shape {labels.shape}, the image is {self.shape}")
        out = labels.copy()
        paint_mask(out, (), self.mask, overwrite=overwrite)
        self.reset()
        return out


def segment(image, clicks: Sequence[Click], *, model=None, device: str | None = None) -> np.ndarray:
    """One-shot mask of the object the clicks describe, ``(H, W)`` bool.

    The clicks are replayed one by one, as a user would make them, so the
    result matches an interactive session with the same clicks.
    """
    session = Session(image, model=model, device=device)
    for c in clicks:
        session.add_click(c.y, c.x, c.positive)
    return session.mask
