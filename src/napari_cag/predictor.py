"""From clicks to a full-resolution mask: window, network input, network, paste-back.

The network always sees a square window resampled to ``input_size``: the
whole image before there is a prediction, then a zoom on the previous mask and
the positive clicks (``zoom_expand`` times their bounding box). The same
window policy is used in training, so the network sees at inference what it
learned on. Guidance maps are evaluated only at the window's sample points
(`napari_cag.guidance.guidance_maps` with ``grid=``), with distances scaled
to the window (255 = one window side), so a click costs about the same on a
small and on a large image.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from .clicks import Click, as_clicks
from .guidance import MAX_VALUE, estimate_scale, guidance_maps
from .image import mask_box
from .model import ModelConfig, load_model
from .domain import check_refine, image_domain, resolve_refine
from .firstview import candidate_windows, framing_choice, inner_borders, object_extent, searched
from .refine import RefineSettings, erase_refuted, graph_cut, keep_clicked_lobe, keep_unclaimed, respect_clicks
from .refine.clicks import INSIDE, OUTSIDE
from .structure import ImageStructure
from .viewselect import SMALLEST_VIEW, ViewAnswer, score_views, view_features

__all__ = ["Window", "DEFAULT_WEIGHTS", "SHIPPED", "choose_window", "network_input", "object_probability",
           "Predictor", "select_device", "three_channels"]

WEIGHTS_DIR = Path(__file__).parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "cag_default.safetensors"  # the first model, for every kind of image
#: The shipped models by domain; ``model="auto"`` picks one per image (`napari_cag.domain.image_domain`).
#: Each has a model card beside it (``<name>.md``); both were fine-tuned from `DEFAULT_WEIGHTS`, which
#: stays in the package as the previous model (docs/RESULTS.md compares them).
SHIPPED = {"microscopy": WEIGHTS_DIR / "microscopy.safetensors", "natural": WEIGHTS_DIR / "natural.safetensors"}
IMAGE_MEAN, IMAGE_STD = 0.45, 0.25


@dataclass(frozen=True)
class Window:
    """A square window of the image, possibly reaching past its borders."""

    y0: int
    x0: int
    side: int

    def grid(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Pixel rows and columns of the ``size x size`` sample points (cell centres)."""
        offsets = np.floor((np.arange(size) + 0.5) * self.side / size).astype(np.int64)
        return self.y0 + offsets, self.x0 + offsets


def select_device(device: str | torch.device | None = None) -> torch.device:
    """The given device, or the best available: CUDA, then Apple MPS, then CPU."""
    if device not in (None, "auto"):
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def choose_window(
    shape: Sequence[int], clicks: Iterable[Click], previous_mask: np.ndarray | None, config: ModelConfig
) -> Window:
    """The window the network sees next (see the module docstring)."""
    h, w = shape[:2]
    points = [c.pixel for c in as_clicks(clicks) if c.positive]
    box = mask_box(previous_mask) if previous_mask is not None else None
    if box is not None:
        points += [box[:2], box[2:]]
    if box is None or not points:
        side = max(h, w)
        return Window((h - side) // 2, (w - side) // 2, side)
    pts = np.array(points)
    (r0, c0), (r1, c1) = pts.min(axis=0), pts.max(axis=0)
    side = int(round(max(r1 - r0 + 1, c1 - c0 + 1) * config.zoom_expand))
    side = max(side, config.min_window)
    return Window(int(round((r0 + r1 + 1 - side) / 2)), int(round((c0 + c1 + 1 - side) / 2)), side)


def three_channels(normalized: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` normalized image -> ``(H, W, 3)``: gray is repeated, two channels
    get their mean as the third, more than three keep the first three."""
    c = normalized.shape[2]
    if c == 1:
        return np.repeat(normalized, 3, axis=2)
    if c == 2:
        return np.concatenate([normalized, normalized.mean(axis=2, keepdims=True)], axis=2)
    return normalized[..., :3]


def _window_image(image: np.ndarray, window: Window, size: int) -> np.ndarray:
    """The window of an ``(H, W, 3)`` image, zero-padded past the borders, resampled to ``(3, size, size)``."""
    h, w = image.shape[:2]
    y0, x0, side = window.y0, window.x0, window.side
    crop = np.zeros((side, side, 3), dtype=np.float32)
    ys, xs = slice(max(y0, 0), min(y0 + side, h)), slice(max(x0, 0), min(x0 + side, w))
    crop[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0] = image[ys, xs]
    if side > size:  # OpenCV's area averaging: a fifth of the time of torch's on a 1,500-px window
        return np.ascontiguousarray(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA).transpose(2, 0, 1))
    t = torch.from_numpy(crop).permute(2, 0, 1)[None]
    return F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)[0].numpy()


def network_input(
    image: np.ndarray,
    structure: ImageStructure,
    clicks: Iterable[Click],
    previous_mask: np.ndarray | None,
    window: Window,
    config: ModelConfig,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The network's input for one window.

    Parameters
    ----------
    image : (H, W, 3) float32 ndarray
        Normalized image in ``[0, 1]`` (`three_channels` of `normalize_image`).
    structure : ImageStructure
        The image's structure.
    clicks : iterable of Click
        All clicks so far.
    previous_mask : (H, W) bool ndarray or None
        The last prediction (with `config.erase_refuted`, cut where the newest click refutes it).
    window : Window
        From `choose_window`.
    config : ModelConfig
        Which guidance channels, input size and scale factors.

    Returns
    -------
    x : (3 + G, S, S) float32 ndarray
        Standardized image channels, then guidance maps divided by 255.
    maps : dict of str to (S, S) float32 ndarray
        The guidance maps as fed (on the [0, 255] scale), for display.
    """
    clicks = as_clicks(clicks)
    size = config.input_size
    if config.erase_refuted:
        previous_mask = erase_refuted(previous_mask, clicks, image)
    maps = guidance_maps(
        structure, clicks, names=config.guidance, previous_mask=previous_mask, scale=estimate_scale(clicks),
        f=config.f, f1=config.f1, f2=config.f2, max_distance=float(window.side), grid=window.grid(size),
    )
    img = (_window_image(image, window, size) - IMAGE_MEAN) / IMAGE_STD
    x = np.concatenate([img, np.stack(list(maps.values())) / MAX_VALUE]) if maps else img
    return x.astype(np.float32), maps


def object_probability(logits: torch.Tensor, config: ModelConfig) -> torch.Tensor:
    """``(B, 2, S, S)`` logits -> ``(B, S, S)`` object probability, with the model's `object_bias`."""
    logits = logits.float()
    return torch.sigmoid(logits[:, 1] - logits[:, 0] + config.object_bias)


def paste_back(prob: torch.Tensor, window: Window, shape: Sequence[int]) -> np.ndarray:
    """Resample an ``(S, S)`` object probability to the window and cut it into an ``(H, W)`` map."""
    h, w = shape[:2]
    y0, x0, side = window.y0, window.x0, window.side
    full = F.interpolate(prob[None, None], size=(side, side), mode="bilinear", align_corners=False)[0, 0]
    out = np.zeros((h, w), dtype=np.float32)
    ys, xs = slice(max(y0, 0), min(y0 + side, h)), slice(max(x0, 0), min(x0 + side, w))
    out[ys, xs] = full[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0].cpu().numpy()
    return out


class Predictor:
    """A trained network with its input pipeline.

    Parameters
    ----------
    model : "auto", "microscopy", "natural", path, (module, ModelConfig) or None
        ``"auto"`` (or None): the shipped model of each image's domain
        (`SHIPPED`, `napari_cag.domain.image_domain`: grey, dark-background
        and stained images are microscopy); a shipped model by name; a
        ``.safetensors`` file saved by `napari_cag.model.save_model`; an
        in-memory network with its configuration; or what `napari_cag.adapt`
        returns.
    device : str, optional
        ``"cpu"``, ``"cuda"``, ``"mps"``; default: the best available.
    respect_clicks : bool
        Correct the network's output where it contradicts a click
        (`napari_cag.refine.respect_clicks`); False gives the raw network.
    refine : {"auto", "natural", "microscopy", "none"} or RefineSettings
        The full-resolution graph cut after the network
        (`napari_cag.refine.graph_cut`): ``"auto"`` picks the settings of the
        image's domain (`napari_cag.domain.image_domain`), ``"none"`` keeps
        the network's mask.
    first_view : {"auto", "search", "rule", "whole"}
        How a first click is seen (when the model's ``auto_zoom`` is on):
        ``"search"`` runs several views and keeps one: with the model's view
        selector (`napari_cag.viewselect`; the shipped ``microscopy`` model
        has one) the best-scored of all, else the best-framed, run smallest
        first until a larger one can only frame the object worse
        (`napari_cag.firstview`); ``"rule"`` is that framing rule even for a
        model with a selector (a first click several times cheaper on a
        large image: docs/RESULTS.md); ``"whole"`` is the previous pipeline (the
        whole image, 4x closer when nothing is found, then a zoom);
        ``"auto"`` searches on microscopy and takes the whole image for a
        photograph (`napari_cag.domain`).
    threads : int, optional
        Torch threads for one prediction on the CPU (default 1: with another
        process keeping a core busy, a second thread made clicks up to 2x
        slower on a 2-core CPU; docs/RESULTS.md). The process's own setting
        is restored after each prediction.
    """

    def __init__(self, model=None, device: str | None = None, respect_clicks: bool = True,
                 refine: str | RefineSettings = "auto", first_view: str = "auto", threads: int | None = 1):
        self.device = select_device(device)
        self.respect_clicks = respect_clicks
        self.refine = check_refine(refine)
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be a positive number or None, got {threads}")
        self.threads = threads
        if first_view not in ("auto", "search", "rule", "whole"):
            raise ValueError(f"first_view must be 'auto', 'search', 'rule' or 'whole', got {first_view!r}")
        self.first_view = first_view
        self._models: dict[str, tuple] = {}
        self._later: dict[Path, tuple] = {}  # `ModelConfig.later_mix` networks, by file
        self._overrides: dict = {}  # `update_config`'s changes, for the models of every domain
        # One prediction at a time: in "auto" mode a prediction switches the network, so two threads
        # sharing a predictor (the widget's clicks and its propagation) must not interleave.
        self._lock = threading.RLock()
        self.domain: str | None = None  # in "auto" mode: the domain whose model is in use
        self._judged: tuple[np.ndarray, str] | None = None  # the last image judged, and its domain
        self.auto = model is None or (isinstance(model, str) and model == "auto")
        if self.auto:
            self._use("microscopy")
        elif isinstance(model, str) and model in SHIPPED:
            self.net, self.config = load_model(SHIPPED[model], self.device)
        elif isinstance(model, (str, Path)):
            if not Path(model).is_file():
                raise FileNotFoundError(f"model {str(model)!r} not found: neither a shipped model "
                                        f"({', '.join(['auto', *SHIPPED])}) nor a weights file")
            self.net, self.config = load_model(model, self.device)
        else:
            # (module, ModelConfig), or what has both (an `napari_cag.adaptation.Adaptation`)
            net, self.config = (model.net, model.config) if hasattr(model, "config") else model
            self.net = net.to(self.device).eval()

    def _use(self, domain: str) -> None:
        """In ``"auto"`` mode: switch to the shipped model of `domain` (loaded once)."""
        if self.domain == domain:
            return
        if self.domain is not None:
            self._models[self.domain] = (self.net, self.config)  # keeps a config set by the caller
        if domain not in self._models:
            net, config = load_model(SHIPPED[domain], self.device)
            self._models[domain] = net, replace(config, **self._overrides)
        self.net, self.config = self._models[domain]
        self.domain = domain

    def update_config(self, **changes) -> None:
        """Change settings of the model's configuration (e.g. the scale factors ``f`` and ``f2``) between
        predictions: in ``"auto"`` mode for the model of every domain, loaded now or later."""
        with self._lock:
            self.config = replace(self.config, **changes)
            if self.auto:
                self._overrides.update(changes)
                self._models = {d: (net, replace(c, **changes)) for d, (net, c) in self._models.items()}

    def config_for(self, image: np.ndarray) -> ModelConfig:
        """The configuration of the model that will segment `image` (normalized, as `predict` takes it).

        In ``"auto"`` mode that is the model of the image's domain, whose superpixel settings the image's
        structure must follow (the shipped models differ there); otherwise the one model's.
        """
        with self._lock:
            if self.auto:
                self._use(self._domain_of(image))
            return self.config

    def _domain_of(self, image: np.ndarray) -> str:
        """`image_domain` of `image`, judged once for the same array: a session passes one image to every
        click, and the rule costs 9 ms on a 512² photograph, a tenth of a later click. (The array is kept,
        so an identical object is the same image; one changed in place keeps its first judgement, as its
        structure does.)"""
        if self._judged is None or self._judged[0] is not image:
            self._judged = image, image_domain(image)
        return self._judged[1]

    def predict(
        self,
        image: np.ndarray,
        structure: ImageStructure,
        clicks: Iterable[Click],
        previous_mask: np.ndarray | None = None,
        refine: str | RefineSettings | None = None,
        keep_previous: bool = True,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Object probability at full resolution, and the guidance maps fed.

        Parameters
        ----------
        image : (H, W, 3) float32 ndarray
            Normalized image (`three_channels` of `normalize_image`).
        structure : ImageStructure
            Its structure.
        clicks : iterable of Click
            All clicks so far.
        previous_mask : (H, W) bool ndarray, optional
            The last prediction (used for the window and, when the model was
            trained iteratively, as an input channel).
        refine : str or RefineSettings, optional
            Overrides the predictor's `refine` for this call.
        keep_previous : bool
            `previous_mask` is this object's last answer on this image, so a
            newest negative click takes from it only what it claims
            (`napari_cag.refine.keep_unclaimed`, with the refinement). False
            for a mask carried over from elsewhere (another slice).

        Returns
        -------
        prob : (H, W) float32 ndarray
            Object probability; threshold at 0.5 for the mask. Where the
            refinement or the click correction changed the network's mask,
            pixels are set to 0.75 (object) or 0.25 (background).
        maps : dict of str to (S, S) ndarray
            The guidance channels in the network's window.
        """
        with self._lock:
            return self._predict(image, structure, clicks, previous_mask, refine, keep_previous)

    def _predict(self, image, structure, clicks, previous_mask, refine, keep_previous):
        clicks = as_clicks(clicks)
        with torch_threads(self.threads if self.device.type == "cpu" else None), torch.no_grad():
            first = next((c for c in clicks if c.positive), None)
            fresh = previous_mask is None or not previous_mask.any()
            refine = self.refine if refine is None else check_refine(refine)
            first_click = self.config.auto_zoom and first is not None and fresh
            auto = (isinstance(refine, str) and refine == "auto") or (first_click and self.first_view == "auto")
            domain = self._domain_of(image) if auto or self.auto else None
            if self.auto:
                self._use(domain)
            if first_click:
                policy = self.first_view
                if policy == "auto":
                    policy = "search" if domain == "microscopy" else "whole"
                view = self._first_view if policy in ("search", "rule") else self._whole_view
                prob, maps = view(image, structure, clicks, first)
            else:
                window = choose_window(image.shape, clicks, previous_mask, self.config)
                if self.config.later_mix and not fresh:
                    prob, maps = self._mixed_pass(image, structure, clicks, previous_mask, window)
                else:
                    prob, maps = self._pass(image, structure, clicks, previous_mask, [window])[0]
        settings = resolve_refine(domain if refine == "auto" else refine, image)
        prob = finish(prob, image, structure, clicks, settings, previous_mask if keep_previous else None,
                      self.respect_clicks)
        return prob, maps

    def _first_view(self, image, structure, clicks, first):
        """A first click: the best-framed of several views, smallest first (`napari_cag.firstview`), then
        a zoom on it; with a view selector, every view's zoomed answer, scored (`napari_cag.viewselect`)."""
        if self.config.view_selector is not None and self.first_view != "rule":
            return self._selected_view(image, structure, clicks, first)
        windows = candidate_windows(image.shape, first, self.config.min_window)
        expand = self.config.zoom_expand
        results = {}

        def look(i):
            window = windows[i]
            results[i] = self._pass(image, structure, clicks, None, [window], paste=False)[0]
            return object_extent(results[i][0].cpu().numpy(), *self._click_in(first, window),
                                 inner_borders(window, image.shape))

        best = framing_choice(searched(look, expand, range(len(windows))), [w.side for w in windows], expand)
        if best not in results:
            look(best)
        window, (small, maps) = windows[best], results[best]
        return self._zoom(image, structure, clicks, paste_back(small, window, image.shape), maps, window)

    def _click_in(self, click, window):
        """A click in a window's input pixels."""
        size = self.config.input_size
        return int((click.pixel[0] - window.y0) * size / window.side), int((click.pixel[1] - window.x0) * size / window.side)

    @torch.no_grad()
    def first_views(self, image, structure, clicks, first):
        """Every candidate first view down to `SMALLEST_VIEW` px, zoomed on: ``(answers, maps, features)``
        (`napari_cag.viewselect`; what the selector scores, and what fitting it records)."""
        config = self.config
        windows = candidate_windows(image.shape, first, min(SMALLEST_VIEW, config.min_window))
        passes = self._pass(image, structure, clicks, None, windows, paste=False)
        answers, maps, zooms = [], [], []
        for i, (window, (small, view_maps)) in enumerate(zip(windows, passes)):
            row, col = self._click_in(first, window)
            prob = small.cpu().numpy()
            extent, whole = object_extent(prob, row, col, inner_borders(window, image.shape))
            coarse = paste_back(small, window, image.shape)
            answers.append(ViewAnswer(window.side, extent, whole, prob, row, col, coarse > 0.5, coarse))
            maps.append(view_maps)
            zoom = self._zoom_window(image.shape, clicks, answers[-1].mask, window)
            if zoom is not None:
                zooms.append((i, zoom))
        if zooms:  # the zooms on every view's answer, in one batch
            looks = self._pass(image, structure, clicks, [answers[i].mask for i, _ in zooms], [z for _, z in zooms])
            for (i, _), (prob, zoom_maps) in zip(zooms, looks):
                answers[i].zoomed, maps[i] = prob, zoom_maps
        seen = [(a.extent, a.whole) for a in answers]
        sides = [w.side for w in windows]
        big = [i for i, s in enumerate(sides) if s >= config.min_window]
        rule = framing_choice(searched(seen.__getitem__, config.zoom_expand, big), sides, config.zoom_expand)
        rule_all = framing_choice(searched(seen.__getitem__, config.zoom_expand, range(len(windows))), sides,
                                  config.zoom_expand)
        features = view_features(answers, image, rule, rule_all, config.zoom_expand, config.min_window)
        return answers, maps, features

    def _selected_view(self, image, structure, clicks, first):
        answers, maps, features = self.first_views(image, structure, clicks, first)
        best = self.selected(answers, features)
        return answers[best].zoomed, maps[best]

    def selected(self, answers, features) -> int:
        """The view the selector scores best among those that found an object at the click (else the first):
        an index into `first_views`' answers."""
        scores = score_views(self.config.view_selector, features)
        found = [i for i, a in enumerate(answers) if a.extent > 0]
        return max(found, key=lambda i: scores[i]) if found else 0

    def _whole_view(self, image, structure, clicks, first):
        """The previous first-click policy: the whole image; 4x closer (twice at most) when nothing
        is found at the click; then a zoom on what was found (RITM's zoom-in)."""
        window = choose_window(image.shape, clicks, None, self.config)
        prob, maps = self._pass(image, structure, clicks, None, [window])[0]
        r, c = first.pixel
        for _ in range(2):
            if (prob > 0.5)[r, c] or window.side // 4 < self.config.min_window:
                break
            side = window.side // 4
            window = Window(r - side // 2, c - side // 2, side)
            prob, maps = self._pass(image, structure, clicks, None, [window])[0]
        return self._zoom(image, structure, clicks, prob, maps, window)

    def _zoom(self, image, structure, clicks, prob, maps, window):
        """Look again at a first answer that came out at most half its window's size."""
        coarse = prob > 0.5
        zoom = self._zoom_window(image.shape, clicks, coarse, window)
        if zoom is not None:
            prob, maps = self._pass(image, structure, clicks, coarse, [zoom])[0]
        return prob, maps

    def _zoom_window(self, shape, clicks, coarse, window):
        """The zoom on a first answer (`_zoom`), or None where it came out larger than half its window."""
        zoom = choose_window(shape, clicks, coarse, self.config)
        return zoom if coarse.any() and zoom.side * 2 <= window.side else None

    def _later_model(self, weights: str) -> tuple:
        """``(net, config)`` of a `ModelConfig.later_mix` network, loaded once; a relative name is a
        shipped weights file."""
        path = Path(weights) if Path(weights).is_absolute() else WEIGHTS_DIR / weights
        if path not in self._later:
            net, config = load_model(path, self.device)
            shared = ("max_superpixel_area", "n_segments", "input_size", "erase_refuted")
            if any(name.endswith("_scaled") for name in config.guidance):  # its maps take this model's factors
                shared += ("f", "f1", "f2")
            if any(getattr(config, k) != getattr(self.config, k) for k in shared):
                raise ValueError(f"{path.name}, mixed into the later clicks, must share {', '.join(shared)} "
                                 "with the model it mixes into")
            self._later[path] = net, config
        return self._later[path]

    def _mixed_pass(self, image, structure, clicks, previous_mask, window):
        """A later click through both networks of `ModelConfig.later_mix`: ``(1 - S)`` x this network's
        probability + ``S`` x the other's. The guidance maps are computed once for both, with this model's
        settings (so `update_config`'s scale factors hold for both), and each network reads its own."""
        later, later_config = self._later_model(self.config.later_mix["weights"])
        share = float(self.config.later_mix["share"])
        both = replace(self.config, guidance=tuple(dict.fromkeys(self.config.guidance + later_config.guidance)))
        x, maps = network_input(image, structure, clicks, previous_mask, window, both)
        row = {name: 3 + i for i, name in enumerate(both.guidance)}
        probs = []
        for net, config in ((self.net, self.config), (later, later_config)):
            own = torch.from_numpy(x[[0, 1, 2, *(row[n] for n in config.guidance)]][None]).to(self.device)
            probs.append(object_probability(net(own.contiguous(memory_format=torch.channels_last)), config)[0])
        prob = (1 - share) * probs[0] + share * probs[1]  # mixed before the (linear) paste: one paste, not two
        return paste_back(prob, window, image.shape), {n: maps[n] for n in self.config.guidance}

    def _pass(self, image, structure, clicks, previous_mask, windows, paste=True):
        """The network on a batch of windows: ``[(prob, maps)]``, pasted back to the image or at input size.
        `previous_mask` is one mask for every window, or a list of one per window."""
        masks = previous_mask if isinstance(previous_mask, list) else [previous_mask] * len(windows)
        if not self.config.reads_previous_mask:
            masks = [None] * len(windows)
        inputs = [network_input(image, structure, clicks, m, w, self.config) for m, w in zip(masks, windows)]
        x = torch.from_numpy(np.stack([i[0] for i in inputs])).to(self.device)
        # channels last: the convolutions of a first click's batched views take 10-20 % less time on the CPU
        x = x.contiguous(memory_format=torch.channels_last)
        probs = object_probability(self.net(x).contiguous(), self.config)
        return [(paste_back(p, w, image.shape) if paste else p, i[1]) for p, w, i in zip(probs, windows, inputs)]


@contextmanager
def torch_threads(n: int | None):
    """Run the block with `n` torch intra-op threads, then restore the caller's setting."""
    if n is None or n == torch.get_num_threads():
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def finish(prob: np.ndarray, image: np.ndarray, structure: ImageStructure, clicks: Sequence[Click],
           settings: RefineSettings | None, previous: np.ndarray | None = None,
           correct: bool = True) -> np.ndarray:
    """The network's full-resolution probability made into the answer a user sees: the refinement's cut
    (`settings`, None for none), what a newest negative click does not claim given back from `previous`
    (this object's last answer; None when there is none), and the contradicted clicks applied (`correct`).
    Training's iterative rounds call it too, so that their error clicks answer the masks users get."""
    overruled = [c for c in clicks if not c.positive and prob[c.pixel] > 0.5]
    if settings is not None:
        mask = graph_cut(prob, image, clicks, settings)
        if settings.neck_ratio and previous is None and len(clicks) == 1 and clicks[0].positive:
            mask = keep_clicked_lobe(mask, clicks[0], settings.neck_ratio)
        prob = with_mask(prob, mask)
        if previous is not None:
            prob = keep_unclaimed(prob, previous, clicks, image)
    if correct:
        prob = respect_clicks(prob, clicks, image, structure, overruled=overruled)
    return prob


def with_mask(prob: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`prob` changed to agree with `mask`: flipped pixels get `INSIDE` (object) or `OUTSIDE` (background),
    the values the click correction gives."""
    out = prob.copy()
    out[mask & (prob <= 0.5)] = INSIDE
    out[~mask & (prob > 0.5)] = OUTSIDE
    return out
