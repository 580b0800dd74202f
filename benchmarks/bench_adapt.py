"""Adapting to a user's objects: clicks needed before and after, for 5, 10, 20 and 50 committed objects.

The base model adapts on N objects of one image of a set it was not trained on (`napari_cag.adapt`,
which holds a quarter of them back for its own check), then the NoC protocol runs on other objects of
that image and on objects of other images of the set. The images are taken from the set's held-out
split first (`napari_cag.splits`), so that a model trained on the set's other images is not favoured.

    python benchmarks/bench_adapt.py --data ../shared/datasets/isbi2012_em \
        --model src/napari_cag/weights/cag_default.safetensors \
        --out benchmarks/results/adapt_isbi2012_em.json --plot docs/adapt_isbi2012_em.png
    python benchmarks/bench_adapt.py --plot-only benchmarks/results/adapt_isbi2012_em.json --plot P.png

Timing: run it with nothing else on the machine (`adapt` seconds are wall time).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def _noc(model, groups, structures, max_clicks):
    """NoC@85 and the mean IoU curve per group of objects (each group from one or more images)."""
    from napari_cag.evaluate import run_protocol
    from napari_cag.metrics import summarize
    from napari_cag.predictor import Predictor
    from napari_cag.session import Session

    predictor = Predictor(model)
    out = {}
    for name, objects in groups.items():
        ious = [r.ious for r in run_protocol(objects, lambda s: Session(s.image, model=predictor,
                                                                        structure=structures[s.image_path]),
                                             max_clicks=max_clicks)]
        s = summarize(ious, max_clicks=max_clicks)
        out[name] = {"noc@85": s["noc@85"], "noc@90": s["noc@90"], "mean_iou": [float(v) for v in s["mean_iou"]],
                     "objects": len(ious)}
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="an images/ + labels/ set")
    p.add_argument("--model", default="natural", help="the base model (a shipped name or a weights file)")
    p.add_argument("--counts", type=int, nargs="+", default=[5, 10, 20, 50])
    p.add_argument("--steps", type=int, default=None, help="training steps (default: adapt's)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: adapt's)")
    p.add_argument("--same-image", type=int, default=20, help="evaluation objects on the adaptation image")
    p.add_argument("--other-images", type=int, default=2)
    p.add_argument("--per-other", type=int, default=10, help="evaluation objects per other image")
    p.add_argument("--max-clicks", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None)
    p.add_argument("--plot", default=None)
    p.add_argument("--plot-only", default=None, help="only draw --plot from this report")
    args = p.parse_args(argv)
    if args.plot_only:
        return plot(json.loads(Path(args.plot_only).read_text()), args.plot)
    if not (args.data and args.out):
        p.error("--data and --out are required (or --plot-only REPORT --plot PNG)")

    from napari_cag import adapt
    from napari_cag.datasets import read_image, read_mask
    from napari_cag.evaluate import LabelledObject
    from napari_cag.image import normalize_image
    from napari_cag.model import load_model
    from napari_cag.predictor import SHIPPED, three_channels
    from napari_cag.splits import held_out_stems
    from napari_cag.structure import compute_structure

    root = Path(args.data)
    stems = sorted(f.stem for f in (root / "images").iterdir())
    held = held_out_stems(root.name, stems)
    stems = held + [s for s in stems if s not in held]  # the held-out images first
    base = load_model(SHIPPED.get(args.model, args.model))
    rng = np.random.default_rng(args.seed)
    data, structures, groups = {}, {}, {"same image": [], "other images": []}
    for k, stem in enumerate(stems[:1 + args.other_images]):
        image = read_image(next((root / "images").glob(stem + ".*")))
        labels = read_mask(next((root / "labels").glob(stem + ".*"))).astype(np.int32)
        norm = three_channels(normalize_image(image))
        structures[stem] = compute_structure(norm, n_segments=base[1].n_segments_for(labels.shape))
        ids = rng.permutation([i for i in np.unique(labels) if i])
        data[stem] = (image, labels, ids)
        if k == 0:
            groups["same image"] = [LabelledObject(stem, image, labels, int(i)) for i in ids[max(args.counts):][:args.same_image]]
        else:
            groups["other images"] += [LabelledObject(stem, image, labels, int(i)) for i in ids[:args.per_other]]
    stem = stems[0]
    image, labels, ids = data[stem]
    if len(ids) < max(args.counts) + args.same_image:
        raise SystemExit(f"{stem} has {len(ids)} objects, fewer than {max(args.counts)} + {args.same_image}")

    t = time.perf_counter()
    report = {"data": root.name, "image": stem, "model": args.model, "steps": args.steps, "lr": args.lr, "seed": args.seed,
              "base": _noc(base, groups, structures, args.max_clicks), "adapted": {}}
    print(f"base: {json.dumps({g: round(v['noc@85'], 2) for g, v in report['base'].items()})} "
          f"({time.perf_counter() - t:.0f} s)")
    for n in args.counts:
        committed = np.where(np.isin(labels, ids[:n]), labels, 0)
        options = {k: v for k, v in (("steps", args.steps), ("lr", args.lr)) if v is not None}
        result = adapt(base, image, committed, seed=args.seed, **options)
        figures = _noc(result, groups, structures, args.max_clicks)
        report["adapted"][str(n)] = {"adapted": result.adapted, "seconds": result.seconds, "message": result.message,
                                     "held_back_noc": [result.noc_before, result.noc_after], **figures}
        print(f"{n} objects: {result.message}; " + ", ".join(
            f"{g} NoC@85 {report['base'][g]['noc@85']:.2f} -> {v['noc@85']:.2f}" for g, v in figures.items()))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    if args.plot:
        plot(report, args.plot)
    return report


def plot(report: dict, path) -> None:
    """Mean IoU against clicks before and after adapting (left), NoC@85 against objects committed (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    counts = sorted(report["adapted"], key=int)
    for group, style in (("same image", "-"), ("other images", "--")):
        base = report["base"][group]["mean_iou"]
        a.plot(range(1, len(base) + 1), base, "k" + style, label=f"base, {group}")
        pick = "20" if "20" in report["adapted"] else counts[-1]
        after = report["adapted"][pick][group]["mean_iou"]
        a.plot(range(1, len(after) + 1), after, "C1" + style, label=f"adapted on {pick}, {group}")
        b.plot([0] + [int(n) for n in counts],
               [report["base"][group]["noc@85"]] + [report["adapted"][n][group]["noc@85"] for n in counts],
               "o" + style, label=group)
    a.set(xlabel="clicks", ylabel="mean IoU", title=f"{report['data']}: IoU per click", ylim=(0, 1))
    a.axhline(0.85, color="0.8", lw=0.8)
    b.set(xlabel="objects committed before adapting (0 = base model)", ylabel="NoC@85",
          title=f"clicks to 85 % IoU ({Path(report['model']).stem} base)")
    a.legend(fontsize=8)
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
