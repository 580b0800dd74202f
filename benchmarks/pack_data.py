"""Pack training sets into a small copy, for a machine that can take only so many megabytes.

Each set keeps its folder name and layout (``images/`` + ``labels/``), so its validation hold-out (a hash of
``<set>/<stem>``) is unchanged. Labels are copied byte for byte. Images are copied too, except in the sets
named with ``--jpeg``, which are re-encoded as JPEG (grey stays grey: a grey RGB image decodes to equal
channels). A ``set:split.txt`` spec packs only that split's images; only training splits belong here.

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


def pack(spec: str, out: Path, jpeg: bool, quality: int) -> int:
    """Copy one set (``folder`` or ``folder:split.txt``) into `out`; returns the bytes written."""
    folder, _, split = spec.partition(":")
    root = Path(folder)
    if not (root / "images").is_dir() or not (root / "labels").is_dir():
        raise SystemExit(f"{root} is not an images/ + labels/ set")
    stems = None
    dest = out / root.name
    (dest / "images").mkdir(parents=True, exist_ok=True)
    (dest / "labels").mkdir(parents=True, exist_ok=True)
    if split:
        stems = {line.strip() for line in (root / split).read_text().splitlines() if line.strip()}
        shutil.copy(root / split, dest / split)
    written = 0
    for kind in ("images", "labels"):
        for path in sorted((root / kind).iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES or (stems is not None and path.stem not in stems):
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
    args = parser.parse_args()
    names = {Path(s.partition(":")[0]).name for s in args.sets}
    unknown = set(args.jpeg) - names
    if unknown:
        raise SystemExit(f"--jpeg names sets that are not packed: {sorted(unknown)}")
    total = 0
    for spec in args.sets:
        name = Path(spec.partition(":")[0]).name
        size = pack(spec, args.out, name in args.jpeg, args.quality)
        total += size
        print(f"{name}: {size / 1e6:.1f} MB{' (JPEG q%d)' % args.quality if name in args.jpeg else ''}")
    print(f"{total / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
