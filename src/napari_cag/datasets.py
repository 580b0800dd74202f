"""Datasets for training and evaluation: four folder layouts, one `Sample` per object.

Layouts (sub-folders of the dataset root; see ``../shared/datasets/README.md``):

``"grabcut"``: ``data_GT/`` + ``boundary_GT/``
    GrabCut benchmark. ``data_GT/<stem>.{jpg,JPG,bmp}`` images,
    ``boundary_GT/<stem>.bmp`` masks: 0 background, 255 object, 128 ignore band.
``"img-gt"``: ``img/`` + ``gt/``
    One object per image (COCO MVal, DAVIS-345; stems may contain spaces).
    Grey masks (COCO MVal, 0/255): every non-zero pixel is the object.
    Palette masks (DAVIS, PIL mode "P"): every non-zero id is merged into one
    object (the f-BRS/RITM protocol), except 255, the ignore ("void") label.
``"images-labels"``: ``images/`` + ``labels/``
    Instance label images (e.g. DSB2018, uint16, 0 = background); each
    instance is a sample of its own.
``"images-masks"``: ``images/`` + ``masks/``
    Binary masks whose file names start with the image's stem, possibly
    several per image (e.g. ``cells_1.png``, ``cells_2.png`` for
    ``cells.png``); each mask is a sample.

Samples only hold paths: images and masks are read when a property is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, NamedTuple, Sequence

import numpy as np
from PIL import Image

from .splits import HOLDOUT, held_out_stems

__all__ = [
    "LAYOUTS", "Sample", "LoadedSample", "detect_layout", "load_dataset",
    "read_image", "read_mask", "instance_masks", "labels_from_masks",
]

LAYOUTS = {
    "grabcut": ("data_GT", "boundary_GT"),
    "img-gt": ("img", "gt"),
    "images-labels": ("images", "labels"),
    "images-masks": ("images", "masks"),
}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
GRABCUT_OBJECT, GRABCUT_IGNORE = 255, 128
VOID = 255  # DAVIS "void" label


def _is_palette(path: Path) -> bool:
    if path.suffix.lower() in (".tif", ".tiff"):
        return False
    with Image.open(path) as im:
        return im.mode == "P"


def _read(path: Path) -> np.ndarray:
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        return tifffile.imread(path)
    with Image.open(path) as im:
        if im.mode == "CMYK":
            im = im.convert("RGB")
        # Palette ('P') images keep their indices, 16-bit ('I;16') stays uint16.
        return np.array(im)


def read_image(path) -> np.ndarray:
    """Read an image as ``(H, W)`` or ``(H, W, 3)`` ndarray (alpha dropped).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is not a 2D grey or colour image.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file {path} does not exist")
    a = _read(path)
    if a.ndim == 3 and a.shape[-1] in (2, 4):  # grey+alpha or RGBA: drop alpha
        a = a[..., :-1] if a.shape[-1] == 4 else a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] != 3):
        raise ValueError(f"{path} is not a 2D grey or RGB image, its array has shape {a.shape}")
    return a


def read_mask(path) -> np.ndarray:
    """Read a mask or label image as a 2D ndarray with its stored values.

    Palette PNGs keep their indices (not RGB); an RGB mask is reduced with the
    maximum over channels (as RITM does for colour DAVIS masks).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is not 2D.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mask file {path} does not exist")
    a = _read(path)
    if a.ndim == 3:
        a = a.max(axis=-1)
    if a.ndim != 2:
        raise ValueError(f"mask {path} must be 2D, its array has shape {a.shape}")
    return a


def instance_masks(labels) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(id, mask)`` for every non-zero id of a label image, in increasing id order.

    Parameters
    ----------
    labels : (H, W) int ndarray
        Instance label image, 0 = background.

    Yields
    ------
    id : int
    mask : (H, W) bool ndarray

    Raises
    ------
    ValueError, TypeError
        If ``labels`` is not a 2D integer array.

    Examples
    --------
    >>> [(i, int(m.sum())) for i, m in instance_masks(np.array([[0, 3], [3, 1]]))]
    [(1, 1), (3, 2)]
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"labels must be a 2D (H, W) label image, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must have an integer dtype, got {labels.dtype}")
    for i in np.unique(labels):
        if i != 0:
            yield int(i), labels == i


def labels_from_masks(masks: Sequence[np.ndarray]) -> np.ndarray:
    """Stack K binary masks into one label image; mask ``k`` gets id ``k + 1``.

    A pixel claimed by two masks keeps the first (as the DSB2018 packing did).

    Parameters
    ----------
    masks : sequence of (H, W) ndarray
        Masks, read as ``!= 0``.

    Returns
    -------
    (H, W) uint16 or int32 ndarray

    Raises
    ------
    ValueError
        If there are no masks or their shapes differ.

    Examples
    --------
    >>> labels_from_masks([np.array([[1, 1]]), np.array([[0, 1]])]).tolist()
    [[1, 1]]
    """
    if len(masks) == 0:
        raise ValueError("labels_from_masks needs at least one mask, got none")
    shape = np.shape(masks[0])
    out = np.zeros(shape, dtype=np.uint16 if len(masks) < 2**16 else np.int32)
    for k, m in enumerate(masks):
        m = np.asarray(m)
        if m.shape != shape:
            raise ValueError(f"mask {k} has shape {m.shape}, expected {shape} like mask 0")
        out[(m != 0) & (out == 0)] = k + 1
    return out


class LoadedSample(NamedTuple):
    """Arrays of one sample: ``image`` (H, W[, 3]), ``mask`` (H, W) bool,
    ``ignore`` (H, W) bool or None, ``instances`` (H, W) int or None."""

    image: np.ndarray
    mask: np.ndarray
    ignore: np.ndarray | None
    instances: np.ndarray | None


@dataclass(frozen=True)
class Sample:
    """One object to segment: paths only, arrays are read on access.

    Attributes
    ----------
    name : str
        Image stem, with ``#<id>`` (images-labels) or the mask stem
        (images-masks) when an image holds several objects.
    image_path, mask_path : Path
        The image and the mask / label file the object comes from.
    layout : str
        One of `LAYOUTS`.
    label : int or None
        The object's id in its label image (images-labels) or its 1-based
        index among its image's masks (images-masks).
    siblings : tuple of Path
        All mask files of the same image (images-masks), for ``instances``.

    Every property reads from disk again; use `load` to get all arrays at once.
    ``ignore`` is a (possibly all-False) array for "grabcut" and "img-gt"
    and None for the other layouts, which have no ignore label.
    """

    name: str
    image_path: Path
    mask_path: Path
    layout: str
    label: int | None = None
    siblings: tuple[Path, ...] = ()

    @property
    def image(self) -> np.ndarray:
        """(H, W) or (H, W, 3) image."""
        return read_image(self.image_path)

    @property
    def mask(self) -> np.ndarray:
        """(H, W) bool mask of the object."""
        return self._targets()[0]

    @property
    def ignore(self) -> np.ndarray | None:
        """(H, W) bool pixels to leave out of IoU, or None."""
        return self._targets()[1]

    @property
    def instances(self) -> np.ndarray | None:
        """(H, W) label image of all objects of the image (0 = background), or None."""
        return self._targets()[2]

    def load(self) -> LoadedSample:
        """Read image, mask, ignore and instances, each file once.

        Raises
        ------
        ValueError
            If the mask and image sizes differ.
        """
        image = self.image
        mask, ignore, instances = self._targets()
        if mask.shape != image.shape[:2]:
            raise ValueError(
                f"mask {self.mask_path} has shape {mask.shape} but image {self.image_path} "
                f"has (H, W) = {image.shape[:2]}"
            )
        return LoadedSample(image, mask, ignore, instances)

    def _targets(self):
        if self.layout == "grabcut":
            raw = read_mask(self.mask_path)
            return raw == GRABCUT_OBJECT, raw == GRABCUT_IGNORE, None
        if self.layout == "img-gt":
            raw = read_mask(self.mask_path)
            if not _is_palette(self.mask_path):  # grey 0/255: 255 is the object
                return raw != 0, np.zeros(raw.shape, bool), None
            return (raw != 0) & (raw != VOID), raw == VOID, None
        if self.layout == "images-labels":
            labels = read_mask(self.mask_path)
            return labels == self.label, None, labels
        labels = labels_from_masks([read_mask(p) for p in self.siblings])
        return labels == self.label, None, labels


def _files(folder: Path) -> dict[str, Path]:
    """Image files of a folder by stem (a .bmp wins over other copies of one stem)."""
    out: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
            if p.stem not in out or p.suffix.lower() == ".bmp":
                out[p.stem] = p
    return out


def detect_layout(root) -> str:
    """Name the layout of a dataset folder.

    Parameters
    ----------
    root : str or Path
        Dataset folder.

    Returns
    -------
    str
        A key of `LAYOUTS`: "grabcut", "img-gt", "images-labels" or "images-masks".

    Raises
    ------
    FileNotFoundError
        If ``root`` is not a folder.
    ValueError
        If it matches no layout, or more than one.

    Examples
    --------
    >>> detect_layout("../shared/datasets/grabcut")  # doctest: +SKIP
    'grabcut'
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset folder {root} does not exist")
    found = [name for name, subs in LAYOUTS.items() if all((root / s).is_dir() for s in subs)]
    if len(found) == 1:
        return found[0]
    expected = ", ".join(f"{a}/ + {b}/" for a, b in LAYOUTS.values())
    if not found:
        raise ValueError(f"{root} matches no dataset layout; expected sub-folders {expected}")
    raise ValueError(f"{root} matches several layouts {found}; pass layout= to load_dataset")


def _read_split(root: Path, split: str, stems=()) -> list[str]:
    path = root / split
    if not path.is_file() and (root / f"{split}.txt").is_file():
        path = root / f"{split}.txt"
    if split == HOLDOUT and not path.is_file():
        # the images `napari-cag train` held out of this set (of its train.txt where there is one)
        pool = _read_split(root, "train.txt") if (root / "train.txt").is_file() else sorted(stems)
        return held_out_stems(root.name, pool)
    if not path.is_file():
        have = sorted(p.name for p in root.glob("*.txt"))
        raise FileNotFoundError(f"split file {path} does not exist; {root} has {have}")
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _pairs(images: dict[str, Path], masks: dict[str, Path], img_dir: Path, mask_dir: Path):
    missing = sorted(set(images) - set(masks))
    if missing:
        raise ValueError(f"{len(missing)} image(s) in {img_dir} have no mask in {mask_dir}, e.g. {missing[0]!r}")
    orphans = sorted(set(masks) - set(images))
    if orphans:
        raise ValueError(f"{len(orphans)} mask(s) in {mask_dir} have no image in {img_dir}, e.g. {orphans[0]!r}")
    return [(s, images[s], masks[s]) for s in sorted(images)]


def load_dataset(
    root,
    *,
    split: str | None = None,
    max_instances: int | None = None,
    seed: int = 0,
    layout: str | None = None,
) -> list[Sample]:
    """List the objects of a dataset folder as lazily loaded `Sample` objects.

    Parameters
    ----------
    root : str or Path
        Dataset folder in one of the `LAYOUTS`.
    split : str, optional
        Name of a text file in ``root`` listing image stems one per line (e.g.
        "val.txt"; "val" also works). Only those images are used.
    max_instances : int, optional
        Keep a random subset of this many objects (drawn with ``seed``; the
        kept samples stay in dataset order).
    seed : int
        Seed of that subset.
    layout : str, optional
        Force a layout instead of `detect_layout`.

    Returns
    -------
    list of Sample
        Ordered by image stem, then instance id / mask name. Only label images
        (images-labels) and mask names are read here; images never are.

    Raises
    ------
    FileNotFoundError
        If ``root`` or the split file does not exist.
    ValueError
        If the folder matches no layout, an image has no mask (or a mask no
        image), a split names an unknown image, or an argument is out of range.

    Examples
    --------
    >>> samples = load_dataset("../shared/datasets/dsb2018", split="val.txt")  # doctest: +SKIP
    >>> len(samples), samples[0].mask.dtype  # doctest: +SKIP
    (4521, dtype('bool'))
    """
    root = Path(root)
    if layout is None:
        layout = detect_layout(root)
    elif layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {list(LAYOUTS)}, got {layout!r}")
    if max_instances is not None and (isinstance(max_instances, bool) or not isinstance(max_instances, int)
                                      or max_instances < 1):
        raise ValueError(f"max_instances must be a positive int or None, got {max_instances!r}")
    img_dir, mask_dir = (root / s for s in LAYOUTS[layout])
    images, masks = _files(img_dir), _files(mask_dir)
    if split is not None:
        stems = _read_split(root, split, images)
        unknown = [s for s in stems if s not in images]
        if unknown:
            raise ValueError(f"split {split!r} names {len(unknown)} image(s) missing from {img_dir}, "
                             f"e.g. {unknown[0]!r}")
        images = {s: images[s] for s in stems}

    samples: list[Sample] = []
    if layout in ("grabcut", "img-gt"):
        if split is not None:
            masks = {s: p for s, p in masks.items() if s in images}
        samples = [Sample(s, i, m, layout) for s, i, m in _pairs(images, masks, img_dir, mask_dir)]
    elif layout == "images-labels":
        if split is not None:
            masks = {s: p for s, p in masks.items() if s in images}
        for stem, img, lab in _pairs(images, masks, img_dir, mask_dir):
            labels = read_mask(lab)
            if not np.issubdtype(labels.dtype, np.integer):
                raise ValueError(f"label image {lab} must hold integers, got dtype {labels.dtype}")
            ids = np.unique(labels)
            samples += [Sample(f"{stem}#{i}", img, lab, layout, int(i)) for i in ids if i != 0]
    else:
        by_image: dict[str, list[Path]] = {s: [] for s in images}
        for mstem, path in masks.items():
            owners = [s for s in images if mstem.startswith(s)]
            if not owners:
                if split is not None:
                    continue  # a mask of an image outside the split
                raise ValueError(f"mask {path} starts with no image stem of {img_dir}")
            by_image[max(owners, key=len)].append(path)  # longest stem: "ab_1" goes to "ab", not "a"
        for stem in sorted(images):
            if not by_image[stem]:
                raise ValueError(f"image {images[stem]} has no mask in {mask_dir} (names starting with {stem!r})")
            sib = tuple(sorted(by_image[stem]))
            samples += [Sample(p.stem, images[stem], p, layout, k + 1, sib) for k, p in enumerate(sib)]

    if max_instances is not None and max_instances < len(samples):
        keep = np.random.default_rng(seed).choice(len(samples), size=max_instances, replace=False)
        samples = [samples[k] for k in np.sort(keep)]
    return samples
