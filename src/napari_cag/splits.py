"""Validation images held out of training sets by a hash of their name (never an evaluation set).

Training (`napari-cag train`) and evaluation (``napari-cag evaluate --data
PATH:holdout``) use the same rule, so a model's validation figures can be
rerun at full size on exactly the images it never trained on.
"""

from __future__ import annotations

import hashlib

__all__ = ["HOLDOUT", "is_validation", "split_validation", "held_out_stems"]

HOLDOUT = "holdout"  # the split name that selects a set's held-out images
FRACTION = 0.1
MIN_SET = 5


def _digest(name: str) -> int:
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)


def is_validation(name: str, fraction: float = 0.05) -> bool:
    """Whether the hash of ``<set>/<stem>`` puts it in a `fraction` of images (deterministic)."""
    return _digest(name) % 10_000 < fraction * 10_000


def split_validation(items: list, fraction: float = FRACTION, min_set: int = MIN_SET) -> tuple[list, list]:
    """``(training, held_out)`` of items with a ``name`` ``<set>/<stem>``.

    `is_validation` per image, and at least one image of every set of
    `min_set` images or more (the one of lowest hash), so each set has a
    validation NoC; a smaller set is all for training.
    """
    sets: dict[str, list] = {}
    for item in items:
        sets.setdefault(item.name.split("/")[0], []).append(item)
    held = set()
    for members in sets.values():
        if len(members) < min_set:
            continue
        chosen = [i for i in members if is_validation(i.name, fraction)]
        held.update(map(id, chosen or [min(members, key=lambda i: _digest(i.name))]))
    return [i for i in items if id(i) not in held], [i for i in items if id(i) in held]


class _Name:
    def __init__(self, name: str):
        self.name = name


def held_out_stems(set_name: str, stems, fraction: float = FRACTION) -> list[str]:
    """The stems of a set that `split_validation` holds out."""
    _, held = split_validation([_Name(f"{set_name}/{s}") for s in stems], fraction)
    return [h.name.split("/", 1)[1] for h in held]
