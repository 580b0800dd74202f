"""Training examples: simulated clicks (Sec. 3.4), windows as at inference, guidance dropout (Sec. 4.2).

Beyond the paper: half of the examples keep only the first (positive) click,
the state every interactive session starts from; iterative rounds then add
error clicks as a user would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..clicks import Click
from ..image import mask_box
from ..model import ModelConfig
from ..predictor import Window, choose_window, network_input
from ..simulate import next_click, sample_training_clicks
from .cache import CachedImage

__all__ = ["Example", "TrainingSampler"]

P_FULL_VIEW = 0.4          # share of first-click views (whole image, no previous mask)
ZOOM_EXPAND = (1.15, 2.2)  # zoom views: window = this x the object's box, like the inference zoom
P_DROP_ALL = 0.2           # Sec. 4.2: zero all guidance for single-object images
P_DROP_ONE = 0.4           # Sec. 4.2: reset the positive or the negative superpixel guidance
P_REPLACE = 0.3            # Sec. 3.4: a new error click replaces an existing one
P_SINGLE = 0.5             # share of examples that start as the protocol does: one positive click


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
    """

    def __init__(self, images: list[CachedImage], config: ModelConfig, rng: np.random.Generator,
                 microscopy_share: float = 0.5):
        if not images:
            raise ValueError("no training images")
        self.config, self.rng = config, rng
        self.pools = [p for p in ([i for i in images if i.microscopy], [i for i in images if not i.microscopy]) if p]
        self.shares = [microscopy_share, 1 - microscopy_share] if len(self.pools) == 2 else [1.0]

    def draw(self) -> Example:
        """A new object with simulated first clicks (positive first, then negative)."""
        rng = self.rng
        pool = self.pools[rng.choice(len(self.pools), p=self.shares)]
        item = pool[rng.integers(len(pool))]
        ids = item.object_ids
        object_id = int(ids[rng.integers(len(ids))])
        gt = item.objects == object_id
        instances = item.objects if len(ids) > 1 else None
        clicks = sample_training_clicks(gt, instances, rng=rng, ignore=item.ignore)
        if rng.random() < P_SINGLE:
            # The paper's sets always hold 2-5 positives and several negatives, so a network
            # trained on them alone has never seen a lone first click, where every session starts.
            clicks = clicks[:1]
        ex = Example(item, object_id, gt, clicks, flips=(bool(rng.random() < 0.5), item.microscopy and bool(rng.random() < 0.5)))
        if len(ids) == 1 and rng.random() < P_DROP_ALL:
            ex.drop = "all"
        elif rng.random() < P_DROP_ONE:
            ex.drop = "pos" if rng.random() < 0.5 else "neg"
        if len(clicks) > 1 and rng.random() >= P_FULL_VIEW:
            # A framed zoom only with several clicks, standing in for the zoom on a previous
            # prediction; a lone first click is seen on the whole image, as at inference: framed
            # around the true object, the window itself would tell the network the object's extent.
            ex.window = self._zoom_window(gt)
        return ex

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

    def window_for(self, ex: Example) -> Window:
        """The window of an example: its own, or the inference policy's first-click view."""
        clicks = [] if ex.drop == "all" else ex.clicks
        return ex.window or choose_window(ex.gt.shape, clicks, None, self.config)

    def inputs(self, ex: Example) -> tuple[np.ndarray, np.ndarray]:
        """Network input ``(3 + G, S, S)`` and target ``(S, S)`` (0/1, 255 = ignore) of an example."""
        cfg, item = self.config, ex.item
        clicks = [] if ex.drop == "all" else ex.clicks
        window = self.window_for(ex)
        previous = ex.previous if "previous_mask" in cfg.guidance else None
        x, maps = network_input(item.image.astype(np.float32) / 255, item.structure, clicks, previous, window, cfg)
        if ex.drop in ("pos", "neg"):
            for i, name in enumerate(maps):
                if name.endswith(("_" + ex.drop, "_" + ex.drop + "_scaled")):
                    x[3 + i] = 1.0  # the no-click value, 255 / 255
        rows, cols = window.grid(cfg.input_size)
        target = np.full((rows.size, cols.size), 255, dtype=np.int64)
        h, w = ex.gt.shape
        r_in, c_in = (rows >= 0) & (rows < h), (cols >= 0) & (cols < w)
        sub = np.ix_(rows[r_in], cols[c_in])
        inner = ex.gt[sub].astype(np.int64)
        if item.ignore is not None:
            inner[item.ignore[sub]] = 255
        target[np.ix_(r_in, c_in)] = inner
        target[~r_in] = 0  # past the border is background, not unknown
        target[:, ~c_in] = 0
        if ex.flips[0]:
            x, target = x[:, :, ::-1], target[:, ::-1]
        if ex.flips[1]:
            x, target = x[:, ::-1], target[::-1]
        return np.ascontiguousarray(x), np.ascontiguousarray(target)
