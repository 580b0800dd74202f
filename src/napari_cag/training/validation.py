"""Validation NoC during training, on images held out of the training sets (never an evaluation set)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..evaluate import run_protocol
from ..metrics import summarize
from ..model import ModelConfig
from .cache import CachedImage

__all__ = ["make_validator"]


@dataclass(frozen=True)
class _HeldOut:
    """Adapter giving a cached object the dataset-sample interface the protocol expects."""

    item: CachedImage
    object_id: int

    @property
    def name(self) -> str:
        return f"{self.item.name}#{self.object_id}"

    @property
    def image_path(self) -> str:
        return self.item.name

    @property
    def image(self) -> np.ndarray:
        return self.item.image

    def load(self):
        ignore = self.item.ignore
        return _Loaded(self.item.objects == self.object_id, ignore)


@dataclass(frozen=True)
class _Loaded:
    mask: np.ndarray
    ignore: np.ndarray | None


def make_validator(held_out: list[CachedImage], n_objects: int = 40, max_clicks: int = 20,
                   seed: int = 0) -> Callable:
    """A ``validate(net, config) -> dict`` for `napari_cag.training.loop.train`.

    Picks `n_objects` objects (seeded) from the held-out images, spread over
    natural and microscopy images, and runs the NoC protocol on them.
    """
    from ..predictor import Predictor
    from ..session import Session

    rng = np.random.default_rng(seed)
    objects = [(item, int(i)) for item in held_out for i in item.object_ids]
    chosen = sorted(rng.choice(len(objects), size=min(n_objects, len(objects)), replace=False)) if objects else []
    samples = [_HeldOut(*objects[k]) for k in chosen]

    def validate(net, config: ModelConfig) -> dict:
        predictor = Predictor((net, config), device=str(next(net.parameters()).device), respect_clicks=False)

        def session(sample: _HeldOut):
            return Session(sample.item.image, model=predictor, structure=sample.item.structure)

        results = run_protocol(samples, session, max_clicks=max_clicks, stop_at=0.9)
        figures = summarize([r.ious for r in results], max_clicks=max_clicks)
        return {"val_noc@85": figures["noc@85"], "val_noc@90": figures["noc@90"],
                "val_iou@1": float(figures["mean_iou"][0]), "val_objects": len(results)}

    return validate
