"""Adapt a model to the user's own objects: a short fine-tune on the instances they committed.

The training recipe's simulated clicks and iterative rounds (`napari_cag.training`) run on the
user's label images for a few dozen steps. A share of the objects is held back first; the NoC
protocol runs on them with the base and the adapted model, and the adapted model is kept only if it
needed fewer clicks (or as many, with a better IoU curve). Otherwise the base model comes back
unchanged, and the `Adaptation` says so: adapting never makes the held-back objects worse.

Batch-norm statistics are recomputed on the user's objects at the end, which on its own moves a
model towards a new kind of image.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

__all__ = ["Adaptation", "adapt", "MIN_OBJECTS"]

MIN_OBJECTS = 5  # fewer objects than this cannot be split into training and held-back ones
MAX_HELD_BACK = 10  # the check runs the NoC protocol on at most this many objects, twice


@dataclass
class Adaptation:
    """What `adapt` returns.

    Attributes
    ----------
    net, config :
        The model to use: the adapted one, or the base model unchanged when adapting did not help
        (`adapted` is False). ``Predictor(adaptation)``, ``Session(image, model=adaptation)`` and
        ``segment(..., model=adaptation)`` take it as it is.
    adapted : bool
        Whether `net` is the fine-tuned copy.
    objects, held_back : int
        Objects trained on, and objects kept back for the check.
    steps : int
        Training steps run (fewer than asked when `seconds` or a cancel stopped it).
    seconds : float
        Wall time of the whole call, the check included.
    noc_before, noc_after : float
        Mean clicks to 85 % IoU on the held-back objects, with the base and the adapted model.
    reason : str
        Why the base model came back, if it did.
    """

    net: object
    config: object
    adapted: bool
    objects: int
    held_back: int
    steps: int
    seconds: float
    noc_before: float = float("nan")
    noc_after: float = float("nan")
    reason: str = ""
    curves: dict = field(default_factory=dict, repr=False)

    @property
    def message(self) -> str:
        """One line for a status bar."""
        if not self.held_back and self.adapted:
            return f"adapted on {self.objects} objects in {self.seconds:.0f} s (unchecked: no objects held back)"
        check = (f"on {self.held_back} held-back objects the clicks needed went from "
                 f"{self.noc_before:.1f} to {self.noc_after:.1f}")
        if self.adapted:
            return f"adapted on {self.objects} objects in {self.seconds:.0f} s; {check}"
        return f"kept the base model ({self.reason}); {check}" if self.reason != "cancelled" else \
            "adapting was cancelled; the base model is unchanged"

    def save(self, path: str | Path) -> Path:
        """Write the model (``.safetensors`` and its ``.json``), its provenance in ``meta``."""
        from .model import save_model

        return save_model(path, self.net, self.config)


def _as_lists(images, labels) -> tuple[list[np.ndarray], list[np.ndarray]]:
    from .image import validate_image

    images = list(images) if isinstance(images, (list, tuple)) else [images]
    labels = list(labels) if isinstance(labels, (list, tuple)) else [labels]
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} label images")
    out_i, out_l = [], []
    for k, (im, lab) in enumerate(zip(images, labels)):
        im, lab = validate_image(im), np.asarray(lab)
        if lab.ndim != 2:
            raise ValueError(f"label image {k} has shape {lab.shape}: pass one (H, W) label image per 2D image "
                             "(a list for the slices of a stack)")
        if lab.shape != im.shape[:2]:
            raise ValueError(f"label image {k} has shape {lab.shape}, its image {im.shape[:2]}")
        if lab.dtype == bool or not np.issubdtype(lab.dtype, np.integer):
            raise ValueError(f"label image {k} must hold integer object ids (0 = background, one id per "
                             f"object), got dtype {lab.dtype}")
        out_i.append(im)
        out_l.append(lab.astype(np.int32))
    return out_i, out_l


def _base(model, domain: str, device):
    """``(net, config)`` of the model to adapt; ``"auto"`` takes the shipped model of `domain` (with a
    predictor of its own: a caller's "auto" predictor is left on the model it uses)."""
    from .predictor import Predictor

    if getattr(model, "auto", False):
        model = "auto"
    if hasattr(model, "net") and hasattr(model, "config"):  # a Predictor or an Adaptation
        return model.net, model.config
    predictor = Predictor(model, device=device)
    if predictor.auto:
        predictor._use(domain)
    return predictor.net, predictor.config


def _decide(before: dict, after: dict) -> bool:
    """Whether the adapted model did better on the held-back objects: fewer clicks, or as many with a
    higher mean IoU over the clicks (a NaN, from no check at all, never counts as better)."""
    return (after["noc"], -after["auc"]) < (before["noc"], -before["auc"])


def adapt(
    model,
    images,
    labels,
    *,
    steps: int = 40,
    seconds: float | None = None,
    seed: int = 0,
    hold_back: float = 0.25,
    batch_size: int = 8,
    lr: float = 3e-4,
    max_rounds: int = 4,
    max_clicks: int = 10,
    check: bool = True,
    contrast_limits: tuple[float, float] | None = None,
    n_segments: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    device: str | None = None,
    threads: int | None = None,
) -> Adaptation:
    """Fine-tune a copy of `model` on instance labels of the user's images.

    Parameters
    ----------
    model : "auto", "microscopy", "natural", path, (module, ModelConfig), Predictor or Adaptation
        The base model (what `napari_cag.predictor.Predictor` accepts); ``"auto"`` takes the
        shipped model of the first image's domain.
    images : array or list of arrays
        ``(H, W)`` or ``(H, W, C)`` images.
    labels : int array or list of int arrays
        One ``(H, W)`` label image per image: 0 is background (or unlabelled), each other id one
        object. Unlabelled objects may stay in the background: only labelled ones are trained on.
    steps : int
        Training steps of `batch_size` simulated interactions (40 x 8 take about a minute on a
        2-core CPU at the default model size).
    seconds : float, optional
        Stop training after this long, whatever `steps` says (then the result depends on the
        machine's speed; with `steps` alone it depends only on `seed`).
    seed : int
        Seeds the held-back choice, the simulated clicks and the network's updates.
    hold_back : float
        Share of the objects (at least one, at most `MAX_HELD_BACK`) kept back to check the adapted model.
    lr, max_rounds : float, int
        Learning rate (AdamW, cosine decay) and the most error-click rounds per example.
    max_clicks : int
        Clicks per held-back object in the check (NoC@85 counts to this; 10 keeps the check to about
        10 s on a 1000² image where nothing reaches 85 %).
    check : bool
        Hold objects back and keep the adapted model only if it does better on them. False trains
        on every object and always returns the adapted model, unchecked.
    contrast_limits, n_segments :
        How the images are prepared, as for `napari_cag.Session` (default: percentiles, the model's
        superpixel count): pass what the clicks will use.
    progress : callable, optional
        ``progress(phase, done, total)`` with phase "structure", "train" or "check".
    cancel : callable, optional
        Polled between images, steps and checked objects; when it returns True the base model comes
        back unchanged.
    device : str, optional
        Default: the base model's own device (a network passed in is never moved).
    threads : int, optional
        Torch threads for training on a CPU (default: torch's setting).

    Returns
    -------
    Adaptation

    Raises
    ------
    ValueError
        With fewer than `MIN_OBJECTS` labelled objects, or labels that do not fit their images.
    """
    from .domain import image_domain
    from .evaluate import LabelledObject
    from .image import normalize_image
    from .predictor import Predictor, select_device, three_channels, torch_threads
    from .structure import compute_structure
    from .training.cache import CachedImage

    t0 = time.perf_counter()
    images, labels = _as_lists(images, labels)
    objects = [(k, int(i)) for k, lab in enumerate(labels) for i in np.unique(lab) if i != 0]
    if len(objects) < MIN_OBJECTS:
        raise ValueError(f"adapting needs at least {MIN_OBJECTS} labelled objects, got {len(objects)}")
    if not 0 < hold_back < 1:
        raise ValueError(f"hold_back must be between 0 and 1, got {hold_back}")
    if steps < 0 or batch_size < 1 or max_clicks < 1:
        raise ValueError(f"steps must be >= 0 and batch_size, max_clicks >= 1; got {steps}, {batch_size}, "
                         f"{max_clicks}")
    n_held = min(max(1, int(round(len(objects) * hold_back))), MAX_HELD_BACK, len(objects) - 1) if check else 0
    def prepared(image) -> np.ndarray:
        return three_channels(normalize_image(image, limits=contrast_limits))

    first = prepared(images[0])
    base_net, config = _base(model, image_domain(first), device)
    device = select_device(device) if device is not None else next(base_net.parameters()).device
    rng = np.random.default_rng(seed)
    held = {objects[k] for k in rng.choice(len(objects), size=n_held, replace=False)}
    report = progress or (lambda phase, done, total: None)
    stopped = cancel or (lambda: False)
    common = dict(objects=len(objects) - n_held, held_back=n_held)

    def cancelled(steps_run: int) -> Adaptation:
        return Adaptation(base_net, config, False, steps=steps_run, seconds=time.perf_counter() - t0,
                          reason="cancelled", **common)

    items, checks = [], []
    for k, (image, lab) in enumerate(zip(images, labels)):
        if stopped():
            return cancelled(0)
        report("structure", k, len(images))
        if not lab.any():
            continue
        norm = first if k == 0 else prepared(image)
        structure = compute_structure(norm, n_segments=n_segments or config.n_segments_for(lab.shape))
        train_ids = lab.copy()
        train_ids[np.isin(lab, [i for key, i in held if key == k])] = 0
        items.append(CachedImage(f"user/image{k}", (norm * 255).round().astype(np.uint8), structure, train_ids,
                                 None, image_domain(norm) == "microscopy"))
        checks += [(LabelledObject(k, image, lab, i), structure) for key, i in sorted(held) if key == k]
    report("structure", len(images), len(images))

    with torch_threads(threads if device.type == "cpu" else None):
        net, trained = _fine_tune(base_net, config, [it for it in items if it.object_ids.size], device,
                                  steps=steps, seconds=seconds, seed=seed, batch_size=batch_size, lr=lr,
                                  max_rounds=max_rounds, report=report, cancel=stopped)
    if stopped():
        return cancelled(trained)
    nothing = {"noc": float("nan"), "auc": float("nan"), "ious": []}
    before, after = nothing, nothing
    if check:
        def measure(candidate, offset: int) -> dict:
            return _check(Predictor((candidate, config), device=device), checks, max_clicks, contrast_limits,
                          report, offset, stopped)

        before, after = measure(base_net, 0), measure(net, len(checks))
        if stopped():
            return cancelled(trained)
    name = config.meta.get("name", "model")
    meta = {**config.meta, "name": name if name.endswith("-adapted") else f"{name}-adapted", "adapted_from": name,
            "objects": common["objects"], "held_back": n_held, "steps": trained, "batch_size": batch_size,
            "lr": lr, "max_rounds": max_rounds, "seed": seed,
            "held_back_noc@85": {"before": before["noc"], "after": after["noc"], "max_clicks": max_clicks}
            if check else None}
    result = Adaptation(net, dataclasses.replace(config, meta=meta), True, steps=trained,
                        seconds=time.perf_counter() - t0, noc_before=before["noc"], noc_after=after["noc"],
                        curves={"before": before["ious"], "after": after["ious"]}, **common)
    if check and not _decide(before, after):
        result.net, result.config, result.adapted = base_net, config, False
        result.reason = "adapting did not help on the held-back objects"
    return result


def _fine_tune(base_net, config, items, device, *, steps, seconds, seed, batch_size, lr, max_rounds, report,
               cancel):
    """A copy of `base_net` trained on `items`; returns it (eval mode) and the steps run."""
    import torch

    from .training.loop import TrainSettings, _shard, recalibrate_statistics
    from .training.loss import pixel_loss
    from .training.sampler import TrainingSampler

    settings = TrainSettings(steps=steps, batch_size=batch_size, lr=lr, max_iter_rounds=max_rounds, seed=seed)
    rng = np.random.default_rng([seed, 1])
    net = copy.deepcopy(base_net).to(device)
    sampler = TrainingSampler(items, config, rng)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    start, done = time.perf_counter(), 0
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        net.train()
        for done in range(1, steps + 1):
            if cancel() or (seconds is not None and time.perf_counter() - start > seconds):
                done -= 1
                break
            x, y, *_ = _shard(net, sampler, rng, settings, config, device)
            loss = pixel_loss("ce", net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            report("train", done, steps)
        if not cancel():
            recalibrate_statistics(net, sampler, 4, rng, settings, config, device)
    return net.eval(), done


def _check(predictor, checks: Sequence, max_clicks: int, limits, report, offset: int, stopped) -> dict:
    """NoC@85 and the mean IoU curve of the held-back objects with one model."""
    from .evaluate import run_protocol
    from .metrics import summarize
    from .session import Session

    total, ious = 2 * len(checks), []
    for k, (sample, structure) in enumerate(checks):
        if stopped():
            break
        report("check", offset + k, total)
        session = Session(sample.image, model=predictor, structure=structure, contrast_limits=limits)
        ious += [r.ious for r in run_protocol([sample], lambda s: session, max_clicks=max_clicks, stop_at=0.85)]
    report("check", offset + len(ious), total)
    s = summarize(ious, max_clicks=max_clicks) if ious else {"noc@85": float("nan"), "mean_iou": [float("nan")]}
    return {"noc": float(s["noc@85"]), "auc": float(np.mean(s["mean_iou"])), "ious": ious}
