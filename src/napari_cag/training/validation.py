"""Validation NoC during training, on images held out of the training sets (never an evaluation set)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..evaluate import LabelledObject, run_protocol
from ..metrics import summarize
from ..model import ModelConfig
from .cache import CachedImage

__all__ = ["held_out_objects", "make_validator", "protocol_ious"]


def make_validator(held_out: list[CachedImage], n_objects: int = 40, max_clicks: int = 20,
                   seed: int = 0) -> Callable:
    """A ``validate(net, config) -> dict`` for `napari_cag.training.loop.train`.

    Picks `n_objects` objects (seeded) from the held-out images of each set
    and runs the NoC protocol on them through the full pipeline (first-view
    search, refinement by domain). The figures are given over all objects
    (``val_noc@85``) and per set (``val_noc@85/<set>``).
    """
    samples, items = held_out_objects(held_out, n_objects, seed)

    def validate(net, config: ModelConfig) -> dict:
        every, figures = [], {}
        for name, ious in protocol_ious(net, config, samples, items, max_clicks, stop_at=0.9).items():
            every += ious
            if len(samples) > 1:
                figures.update(_figures(ious, max_clicks, "/" + name))
        return {**_figures(every, max_clicks, ""), **figures}

    return validate


def held_out_objects(held_out: list[CachedImage], n_objects: int, seed: int = 0):
    """``({set: [LabelledObject]}, {image name: CachedImage})``: `n_objects` seeded objects per set."""
    rng = np.random.default_rng(seed)
    sets: dict[str, list[LabelledObject]] = {}
    items = {item.name: item for item in held_out}
    for item in held_out:
        sets.setdefault(item.name.split("/")[0], []).extend(
            LabelledObject(item.name, item.image, item.objects, int(i), item.ignore) for i in item.object_ids)
    samples = {}
    for name in sorted(sets):
        objects = sets[name]
        chosen = sorted(rng.choice(len(objects), size=min(n_objects, len(objects)), replace=False))
        samples[name] = [objects[k] for k in chosen]
    return samples, items


def protocol_ious(net, config: ModelConfig, samples: dict, items: dict, max_clicks: int,
                  stop_at: float | None) -> dict[str, list]:
    """The click protocol through the full pipeline on each set's objects: ``{set: [IoU curve]}``."""
    from ..predictor import Predictor
    from ..session import Session

    predictor = Predictor((net, config), device=str(next(net.parameters()).device), respect_clicks=False)

    def session(sample: LabelledObject):
        return Session(sample.image, model=predictor, structure=items[sample.image_path].structure)

    return {name: [r.ious for r in run_protocol(chosen, session, max_clicks=max_clicks, stop_at=stop_at)]
            for name, chosen in samples.items()}


def _figures(ious: list, max_clicks: int, suffix: str) -> dict:
    s = summarize(ious, max_clicks=max_clicks)
    return {f"val_noc@85{suffix}": s["noc@85"], f"val_noc@90{suffix}": s["noc@90"],
            f"val_iou@1{suffix}": float(s["mean_iou"][0]), f"val_objects{suffix}": len(ious)}
