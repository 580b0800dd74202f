"""Training examples: simulated clicks (Sec. 3.4), windows as at inference, guidance dropout (Sec. 4.2).

Beyond the paper:

- half of the examples keep only the first (positive) click, the state every
  interactive session starts from; iterative rounds then add error clicks as
  a user would;
- a first click on a micrograph is seen as the first-view search sees it
  (`napari_cag.firstview`): through a window centred on the click whose side
  is 1.1-8x the object's extent (log-uniform: the scale jitter), from 0.5x for
  objects larger than the search's smallest view, which can lie inside them, and the loop
  then zooms on the network's own answer, as `Predictor` does;
- every set of a domain is drawn equally often, whatever its size, so a
  model works on each set and not only on the biggest;
- photometric jitter and the 8 symmetries of the square for micrographs
  (`napari_cag.training.augment`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ..clicks import Click
from ..image import mask_box
from ..model import ModelConfig
from ..predictor import Window, choose_window, finish, network_input
from ..refine import REFINE_PRESETS
from ..simulate import next_click, sample_training_clicks
from .augment import jitter_image, transform
from .cache import CachedImage
from .perturb import later_state, perturbed_mask

__all__ = ["Example", "TrainingSampler"]

P_FULL_VIEW = 0.4          # share of first-click views (whole image, no previous mask)
ZOOM_EXPAND = (1.15, 2.2)  # zoom views: window = this x the object's box, like the inference zoom
P_DROP_ALL = 0.2           # Sec. 4.2: zero all guidance for single-object images
P_DROP_ONE = 0.4           # Sec. 4.2: reset the positive or the negative superpixel guidance
P_REPLACE = 0.3            # Sec. 3.4: a new error click replaces an existing one
P_SINGLE = 0.5             # share of examples that start as the protocol does: one positive click
P_WHOLE_MICRO = 0.15       # share of first views of micrographs on the whole image instead of a search window
SEARCH_EXPAND = (1.1, 8.0) # search windows: this x the object's extent, log-uniform ...
INSIDE_EXPAND = 0.5        # ... and down to this x (windows inside the object) while above `min_window`
CLICK_MARGIN = 110         # px around the object where training clicks are drawn (D_OUT1 + NEG_BAND + 10)
P_ZOOM = 0.5               # after a search window, zoom on the network's answer as at inference
TOUCH_BAND = 2             # px of the network's input on each side of where the object meets another
CLICK_BAND = 12            # px of the network's input around the newest click (`TrainingSampler.near_newest_click`)


@dataclass
class Example:
    """The state of one simulated interaction."""

    item: CachedImage
    object_id: int
    gt: np.ndarray
    clicks: list[Click]
    previous: np.ndarray | None = None
    window: Window | None = None
    flips: tuple[bool, bool] = (False, False)
    drop: str | None = None
    extra: dict = field(default_factory=dict)


class TrainingSampler:
    """Draws examples and turns them into network inputs and targets.

    Parameters
    ----------
    images : list of CachedImage
        Training images.
    config : ModelConfig
        Input channels, window policy and input size.
    rng : numpy.random.Generator
        The only source of randomness.
    microscopy_share : float
        Probability of drawing from a microscopy image (when both kinds exist).
    augment : bool
        Photometric jitter and, for micrographs, transposes (flips always).
    """

    def __init__(self, images: list[CachedImage], config: ModelConfig, rng: np.random.Generator,
                 microscopy_share: float = 0.5, augment: bool = True):
        if not images:
            raise ValueError("no training images")
        self.config, self.rng, self.augment = config, rng, augment
        self.pools = [p for p in (_by_set([i for i in images if i.microscopy]),
                                  _by_set([i for i in images if not i.microscopy])) if p]
        self.shares = [microscopy_share, 1 - microscopy_share] if len(self.pools) == 2 else [1.0]

    def draw(self) -> Example:
        """A new object with simulated first clicks (positive first, then negative)."""
        rng = self.rng
        sets = self.pools[rng.choice(len(self.pools), p=self.shares)]
        pool = sets[rng.integers(len(sets))]
        item = pool[rng.integers(len(pool))]
        ids = item.object_ids
        object_id = int(ids[rng.integers(len(ids))])
        gt = item.objects == object_id
        clicks = self._first_clicks(item, gt, len(ids) > 1)
        if rng.random() < P_SINGLE:
            # The paper's sets always hold 2-5 positives and several negatives, so a network
            # trained on them alone has never seen a lone first click, where every session starts.
            clicks = clicks[:1]
        dihedral = item.microscopy and self.augment
        ex = Example(item, object_id, gt, clicks,
                     flips=(bool(rng.random() < 0.5), item.microscopy and bool(rng.random() < 0.5),
                            dihedral and bool(rng.random() < 0.5)))
        if len(ids) == 1 and rng.random() < P_DROP_ALL:
            ex.drop = "all"
        elif rng.random() < P_DROP_ONE:
            ex.drop = "pos" if rng.random() < 0.5 else "neg"
        if len(clicks) > 1 and rng.random() >= P_FULL_VIEW:
            # A framed zoom only with several clicks, standing in for the zoom on a previous
            # prediction; a lone first click is seen on the whole image, as at inference: framed
            # around the true object, the window itself would tell the network the object's extent.
            ex.window = self._zoom_window(gt)
        elif item.microscopy and ex.drop != "all" and rng.random() >= P_WHOLE_MICRO:
            ex.window = self._search_window(gt, clicks[0])
            ex.extra["zoom"] = rng.random() < P_ZOOM
        return ex

    def _first_clicks(self, item: CachedImage, gt: np.ndarray, others: bool) -> list[Click]:
        """The simulated clicks, drawn on a crop around the object (distance maps of a whole
        1000² micrograph per example would cost more than the network's step)."""
        r0, c0, r1, c1 = mask_box(gt)
        margin = max(CLICK_MARGIN, r1 - r0 + 1, c1 - c0 + 1)
        ys = slice(max(r0 - margin, 0), min(r1 + 1 + margin, gt.shape[0]))
        xs = slice(max(c0 - margin, 0), min(c1 + 1 + margin, gt.shape[1]))
        ignore = item.ignore[ys, xs] if item.ignore is not None else None
        instances = item.objects[ys, xs] if others else None
        clicks = sample_training_clicks(gt[ys, xs], instances, rng=self.rng, ignore=ignore)
        return [Click(c.y + ys.start, c.x + xs.start, c.positive) for c in clicks]

    def _search_window(self, gt: np.ndarray, click: Click) -> Window:
        """A first-view search window: centred on the click, 0.5-8x the object's extent, never under
        ``min_window`` (the search's smallest view), so only a large object's windows lie inside it."""
        r0, c0, r1, c1 = mask_box(gt)
        extent = max(r1 - r0 + 1, c1 - c0 + 1)
        # Below 1.1x only as far as the search's own smallest view goes: a nucleus smaller than
        # `min_window` keeps 1.1-8x instead of piling its views onto the clamp.
        low = max(INSIDE_EXPAND, min(SEARCH_EXPAND[0], self.config.min_window / extent))
        side = int(extent * np.exp(self.rng.uniform(np.log(low), np.log(SEARCH_EXPAND[1]))))
        if side >= max(gt.shape):
            return choose_window(gt.shape, [], None, self.config)
        side = max(side, self.config.min_window)
        r, c = click.pixel
        return Window(r - side // 2, c - side // 2, side)

    def zoom(self, ex: Example, prediction: np.ndarray) -> None:
        """Look again at a search window's answer, as `Predictor` does after a first view."""
        ex.extra["zoom"] = False
        window = self.window_for(ex)
        zoom = choose_window(ex.gt.shape, ex.clicks, prediction, self.config)
        if prediction.any() and zoom.side * 2 <= window.side:
            ex.previous, ex.window = prediction, zoom

    def _zoom_window(self, gt: np.ndarray) -> Window:
        r0, c0, r1, c1 = mask_box(gt)
        extent = max(r1 - r0 + 1, c1 - c0 + 1)
        side = max(int(extent * self.rng.uniform(*ZOOM_EXPAND)), self.config.min_window)
        jitter = self.rng.uniform(-0.1, 0.1, size=2) * side
        cy, cx = (r0 + r1 + 1) / 2 + jitter[0], (c0 + c1 + 1) / 2 + jitter[1]
        return Window(int(round(cy - side / 2)), int(round(cx - side / 2)), side)

    def add_error_click(self, ex: Example, prediction: np.ndarray) -> None:
        """Iterative training (Sec. 3.4): click the centre of the largest error, as a user would.

        Errors are looked for inside the window the prediction came from (it
        is empty outside), which keeps the distance transforms small.
        """
        ex.previous = prediction
        ex.drop = None  # once corrections start, the guidance is the user's own
        window = self.window_for(ex)
        h, w = ex.gt.shape
        ys = slice(max(window.y0, 0), min(window.y0 + window.side, h))
        xs = slice(max(window.x0, 0), min(window.x0 + window.side, w))
        ignore = ex.item.ignore[ys, xs] if ex.item.ignore is not None else None
        click = next_click(prediction[ys, xs], ex.gt[ys, xs], ignore)
        if click is None:
            return
        click = Click(click.y + ys.start, click.x + xs.start, click.positive)
        if len(ex.clicks) > 2 and self.rng.random() < P_REPLACE:
            ex.clicks.pop(int(self.rng.integers(2, len(ex.clicks))))  # keep the scale-giving first pair
        ex.clicks.append(click)
        ex.window = choose_window(ex.gt.shape, ex.clicks, prediction, self.config)

    def perturbed_rounds(self, ex: Example, k: int) -> None:
        """`k` error clicks on a perturbed true mask instead of the network's (`napari_cag.training.perturb`):
        the example becomes a session `k` clicks on, its previous mask an imperfect answer and its window
        the one the inference policy gives that answer."""
        objects = ex.item.objects if len(ex.item.object_ids) > 1 else None
        mask = perturbed_mask(ex.gt, objects, self.rng)
        ex.previous, ex.clicks = later_state(ex.gt, mask, ex.clicks, k, self.rng, ex.item.ignore)
        ex.drop, ex.extra["zoom"] = None, False
        ex.window = choose_window(ex.gt.shape, ex.clicks, ex.previous, self.config)

    def finish(self, ex: Example, prob: np.ndarray) -> np.ndarray:
        """An ``(H, W)`` network probability of an example made into the mask a user would get: the
        refinement of its domain, the click correction (`napari_cag.predictor.finish`)."""
        item = ex.item
        settings = REFINE_PRESETS["microscopy" if item.microscopy else "natural"]
        return finish(prob, item.image.astype(np.float32) / 255, item.structure, ex.clicks, settings, ex.previous)

    def window_for(self, ex: Example) -> Window:
        """The window of an example: its own, or the inference policy's first-click view."""
        clicks = [] if ex.drop == "all" else ex.clicks
        return ex.window or choose_window(ex.gt.shape, clicks, None, self.config)

    def inputs(self, ex: Example) -> tuple[np.ndarray, np.ndarray]:
        """Network input ``(3 + G, S, S)`` and target ``(S, S)`` (0/1, 255 = ignore) of an example."""
        cfg, item = self.config, ex.item
        clicks = [] if ex.drop == "all" else ex.clicks
        window = self.window_for(ex)
        previous = ex.previous if cfg.reads_previous_mask else None
        x, maps = network_input(item.image.astype(np.float32) / 255, item.structure, clicks, previous, window, cfg)
        if ex.drop in ("pos", "neg"):
            for i, name in enumerate(maps):
                if name.endswith(("_" + ex.drop, "_" + ex.drop + "_scaled")):
                    x[3 + i] = 1.0  # the no-click value, 255 / 255
        target = self._on_grid(ex, ex.gt).astype(np.int64)  # past the border is background, not unknown
        if item.ignore is not None:
            target[self._on_grid(ex, item.ignore)] = 255
        if self.augment:
            jitter_image(x, self.rng, item.microscopy)
        return np.ascontiguousarray(transform(x, ex.flips)), np.ascontiguousarray(transform(target, ex.flips))

    def touching(self, ex: Example) -> np.ndarray:
        """``(S, S)`` bool, aligned with `inputs`' target: where the object meets another one.

        The pixels of other objects within `TOUCH_BAND` input pixels of the object, and the object's own
        pixels as close to another object: the line that separates touching nuclei, a few pixels of a
        160² view that cross-entropy barely notices, and where a first mask spills into the neighbour.
        """
        ids = self._on_grid(ex, ex.item.objects)
        mine, others = ids == ex.object_id, (ids != ex.object_id) & (ids != 0)
        disk = ndimage.iterate_structure(ndimage.generate_binary_structure(2, 1), TOUCH_BAND)
        band = (others & ndimage.binary_dilation(mine, disk)) | (mine & ndimage.binary_dilation(others, disk))
        return np.ascontiguousarray(transform(band, ex.flips))

    def near_newest_click(self, ex: Example) -> np.ndarray:
        """``(S, S)`` bool, aligned with `inputs`' target: where the newest click asks the network to
        change its answer. The input pixels within `CLICK_BAND` of the click, and the whole error of the
        previous mask the click lies in (a negative click in a neighbour the mask spilled into marks all
        of that spill); none when the example's clicks are hidden from the network. RITM and FocalClick
        weight the loss around the newest click for the same reason."""
        size = self.config.input_size
        if ex.drop == "all" or not ex.clicks:
            return np.zeros((size, size), bool)
        window = self.window_for(ex)
        rows, cols = window.grid(size)
        y, x = ex.clicks[-1].pixel
        step = window.side / size  # image px per input px
        near = np.hypot(*np.meshgrid((rows - y) / step, (cols - x) / step, indexing="ij")) <= CLICK_BAND
        if ex.previous is not None:
            errors, _ = ndimage.label(self._on_grid(ex, ex.previous) != self._on_grid(ex, ex.gt))
            at = errors[np.abs(rows - y).argmin(), np.abs(cols - x).argmin()]
            if at:
                near |= errors == at
        return np.ascontiguousarray(transform(near, ex.flips))

    def _on_grid(self, ex: Example, a: np.ndarray) -> np.ndarray:
        """An image-sized array sampled at the ``(S, S)`` points of the example's window, 0 past the border."""
        rows, cols = self.window_for(ex).grid(self.config.input_size)
        h, w = a.shape[:2]
        r_in, c_in = (rows >= 0) & (rows < h), (cols >= 0) & (cols < w)
        out = np.zeros((rows.size, cols.size), dtype=a.dtype)
        out[np.ix_(r_in, c_in)] = a[np.ix_(rows[r_in], cols[c_in])]
        return out


def _by_set(images: list[CachedImage]) -> list[list[CachedImage]]:
    """Images grouped by their set (the part of the name before ``/``)."""
    sets: dict[str, list[CachedImage]] = {}
    for item in images:
        sets.setdefault(item.name.split("/")[0], []).append(item)
    return [sets[k] for k in sorted(sets)]
