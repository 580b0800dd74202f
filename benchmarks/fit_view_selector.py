"""Fit a model's first-view selector on training images, and write it into the model's configuration.

    python benchmarks/fit_view_selector.py --data ../shared/datasets/dsb2018:train.txt \\
        --data ../shared/datasets/isbi2012_em --objects 300 --clicks 3 --records runs/views/a3.npz --record-only
    python benchmarks/fit_view_selector.py --data ../shared/datasets/usiigaci \\
        --data ../shared/datasets/monuseg --data ../shared/datasets/cpm15 --objects 120 --clicks 3 \\
        --records runs/views/b3.npz --record-only
    python benchmarks/fit_view_selector.py --records runs/views/a3.npz --records runs/views/b3.npz \\
        --write src/napari_cag/weights/microscopy.json

Per set, `--objects` seeded objects of the images that training does not hold
out (`napari_cag.splits`; never an evaluation set) get one click at the point
farthest from their boundary. Each candidate view's answer is taken in turn as
that click's, and the click protocol goes on from it for `--clicks` clicks
through the full pipeline, refinement included; the view's score is the mean
IoU over those clicks, recorded with its features (`Predictor.first_views`).
`napari_cag.viewselect.fit_selector` then fits the scorer. It prints, per set,
that mean IoU with the framing rule's view, with the fitted selector's and with
the best view of each object (on the objects it was fitted on).

Recording is the slow part (about 1-5 s an object with ``--clicks 3``): record
sets in separate processes with ``--record-only`` and one ``--records`` file
each, then fit on them all with one ``--records`` per file.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np


def training_objects(spec: str, n: int, seed: int):
    """Seeded objects of a set's training images (held-out images and evaluation splits left out)."""
    from napari_cag.cli import _training_spec
    from napari_cag.datasets import load_dataset
    from napari_cag.splits import held_out_stems

    root, split = _training_spec(spec)
    samples = load_dataset(root, split=split)
    stems = sorted({Path(s.image_path).stem for s in samples})
    held = set(held_out_stems(root.name, stems))
    pool = [s for s in samples if Path(s.image_path).stem not in held]
    pick = np.random.default_rng(seed).permutation(len(pool))[:n]
    return sorted((pool[i] for i in pick), key=lambda s: (str(s.image_path), s.name))


def record(predictor, samples, group: str, clicks: int = 1):
    """Per object: ``(features, each view's mean IoU over the first `clicks` clicks, group)``.

    Every view's answer is taken as the first click's in turn, and the click
    protocol (`napari_cag.simulate.next_click`) goes on from it through the
    full pipeline, so a view is scored by where it leads, not only by where it
    starts.
    """
    from tqdm import tqdm

    from napari_cag.evaluate import LabelledObject, run_protocol
    from napari_cag.session import Session

    state = {}

    def first_view(image, structure, clicks_, first):
        if "views" not in state:
            state["views"] = predictor.first_views(image, structure, clicks_, first)
        answers, maps, _ = state["views"]
        return answers[state["forced"]].zoomed, maps[state["forced"]]

    predictor._first_view = first_view
    examples, session, current = [], None, None
    for sample in tqdm(samples, desc=group, unit="object"):
        if sample.image_path != current:
            session, current = Session(sample.image, model=predictor), sample.image_path
        loaded = sample.load()  # once, for the protocol's run from every view
        one = LabelledObject(sample.image_path, loaded.image, loaded.mask.astype(np.uint8), 1, loaded.ignore)
        state.clear()
        state["forced"], scores = 0, []
        while "views" not in state or state["forced"] < len(state["views"][0]):
            ious = run_protocol([one], lambda _: session, max_clicks=clicks)[0].ious
            if "views" not in state:  # the image was not taken for microscopy: no search
                break
            scores.append(float(np.mean(ious)))
            state["forced"] += 1
        if "views" in state:
            examples.append((state["views"][2], np.asarray(scores, np.float32), group))
    return examples


def save_records(path, examples) -> None:
    """Recorded views as plain arrays: every view's features and score, and per object its view count
    and set."""
    np.savez_compressed(path, features=np.concatenate([f for f, _, _ in examples]),
                        scores=np.concatenate([y for _, y, _ in examples]),
                        views=np.array([len(y) for _, y, _ in examples]),
                        groups=np.array([g for _, _, g in examples]))


def load_records(path) -> list:
    """`save_records`' examples: ``[(features, scores, group)]``."""
    data = np.load(path)
    cuts = np.cumsum(data["views"])[:-1]
    return list(zip(np.split(data["features"], cuts), np.split(data["scores"], cuts), data["groups"].tolist()))


def report(examples, selector) -> dict:
    from napari_cag.viewselect import FEATURES, score_views

    rule, out = FEATURES.index("rule_choice"), {}
    for group in sorted({g for _, _, g in examples}):
        rows = [(y[int(f[:, rule].argmax())], y[int(score_views(selector, f).argmax())], y.max())
                for f, y, g in examples if g == group]
        a = np.array(rows)
        out[group] = {"objects": len(a), "rule": round(float(a[:, 0].mean()), 4),
                      "selector": round(float(a[:, 1].mean()), 4), "best_view": round(float(a[:, 2].mean()), 4)}
        print(f"{group}: {len(a)} objects, mean IoU over the recorded clicks: rule {a[:, 0].mean():.3f}, "
              f"selector {a[:, 1].mean():.3f}, best view {a[:, 2].mean():.3f}")
    return out


def main() -> None:
    from napari_cag.predictor import Predictor
    from napari_cag.viewselect import fit_selector

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="microscopy", help="a shipped model's name or a weights file")
    parser.add_argument("--data", action="append", default=[], help="a training set to record, PATH[:split]")
    parser.add_argument("--objects", type=int, default=400, help="seeded objects per set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--clicks", type=int, default=1,
                        help="score each view by the mean IoU over this many clicks of the protocol from it")
    parser.add_argument("--records", action="append", default=[],
                        help=".npz of recorded views: all reused when they exist (repeatable, to fit on the "
                             "records of several runs), else the one given is written")
    parser.add_argument("--record-only", action="store_true", help="record the views, do not fit")
    parser.add_argument("--write", help="a model's JSON configuration to put the selector into")
    args = parser.parse_args()

    if args.records and all(Path(r).is_file() for r in args.records):
        examples = [e for r in args.records for e in load_records(r)]
    else:
        if len(args.records) > 1:
            raise SystemExit("error: of several --records, every file must exist")
        if not args.data:
            raise SystemExit("error: nothing to record: give --data, or --records files that exist")
        predictor = Predictor(args.model, first_view="search")
        predictor.update_config(view_selector=None)
        examples = []
        for spec in args.data:
            group = Path(spec.split(":")[0]).name
            examples += record(predictor, training_objects(spec, args.objects, args.seed), group, args.clicks)
        if args.records:
            Path(args.records[0]).parent.mkdir(parents=True, exist_ok=True)
            save_records(args.records[0], examples)
    if args.record_only:
        return
    selector = fit_selector(examples, hidden=args.hidden, seed=args.seed)
    figures = report(examples, selector)
    if args.write:
        config = json.loads(Path(args.write).read_text())
        config["view_selector"] = {**selector, "fitted_on": figures,
                                   "command": "python benchmarks/fit_view_selector.py " + shlex.join(sys.argv[1:])}
        Path(args.write).write_text(json.dumps(config, indent=2) + "\n")
        print(f"wrote the selector into {args.write}")


if __name__ == "__main__":
    main()
