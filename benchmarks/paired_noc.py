"""How far apart two evaluations of the same objects really are: paired differences with bootstrap intervals.

    python benchmarks/paired_noc.py runs/mix_usiigaci runs/shipped_usiigaci [A B ...]

Each argument pair is two ``napari-cag evaluate --out`` folders (or their
``objects.csv``) of one method each, run with the same ``--data``, ``--seed``
and ``--max-instances``, so that they hold the same objects. Prints, per pair,
the mean over objects of A's clicks minus B's to 85 % and 90 % IoU (negative:
A needs fewer) with a 95 % bootstrap interval over the objects, and the IoU
after the first click; with several pairs, also all their objects pooled. On
40 held-out objects the interval is about ±1 click, on 300 DSB2018 nuclei
about ±0.3 (docs/RESULTS.md, nineteenth session of the models issue): a
difference inside it is not a finding.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

MEASURES = ("noc@85", "noc@90", "iou@1")


def per_object(path: str) -> dict[str, dict[str, float]]:
    """``{object: {measure: value}}`` of one method's ``objects.csv``."""
    path = Path(path)
    path = path / "objects.csv" if path.is_dir() else path
    if not path.is_file():
        raise SystemExit(f"error: no {path}: give napari-cag evaluate --out folders or their objects.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    methods = {r["method"] for r in rows}
    if len(methods) != 1:
        raise SystemExit(f"error: {path} holds {len(methods)} methods ({sorted(methods)}); give one method's run")
    return {r["object"]: {m: float(r[m]) for m in MEASURES} for r in rows}


def paired(a: dict, b: dict, measure: str, rng: np.random.Generator, n_boot: int = 10_000):
    """Mean of ``a - b`` over the objects and its 95 % bootstrap interval."""
    d = np.array([a[k][measure] - b[k][measure] for k in sorted(a)])
    boots = d[rng.integers(len(d), size=(n_boot, len(d)))].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return d.mean(), lo, hi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="pairs of evaluate --out folders: A B [A B ...]")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if len(args.runs) % 2:
        raise SystemExit("error: give the runs in pairs, A B [A B ...]")
    rng = np.random.default_rng(args.seed)
    pooled_a, pooled_b = {}, {}
    for pair, (a_path, b_path) in enumerate(zip(args.runs[::2], args.runs[1::2])):
        a, b = per_object(a_path), per_object(b_path)
        if set(a) != set(b):
            raise SystemExit(f"error: {a_path} and {b_path} hold different objects ({len(set(a) ^ set(b))} "
                             "differ); run both with the same --data, --seed and --max-instances")
        print(f"{a_path} - {b_path} ({len(a)} objects): " + cells(a, b, rng))
        pooled_a.update({(pair, k): v for k, v in a.items()})
        pooled_b.update({(pair, k): v for k, v in b.items()})
    if len(args.runs) > 2:  # every pair's objects in one sample: the mean over objects, not over sets
        print(f"all {len(args.runs) // 2} pairs pooled ({len(pooled_a)} objects): " + cells(pooled_a, pooled_b, rng))


def cells(a: dict, b: dict, rng: np.random.Generator) -> str:
    return "  ".join(f"{m} {d:+.2f} [{lo:+.2f}, {hi:+.2f}]" for m in MEASURES for d, lo, hi in [paired(a, b, m, rng)])


if __name__ == "__main__":
    main()
