"""Training cache: each training image with its structure, computed once and stored as ``.npz``."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..image import normalize_image
from ..model import ModelConfig
from ..predictor import three_channels
from ..proposals import RegionHierarchy
from ..splits import is_validation, split_validation
from ..structure import ImageStructure, compute_structure

__all__ = ["CachedImage", "build_cache", "cache_file", "load_cache", "is_validation", "split_validation"]

#: Superpixel settings of the caches made before the file name said them (1,000 per image, at most 400 px each);
#: their files keep the old name so that existing caches stay valid.
_LEGACY = (1000, 400)


@dataclass
class CachedImage:
    """One training image, ready for the sampler.

    Attributes
    ----------
    name : str
        ``<dataset>/<stem>``.
    image : (H, W, 3) uint8 ndarray
        Normalized image (`three_channels` of `normalize_image`) x 255.
    structure : ImageStructure
    objects : (H, W) int32 ndarray
        Object id per pixel, 0 = background; every id is one training object.
    ignore : (H, W) bool ndarray or None
        Pixels left out of the loss (DAVIS void).
    microscopy : bool
        Whether the image comes from a microscopy set (vertical flips allowed).
    """

    name: str
    image: np.ndarray
    structure: ImageStructure
    objects: np.ndarray
    ignore: np.ndarray | None
    microscopy: bool

    @property
    def object_ids(self) -> np.ndarray:
        """Ids of the objects, ascending."""
        ids = np.unique(self.objects)
        return ids[ids > 0]


def _save(path: Path, item: CachedImage) -> None:
    s = item.structure
    arrays = dict(
        image=item.image, objects=item.objects, superpixels=s.superpixels, centroids=s.centroids, areas=s.areas,
        ignore=item.ignore if item.ignore is not None else np.zeros((0, 0), bool),
    )
    for i, h in enumerate(s.hierarchies):
        arrays[f"h{i}_parents"], arrays[f"h{i}_areas"] = h.parents, h.areas
    meta = dict(name=item.name, microscopy=item.microscopy,
                hierarchies=[(h.name, h.n_leaves) for h in s.hierarchies])
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")  # torchrun ranks may cache at once
    np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(path)


def _load(path: Path) -> CachedImage:
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        trees = [RegionHierarchy(name, z[f"h{i}_parents"], z[f"h{i}_areas"], int(n))
                 for i, (name, n) in enumerate(meta["hierarchies"])]
        structure = ImageStructure(z["superpixels"], z["centroids"], z["areas"], trees)
        ignore = z["ignore"] if z["ignore"].size else None
        return CachedImage(meta["name"], z["image"], structure, z["objects"], ignore, meta["microscopy"])


def build_cache(
    images: Iterable[tuple[str, np.ndarray, np.ndarray, np.ndarray | None, bool]],
    out_dir: str | Path,
    config: ModelConfig,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Compute and store the structure of every training image (skipping those already cached).

    Parameters
    ----------
    images : iterable of (name, image, objects, ignore, microscopy)
        ``objects`` is an ``(H, W)`` int label image of the training objects.
    out_dir : path
        Cache folder; one ``.npz`` per image.
    config : ModelConfig
        Supplies the superpixel settings, so training sees what inference sees.
    progress : callable, optional
        Called with 1 after each image.

    Returns
    -------
    list of Path
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, image, objects, ignore, microscopy in images:
        path = out_dir / cache_file(name, config)
        if not path.exists():
            structure = compute_structure(image, n_segments=config.n_segments_for(image.shape[:2]))
            norm = three_channels(normalize_image(image))
            item = CachedImage(name, (norm * 255).round().astype(np.uint8), structure,
                               objects.astype(np.int32), ignore, microscopy)
            _save(path, item)
        paths.append(path)
        if progress:
            progress(1)
    return paths


def cache_file(name: str, config: ModelConfig) -> str:
    """The cache file of image `name` under `config`'s superpixel settings (one folder can hold several)."""
    settings = (config.n_segments, config.max_superpixel_area)
    key = name if settings == _LEGACY else f"{name}|superpixels {settings[0]}, at most {settings[1]} px"
    return hashlib.sha1(key.encode()).hexdigest()[:16] + ".npz"


def load_cache(paths: Iterable[str | Path]) -> list[CachedImage]:
    """Load cached images (all in memory: ~2 GB for the shipped training sets)."""
    return [_load(Path(p)) for p in paths]
