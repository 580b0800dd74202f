"""Model configuration: everything needed to rebuild a network and feed it like in training."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..guidance import CHANNELS

__all__ = ["ModelConfig", "GUIDANCE_PRESETS"]

#: Input channel sets of the paper's ablation (Table 1), plus scale-aware variants (Sec. 3.3).
GUIDANCE_PRESETS: dict[str, tuple[str, ...]] = {
    "euclidean": ("euclidean_pos", "euclidean_neg"),  # iFCN baseline, Eq. 1
    "sp": ("superpixel_pos", "superpixel_neg"),
    "sp+obj": ("superpixel_pos", "superpixel_neg", "object"),
    "sp+obj+iter": ("superpixel_pos", "superpixel_neg", "object", "previous_mask"),
    "sp+obj+iter+scale": ("superpixel_pos_scaled", "superpixel_neg_scaled", "object_scaled", "previous_mask"),
    # beyond the paper: Eq. 3 counts only the proposals that hold no negative click
    "sp+obj+iter+unrefuted": ("superpixel_pos", "superpixel_neg", "object_unrefuted", "previous_mask"),
    # beyond the paper: the previous mask as a step instead of a distance ramp
    "sp+obj+iter+binary": ("superpixel_pos", "superpixel_neg", "object", "previous_mask_binary"),
}


@dataclass
class ModelConfig:
    """How a network is built and how its input is prepared.

    Attributes
    ----------
    arch : {"compact", "fcn8s"}
        `CompactFCN` (CPU default) or the paper's `FCN8s`.
    guidance : tuple of str
        Guidance channels after the 3 image channels, names of
        `napari_cag.guidance.CHANNELS`.
    width : int
        `CompactFCN` width.
    stride : int
        `FCN8s` output stride (32, 16 or 8).
    input_size : int
        Side of the square network input; the window around the object is
        resampled to it.
    n_segments : int
        Superpixels per image for the structure.
    max_superpixel_area : int
        Images so large that `n_segments` superpixels would each exceed this
        many pixels get more (``H * W / max_superpixel_area``), so that small
        objects such as nuclei in big micrographs keep their own superpixels.
    zoom_expand : float
        The window around the previous mask and the positive clicks is this
        much larger than their bounding box.
    min_window : int
        Smallest window side in image pixels.
    f, f1, f2 : float
        Scale-aware guidance factors (Eq. 4, 5).
    iterative : bool
        Trained with iterative error clicks and the previous-mask channel.
    auto_zoom : bool
        After a first click seen on the whole image: when nothing was found
        at the click, look again 4x closer (twice at most); when the object
        came out at most half the window's size, look again at it.
    object_bias : float
        Added to the object logit before the softmax, so that ``prob > 0.5``
        is the network's own ``prob > sigmoid(-object_bias)``: a decision
        threshold chosen on held-out training images (``napari-cag
        calibrate``). Cross-entropy makes probabilities, not masks; where an
        object's edge is uncertain, a threshold under 0.5 can give the higher
        IoU. It shifts every probability the pipeline uses (first-view
        search, zoom, refinement, click correction), not only the final
        threshold. 0 keeps the network's 0.5. Adapting a model keeps its
        bias; calibrate again on the new data if it matters.
    view_selector : dict or None
        A first-view selector fitted to this network (`napari_cag.viewselect`):
        every candidate view is run and the best-scored kept, instead of the
        framing rule of `napari_cag.firstview`. None keeps the rule.
        Adapting a model keeps it; training builds a new configuration
        without one.
    erase_refuted : bool
        The previous mask the network reads comes with the newest negative
        click's part erased (`napari_cag.refine.erase_refuted`), in training
        and at inference; False feeds it as it was.
    later_mix : dict or None
        A second network mixed into the later clicks: ``{"weights": FILE,
        "share": S}``. Once the object has a mask, each click's probability
        is ``(1 - S)`` x this network's plus ``S`` x FILE's, on the same
        window, each network fed its own guidance channels (computed once,
        with this configuration's scale factors; FILE must share the
        superpixel settings, `input_size` and `erase_refuted`); the first
        click and its views are this network's alone. A relative FILE is one
        of the package's weights files. None: this network alone.
    meta : dict
        Free-form provenance: training data, steps, measured accuracy.
    """

    arch: str = "compact"
    guidance: tuple[str, ...] = GUIDANCE_PRESETS["sp+obj+iter"]
    width: int = 32
    stride: int = 8
    input_size: int = 160
    n_segments: int = 1000
    max_superpixel_area: int = 400
    zoom_expand: float = 1.4
    min_window: int = 48
    f: float = 1.0
    f1: float = 0.0
    f2: float = 3.0
    iterative: bool = True
    auto_zoom: bool = True
    object_bias: float = 0.0
    view_selector: dict | None = None
    erase_refuted: bool = False
    later_mix: dict | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.guidance = tuple(self.guidance)
        unknown = [g for g in self.guidance if g not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown guidance channels {unknown}; expected names from {list(CHANNELS)}")
        if self.arch not in ("compact", "fcn8s"):
            raise ValueError(f"arch must be 'compact' or 'fcn8s', got {self.arch!r}")
        if self.input_size % 32:
            raise ValueError(f"input_size must be a multiple of 32, got {self.input_size}")
        if self.later_mix is not None:
            if set(self.later_mix) != {"weights", "share"} or not 0 < float(self.later_mix["share"]) <= 1:
                raise ValueError(f"later_mix must be {{'weights': FILE, 'share': S}} with 0 < S <= 1, "
                                 f"got {self.later_mix!r}")
        if self.max_superpixel_area < 1:
            raise ValueError(f"max_superpixel_area must be a positive number of pixels, got {self.max_superpixel_area}")

    @property
    def in_channels(self) -> int:
        """Network input channels: 3 image + guidance."""
        return 3 + len(self.guidance)

    @property
    def reads_previous_mask(self) -> bool:
        """Whether a guidance channel shows the previous mask (as a distance map or as a step)."""
        return any(name.startswith("previous_mask") for name in self.guidance)

    def n_segments_for(self, shape: tuple[int, int]) -> int:
        """Superpixel count for an image of this shape (see `max_superpixel_area`)."""
        return max(self.n_segments, round(shape[0] * shape[1] / self.max_superpixel_area))

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        d = dataclasses.asdict(self)
        d["guidance"] = list(self.guidance)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        """Inverse of `to_dict`; unknown keys are an error (a newer file format)."""
        names = {f.name for f in dataclasses.fields(cls)}
        extra = sorted(set(d) - names)
        if extra:
            raise ValueError(f"unknown model configuration keys {extra}")
        return cls(**d)
