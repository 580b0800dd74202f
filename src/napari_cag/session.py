"""Interactive state for one image: clicks in, masks out (notebooks and the widget share it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .clicks import Click, click_pixels
from .image import mask_box, normalize_image, validate_image
from .labels import paint_mask
from .structure import ImageStructure
from .views import View, ViewCache

__all__ = ["Session", "segment"]


@dataclass
class _Step:
    """One click and the prediction it produced, kept in the view it was made in."""

    click: Click
    view: View
    prob: np.ndarray
    guidance: dict

    @property
    def mask(self) -> np.ndarray:
        return self.prob > 0.5


class Session:
    """Segment objects of one image click by click.

    The image's structure is computed once (per view, for images larger than
    `max_side`); each click runs the network on a window around the object
    and returns the new mask at full resolution.

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
    max_side : int
        Images larger than this (either side) are worked on through views of
        `tile` to `max_side` pixels around the current object, so a click on
        an 8192² image costs about what it costs on a 1024² one.
    tile : int
        Smallest view side for large images.
    respect_clicks : bool
        Correct masks that contradict a click (`napari_cag.refine`); False
        shows the network's raw output. Ignored when `model` is a Predictor.
    refine : {"auto", "natural", "microscopy", "none"} or RefineSettings, optional
        The full-resolution refinement (`napari_cag.refine.graph_cut`);
        ``"auto"`` picks it by the image's domain (`napari_cag.domain`),
        ``"none"`` keeps the network's mask. Default: the predictor's own
        setting (``"auto"``).

    Examples
    --------
    >>> s = Session(image)                          # doctest: +SKIP
    >>> mask = s.add_click(120, 80)                 # doctest: +SKIP
    >>> mask = s.add_click(150, 40, positive=False) # doctest: +SKIP
    >>> labels = s.commit(labels)                   # doctest: +SKIP
    """

    def __init__(self, image, *, model=None, device: str | None = None, structure: ImageStructure | None = None,
                 contrast_limits: tuple[float, float] | None = None, n_segments: int | None = None,
                 max_side: int = 2048, tile: int = 1024, respect_clicks: bool = True, refine=None):
        from .domain import check_refine
        from .predictor import Predictor, three_channels  # torch is imported only when a session starts

        image = validate_image(image)
        self.refine = None if refine is None else check_refine(refine)
        if not isinstance(model, Predictor):
            model = Predictor(model, device=device, respect_clicks=respect_clicks)
        self.predictor = model
        if structure is not None and structure.shape != image.shape[:2]:
            raise ValueError(f"structure is for shape {structure.shape}, the image is {image.shape[:2]}")
        self.views = ViewCache(
            image,
            make_image=lambda pixels: three_channels(normalize_image(pixels, limits=contrast_limits)),
            n_segments=lambda shape, pixels: n_segments or self.predictor.config_for(pixels).n_segments_for(shape),
            max_side=max(max_side, 16), tile=tile, structure=structure,
        )
        self._prepare = {"contrast_limits": contrast_limits, "n_segments": n_segments}  # for adapt
        self._steps: list[_Step] = []
        self._committed: list[tuple[tuple[slice, slice], np.ndarray]] = []  # each commit's box and mask

    @property
    def shape(self) -> tuple[int, int]:
        """Image shape ``(H, W)``."""
        return self.views.shape

    @property
    def view(self) -> View | None:
        """The view of the last prediction (the whole image unless it is large)."""
        if self._steps:
            return self._steps[-1].view
        return self.views.whole if self.views.single else None

    @property
    def structure(self) -> ImageStructure | None:
        """Structure of the current view."""
        return self.view.structure if self.view is not None else None

    @property
    def image(self) -> np.ndarray | None:
        """Normalized three-channel pixels of the current view."""
        return self.view.image if self.view is not None else None

    @property
    def clicks(self) -> list[Click]:
        """The clicks of the current object, oldest first."""
        return [s.click for s in self._steps]

    @property
    def guidance(self) -> dict[str, np.ndarray]:
        """The guidance maps fed to the network at the last click (its input window)."""
        return self._steps[-1].guidance if self._steps else {}

    def _full(self, step: _Step | None, values: np.ndarray | None, dtype) -> np.ndarray:
        out = np.zeros(self.shape, dtype)
        if step is not None:
            out[step.view.slices] = values
        return out

    @property
    def mask(self) -> np.ndarray:
        """The current object's mask, ``(H, W)`` bool (empty before a click)."""
        step = self._steps[-1] if self._steps else None
        return self._full(step, step.mask if step else None, bool)

    @property
    def probability(self) -> np.ndarray:
        """The current object probability, ``(H, W)`` float32."""
        step = self._steps[-1] if self._steps else None
        return self._full(step, step.prob if step else None, np.float32)

    def view_mask(self) -> np.ndarray | None:
        """The current mask inside `view` (cheap for large images)."""
        return self._steps[-1].mask if self._steps else None

    def add_click(self, y: float, x: float, positive: bool = True) -> np.ndarray:
        """Add a click and return the new mask, ``(H, W)`` bool.

        Raises
        ------
        ValueError
            If the click lies outside the image.
        """
        click = Click(y, x, positive)
        click_pixels([click], self.shape)
        clicks = self.clicks + [click]
        last = self._steps[-1] if self._steps else None
        box = _box(last.mask, last.view) if last is not None else None
        view = self.views.view_for(clicks, box, last.view if last else None)
        previous = None
        if last is not None:
            previous = last.mask if last.view is view else self._full(last, last.mask, bool)[view.slices]
        prob, guidance = self.predictor.predict(view.image, view.structure, view.local(clicks), previous,
                                                  refine=self.refine)
        self._steps.append(_Step(click, view, prob, guidance))
        return self.mask

    def undo(self) -> np.ndarray:
        """Remove the last click; returns the mask as it was before it."""
        if self._steps:
            self._steps.pop()
        return self.mask

    def reset(self) -> None:
        """Forget the current object's clicks and mask."""
        self._steps.clear()

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
        written = out != labels
        box = mask_box(written)
        if box is not None:
            box = (slice(box[0], box[2] + 1), slice(box[1], box[3] + 1))
            self._committed.append((box, written[box]))
        self.reset()
        return out

    @property
    def committed(self) -> np.ndarray:
        """The objects committed in this session as a label image, ``(H, W)`` int32: ids 1, 2, ...
        in commit order, each with the pixels its commit wrote (what `adapt` learns from)."""
        out = np.zeros(self.shape, np.int32)
        for k, (box, mask) in enumerate(self._committed):
            out[box][mask] = k + 1
        return out

    def adapt(self, **kwargs):
        """Adapt this session's model to the objects committed in it (`napari_cag.adapt`,
        whose keywords pass through), and use the result for the next clicks.

        Returns
        -------
        Adaptation
            Whether the model changed, and the clicks needed on the held-back objects before and
            after; when adapting did not help, this session keeps its model.
        """
        from .adaptation import adapt
        from .predictor import Predictor

        kwargs = {"device": str(self.predictor.device), **self._prepare, **kwargs}
        result = adapt(self.predictor, self.views.image, self.committed, **kwargs)
        if result.adapted:
            old = self.predictor
            self.predictor = Predictor(result, device=str(old.device), respect_clicks=old.respect_clicks,
                                       refine=old.refine, first_view=old.first_view, threads=old.threads)
            self.views.forget()  # in "auto" mode, views of the other domain had that model's superpixels
        return result

    def propagate(self, stack, index: int, **kwargs) -> np.ndarray:
        """Carry the current mask through the neighbouring slices of `stack`: ``(Z, H, W)`` bool.

        This session is slice `index` of `stack`; the mask is propagated
        both ways with this session's network and refinement
        (`napari_cag.propagate.propagate_object`, whose keywords
        ``min_overlap``, ``contrast_limits`` and ``max_slices`` pass through).

        Raises
        ------
        ValueError
            If there is no mask yet, or the stack's slices do not have this image's shape.
        """
        from .propagate import propagate_object

        mask = self.mask
        if not mask.any():
            raise ValueError("there is no mask to propagate: click on the object first")
        stack = np.asarray(stack)
        if stack.ndim < 3 or stack.shape[1:3] != self.shape:
            raise ValueError(f"stack of shape {stack.shape} does not hold slices of this image's shape {self.shape}")
        return propagate_object(stack, index, mask, predictor=self.predictor, **kwargs)


def _box(mask: np.ndarray, view: View) -> tuple[int, int, int, int] | None:
    """Bounding box ``(r0, c0, r1, c1)`` of a view's mask, in image coordinates."""
    box = mask_box(mask)
    return None if box is None else (view.y0 + box[0], view.x0 + box[1], view.y0 + box[2], view.x0 + box[3])


def segment(image, clicks: Sequence[Click], *, model=None, device: str | None = None, refine=None) -> np.ndarray:
    """One-shot mask of the object the clicks describe, ``(H, W)`` bool.

    The clicks are replayed one by one, as a user would make them, so the
    result matches an interactive session with the same clicks.
    """
    session = Session(image, model=model, device=device, refine=refine)
    for c in clicks:
        session.add_click(c.y, c.x, c.positive)
    return session.mask
