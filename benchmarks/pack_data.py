"""Pack training sets into a small copy, for a machine that can take only so many megabytes.

Each set keeps its folder name and layout (``images/`` + ``labels/``), so its validation hold-out (a hash of
``<set>/<stem>``) is unchanged. Labels are copied byte for byte. Images are copied too, except in the sets
named with ``--jpeg``, which are re-encoded as JPEG (grey stays grey: a grey RGB image decodes to equal
channels). A ``set:split.txt`` spec packs only that split's images; only training splits belong here.
``--training-only`` leaves out the images a run would hold out for validation (the trainer then holds out
one more, its own rule's fallback), and ``--every SET=K`` keeps every K-th remaining image of a set.

    python benchmarks/pack_data.py runs/packed ../shared/datasets/dsb2018:train.txt ../shared/datasets/usiigaci \
        --jpeg dsb2018 --jpeg usiigaci --quality 95
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from napari_cag.datasets import IMAGE_SUFFIXES
from napari_cag.splits import held_out_stems


def chosen_stems(root: Path, split: str, training_only: bool, every: int) -> set[str]:
    """The image stems of a set to pack: the split's, less the held-out ones, every `every`-th."""
    stems = sorted(p.stem for p in (root / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if split:
        listed = {line.strip() for line in (root / split).read_text().splitlines() if line.strip()}
        stems = [s for s in stems if s in listed]
    if training_only:
        held = set(held_out_stems(root.name, stems))
        stems = [s for s in stems if s not in held]
    return set(stems[::every])


def pack(spec: str, out: Path, jpeg: bool, quality: int, training_only: bool = False, every: int = 1) -> int:
    """Copy one set (``folder`` or ``folder:split.txt``) into `out`; returns the bytes written."""
    folder, _, split = spec.partition(":")
    root = Path(folder)
    if not (root / "images").is_dir() or not (root / "labels").is_dir():
        raise SystemExit(f"{root} is not an images/ + labels/ set")
    dest = out / root.name
    (dest / "images").mkdir(parents=True, exist_ok=True)
    (dest / "labels").mkdir(parents=True, exist_ok=True)
    stems = chosen_stems(root, split, training_only, every)
    if split:
        (dest / split).write_text("".join(f"{s}\n" for s in sorted(stems)))
    written = 0
    for kind in ("images", "labels"):
        for path in sorted((root / kind).iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES or path.stem not in stems:
                continue
            if kind == "images" and jpeg:
                target = dest / kind / (path.stem + ".jpg")
                with Image.open(path) as im:
                    pixels = np.asarray(im)
                if pixels.dtype != np.uint8 or (pixels.ndim == 3 and pixels.shape[2] not in (3, 4)):
                    raise SystemExit(f"{path}: only 8-bit grey, RGB or RGBA images can go to JPEG "
                                     f"({pixels.dtype}, shape {pixels.shape}); leave its set out of --jpeg")
                if pixels.ndim == 3:
                    pixels = pixels[..., :3]  # alpha dropped, as the loader's normalization does
                Image.fromarray(pixels).save(target, "JPEG", quality=quality)
            else:
                target = dest / kind / path.name
                shutil.copy(path, target)
            written += target.stat().st_size
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("sets", nargs="+", help="set folders, optionally with :split.txt")
    parser.add_argument("--jpeg", action="append", default=[], help="a set (by folder name) to store as JPEG")
    parser.add_argument("--quality", type=int, default=95)
    parser.add_argument("--training-only", action="store_true",
                        help="leave out the images a training run holds out for validation")
    parser.add_argument("--every", action="append", default=[], metavar="SET=K",
                        help="keep every K-th image of a set (by folder name)")
    args = parser.parse_args()
    names = {Path(s.partition(":")[0]).name for s in args.sets}
    every = {}
    for item in args.every:
        name, _, k = item.partition("=")
        try:
            step = int(k)
        except ValueError:
            step = 0
        if step < 1 or name in every:
            raise SystemExit(f"--every takes SET=K once per set, K a positive whole number; got {item!r}")
        every[name] = step
    unknown = (set(args.jpeg) | set(every)) - names
    if unknown:
        raise SystemExit(f"--jpeg or --every names sets that are not packed: {sorted(unknown)}")
    total = 0
    for spec in args.sets:
        name = Path(spec.partition(":")[0]).name
        size = pack(spec, args.out, name in args.jpeg, args.quality, args.training_only, every.get(name, 1))
        total += size
        print(f"{name}: {size / 1e6:.1f} MB{' (JPEG q%d)' % args.quality if name in args.jpeg else ''}")
    print(f"{total / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
