"""Command line: ``napari-cag train``, ``calibrate``, ``evaluate``, ``adapt``, ``cache`` and ``demo``."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path

__all__ = ["main"]

EVALUATION_SETS = ("grabcut",)
#: The domain of the shared training sets; any other folder is judged per image (`image_domain`).
SET_DOMAINS = {"coco_mval": "natural", "davis345": "natural", "coco128_train": "natural",
               "weizmann_horse": "natural", "dsb2018": "microscopy", "monuseg": "microscopy",
               "cpm15": "microscopy", "usiigaci": "microscopy", "isbi2012_em": "microscopy"}


def _data_spec(spec: str) -> tuple[Path, str | None]:
    """``PATH`` or ``PATH:SPLIT`` (e.g. ``../shared/datasets/dsb2018:train.txt``)."""
    path, _, split = spec.partition(":") if ":" in spec and not Path(spec).exists() else (spec, "", "")
    return Path(path), split or None


def _training_spec(spec: str) -> tuple[Path, str | None]:
    """`_data_spec` of a set to train on; an evaluation set or split is an error."""
    root, split = _data_spec(spec)
    if root.name.lower() in EVALUATION_SETS or (split and split.startswith(("val", "holdout"))):
        raise SystemExit(f"error: {spec} is an evaluation set; never train on it")
    return root, split


def _training_images(specs: list[str], max_images: int | None, part: int = 0, parts: int = 1):
    """Yield ``(name, image, objects, ignore, microscopy)`` for the training cache: of every `parts`
    images, the one at `part` (the others are not read)."""
    import numpy as np

    from .datasets import load_dataset
    from .domain import image_domain
    from .image import normalize_image
    from .predictor import three_channels

    index = -1
    for spec in specs:
        root, split = _training_spec(spec)
        seen, count = set(), 0
        for sample in load_dataset(root, split=split):
            if sample.image_path in seen:
                continue
            seen.add(sample.image_path)
            if max_images and count >= max_images:
                break
            count += 1
            index += 1
            if index % parts != part:
                continue
            loaded = sample.load()
            objects = loaded.instances if loaded.instances is not None else loaded.mask.astype(np.int32)
            ignore = loaded.ignore if loaded.ignore is not None and loaded.ignore.any() else None
            domain = SET_DOMAINS.get(root.name) or image_domain(three_channels(normalize_image(loaded.image)))
            yield (f"{root.name}/{sample.image_path.stem}", loaded.image, objects, ignore, domain == "microscopy")


def _cache_part(specs: list[str], cache: str, max_images, part: int, parts: int, superpixel_area: int) -> int:
    """Worker of `_cache`: every `parts`-th training image, from `part` on."""
    from .model import ModelConfig
    from .training.cache import build_cache

    config = ModelConfig(max_superpixel_area=superpixel_area)
    return len(build_cache(_training_images(specs, max_images, part, parts), cache, config))


def _cache(args) -> None:
    """Build the structure cache of training sets, in parallel."""
    from concurrent.futures import ProcessPoolExecutor

    _check_superpixel_area(args.max_superpixel_area)
    jobs = max(1, args.jobs)
    with ProcessPoolExecutor(jobs) as pool:
        counts = list(pool.map(_cache_part, *zip(*[(args.data, args.cache, args.max_images, k, jobs,
                                                     args.max_superpixel_area) for k in range(jobs)])))
    print(f"{sum(counts)} images cached in {args.cache}")


def _check_superpixel_area(area: int | None) -> None:
    """Refuse a --max-superpixel-area under one pixel (None: not given)."""
    if area is not None and area < 1:
        raise SystemExit(f"error: --max-superpixel-area must be at least 1 pixel, got {area}")


def _saved_superpixel_area(weights) -> int:
    """The superpixel setting saved with the weights a run starts from or resumes."""
    from .model.checkpoint import load_config

    try:
        return load_config(weights).max_superpixel_area
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f"error: {err}") from err


def _train(args) -> None:
    import os

    import torch
    from tqdm import tqdm

    from .model import GUIDANCE_PRESETS, ModelConfig
    from .predictor import select_device
    from .training.cache import build_cache, load_cache, split_validation
    from .training.loop import TrainSettings, rank_device, train
    from .training.validation import make_validator

    if args.minutes is not None and not 0 < args.minutes < float("inf"):
        raise SystemExit(f"error: --minutes must be a positive number, got {args.minutes}")
    if args.minutes is not None and args.resume:
        raise SystemExit("error: a time-limited run cannot be resumed; start a new one with --init "
                         "RUN/last.safetensors")
    if not 0 <= args.microscopy_share <= 1:
        raise SystemExit(f"error: --microscopy-share must lie in 0..1, got {args.microscopy_share}")
    guidance = GUIDANCE_PRESETS[args.guidance]
    if args.erase_refuted and "iter" not in args.guidance:
        raise SystemExit(f"error: --erase-refuted changes the previous mask, which --guidance {args.guidance} "
                         "does not read")
    superpixel_area = args.max_superpixel_area
    _check_superpixel_area(superpixel_area)
    resumed = Path(args.run) / "last.safetensors"
    if args.resume and resumed.with_suffix(".json").is_file():  # the run's own setting: cache and config agree
        saved = _saved_superpixel_area(resumed)
        if superpixel_area not in (None, saved):
            raise SystemExit(f"error: {args.run} was trained with --max-superpixel-area {saved}, not {superpixel_area}")
        superpixel_area = saved
    elif superpixel_area is None:  # the start's setting: the network goes on seeing the superpixels it knows
        superpixel_area = _saved_superpixel_area(args.init) if args.init else ModelConfig.max_superpixel_area
    config = ModelConfig(arch=args.arch, guidance=guidance, iterative=args.guidance.count("iter") > 0,
                         input_size=args.input_size, width=args.width, stride=args.stride,
                         max_superpixel_area=superpixel_area, erase_refuted=args.erase_refuted,
                         meta={"trained_on": args.data, "command": "napari-cag " + shlex.join(args.argv)})
    with tqdm(desc="caching structures", unit="image") as bar:
        paths = build_cache(_training_images(args.data, args.max_images), args.cache, config, bar.update)
    items = load_cache(paths)
    training, held_out = split_validation(items, args.val_fraction)
    rank0 = int(os.environ.get("RANK", "0")) == 0
    if rank0:
        print(f"{len(training)} training images, {len(held_out)} held out for validation")
    settings = TrainSettings(steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                             validate_every=args.validate_every, save_every=args.save_every,
                             max_iter_rounds=args.max_iter_rounds, shards=args.shards, augment=not args.no_augment,
                             microscopy_share=args.microscopy_share, loss=args.loss,
                             touch_weight=args.touch_weight, click_weight=args.click_weight,
                             refined_rounds=args.refined_rounds,
                             perturbed_previous=args.perturbed_previous,
                             time_limit=args.minutes * 60 if args.minutes is not None else None)
    if args.threads:
        import cv2

        torch.set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)  # OpenCV's resampling would take every core in each rank
    device = rank_device(select_device(args.device))
    validate = held_out and args.val_objects > 0
    validator = make_validator(held_out, n_objects=args.val_objects, seed=args.seed) if validate else None
    with tqdm(total=None if args.minutes else settings.steps, desc=f"training {args.guidance}", unit="step",
              disable=not rank0) as bar:
        def progress(step, loss):
            bar.n = step
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
            bar.update(0)

        path = train(config, training, args.run, settings, device=device, resume=args.resume,
                     overwrite=args.overwrite, validate=validator, progress=progress, init=args.init)
    if rank0:
        print(f"weights: {path}")


def _calibrate(args) -> None:
    """Choose a model's `object_bias` on the held-out images of its training sets."""
    import numpy as np
    import torch

    from .model import load_model, save_model
    from .training.cache import build_cache, load_cache, split_validation
    from .training.calibrate import DEFAULT_BIASES, DEFAULT_CLICKS, calibrate_bias

    if Path(args.out).suffix != ".safetensors":
        raise SystemExit(f"--out must name a .safetensors file, got {args.out}")
    torch.set_num_threads(args.threads)
    net, config = load_model(args.weights)
    paths = build_cache(_training_images(args.data, None), args.cache, config)
    _, held_out = split_validation(load_cache(paths), args.val_fraction)
    if not held_out:
        raise SystemExit("error: no held-out images to calibrate on (a set is held out from only when it has "
                         "a few images; see napari_cag.splits)")
    clicks = DEFAULT_CLICKS[args.score] if args.clicks is None else args.clicks
    scored = (f"mean clicks to {args.target:.0%} IoU (at most {clicks})" if args.score == "noc"
              else f"mean IoU over clicks 1-{clicks}")
    print(f"{len(held_out)} held-out images; score: {scored}, each set weighted equally")

    def progress(bias, scores):
        print(f"bias {bias:+.2f} (threshold {1 / (1 + np.exp(bias)):.2f}): mean {scores['mean']:.3f}  "
              + "  ".join(f"{k} {v:.3f}" for k, v in scores.items() if k != "mean"), flush=True)

    best, scores = calibrate_bias(net, config, held_out, biases=args.biases or DEFAULT_BIASES, score=args.score,
                                  clicks=clicks, target=args.target, n_objects=args.val_objects, seed=args.seed,
                                  progress=progress)
    meta = {**config.meta, "calibration": {"command": "napari-cag " + shlex.join(args.argv), "score": scored,
                                           "scores": {f"{b:+.2f}": v for b, v in scores.items()}}}
    save_model(args.out, net, dataclasses.replace(config, object_bias=best, meta=meta))
    print(f"object_bias {best:+.2f} (was {config.object_bias:+.2f}): {args.out}")


def _method_spec(spec: str) -> tuple[str, str, dict]:
    """``NAME[=WEIGHTS][,refine=R][,first_view=V]`` -> name, weights path, Predictor options."""
    head, *rest = spec.split(",")
    name, _, path = head.partition("=")
    options = {}
    for item in rest:
        key, eq, value = item.partition("=")
        if key not in ("refine", "first_view") or not eq:
            raise SystemExit(f"error: unknown method option {item!r} in {spec!r}; "
                             "expected refine=auto|natural|microscopy|none or first_view=auto|search|rule|whole")
        options[key] = _refine_spec(value) if key == "refine" and "+" in value else value
    return name, path, options


def _refine_spec(value: str):
    """``PRESET+FIELD=VALUE+...`` (e.g. ``microscopy+colour_weight=0.25``) -> RefineSettings."""
    from .refine import REFINE_PRESETS, RefineSettings

    preset, *changes = value.split("+")
    if preset not in REFINE_PRESETS:
        raise SystemExit(f"error: refine preset {preset!r} in {value!r}; expected one of {sorted(REFINE_PRESETS)}")
    base, fields = REFINE_PRESETS[preset], {f.name for f in dataclasses.fields(RefineSettings)}
    edits = {}
    for change in changes:
        key, eq, number = change.partition("=")
        if key not in fields or not eq:
            raise SystemExit(f"error: {change!r} in {value!r}; expected FIELD=VALUE with FIELD one of {sorted(fields)}")
        try:
            edits[key] = type(getattr(base, key))(number)
        except ValueError:
            raise SystemExit(f"error: {change!r} in {value!r}: {number!r} is not a {type(getattr(base, key)).__name__}")
    return dataclasses.replace(base, **edits)


def _evaluate(args) -> None:
    from tqdm import tqdm

    from .datasets import load_dataset
    from .evaluate import RandomWalkerSession, run_protocol, write_report
    from .predictor import SHIPPED, Predictor
    from .session import Session

    root, split = _data_spec(args.data)
    samples = load_dataset(root, split=split or args.split, max_instances=args.max_instances, seed=args.seed)
    results = {}
    for method in args.method:
        name, path, options = _method_spec(method)
        if name == "random-walker":
            def factory(sample):
                return RandomWalkerSession(sample.image)
        else:
            options = {"refine": "none" if args.raw else args.refine, **options}
            # a shipped model by name ("microscopy", "natural"), a weights file, or the choice by image
            model = path or (name if name in SHIPPED else None)
            predictor = Predictor(model, device=args.device, respect_clicks=not args.raw, **options)

            def factory(sample, predictor=predictor):
                return Session(sample.image, model=predictor)

        with tqdm(total=len(samples), desc=name, unit="object") as bar:
            results[name] = run_protocol(samples, factory, max_clicks=args.max_clicks,
                                         stop_at=args.stop_at, progress=lambda r: bar.update(1))
    summary = write_report(results, args.out, dataset=f"{root.name}{':' + split if split else ''}",
                           command="napari-cag " + shlex.join(args.argv), max_clicks=args.max_clicks)
    for name, s in summary["methods"].items():
        print(f"{name}: NoC@85 {s['noc@85']:.2f}  NoC@90 {s['noc@90']:.2f}  "
              f"(never reached: {s['failures@85']} / {s['failures@90']} of {s['n_objects']})  "
              f"IoU@1 {s['mean_iou'][0]:.3f}  IoU@5 {s['mean_iou'][min(4, len(s['mean_iou']) - 1)]:.3f}")
    print(f"report: {Path(args.out) / 'summary.json'}")


def _adapt(args) -> None:
    """Adapt a model to a folder of the user's images and labels."""
    import numpy as np
    from tqdm import tqdm

    from . import adaptation
    from .datasets import load_dataset, read_image, read_mask

    if Path(args.out).suffix != ".safetensors":
        raise SystemExit(f"--out must name a .safetensors file, got {args.out}")
    if args.objects is not None and args.objects < adaptation.MIN_OBJECTS:
        raise SystemExit(f"--objects must be at least {adaptation.MIN_OBJECTS}, got {args.objects}")
    samples = load_dataset(args.data, layout="images-labels")
    pairs = {s.image_path: s.mask_path for s in samples}
    images = [read_image(p) for p in pairs]
    labels = [read_mask(p).astype(np.int32) for p in pairs.values()]
    if args.objects is not None:  # a seeded subset, as if only these had been committed
        ids = [(k, i) for k, lab in enumerate(labels) for i in np.unique(lab) if i]
        keep = {ids[j] for j in np.random.default_rng(args.seed).permutation(len(ids))[:args.objects]}
        for k, lab in enumerate(labels):
            lab[~np.isin(lab, [i for kk, i in keep if kk == k])] = 0
    bars: dict = {}

    def progress(phase, done, total):
        bar = bars.get(phase) or bars.setdefault(phase, tqdm(total=total, desc=phase))
        bar.n = done
        bar.refresh()

    result = adaptation.adapt(args.model, images, labels, steps=args.steps, seconds=args.seconds, seed=args.seed,
                              check=not args.no_check, progress=progress, device=args.device)
    for bar in bars.values():
        bar.close()
    print(result.message)
    if not result.adapted:
        raise SystemExit(f"nothing written to {args.out}: the base model is the better one")
    result.config.meta["command"] = "napari-cag " + shlex.join(args.argv)
    print(f"model: {result.save(args.out)}")


def _demo(args) -> None:
    from .demo import run_demo

    result = run_demo(args.out, n_objects=args.objects, clicks=args.clicks, model=args.model, device=args.device)
    for k, v in enumerate(result["ious"], 1):
        print(f"nucleus {k}: IoU {v:.3f}")
    print(f"mean IoU {result['mean']:.3f} over {len(result['ious'])} nuclei, {args.clicks} clicks at most each")
    print(f"picture: {result['path']}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``napari-cag`` command."""
    parser = argparse.ArgumentParser(prog="napari-cag", description="Content-aware interactive segmentation.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a network with simulated clicks (Sec. 3.4, 4.2)")
    t.add_argument("--data", action="append", required=True,
                   help="training folder, optionally PATH:SPLIT (e.g. dsb2018:train.txt); repeat for several")
    t.add_argument("--guidance", default="sp+obj+iter", choices=["euclidean", "sp", "sp+obj", "sp+obj+iter",
                                                                 "sp+obj+iter+scale", "sp+obj+iter+unrefuted",
                                                                 "sp+obj+iter+binary"],
                   help="input channels (sp+obj+iter+unrefuted: the object map counts only proposals "
                        "holding no negative click; sp+obj+iter+binary: the previous mask itself instead of "
                        "its distance map; both may start from an sp+obj+iter model's --init)")
    t.add_argument("--arch", default="compact", choices=["compact", "fcn8s"])
    t.add_argument("--width", type=int, default=32)
    t.add_argument("--input-size", type=int, default=160)
    t.add_argument("--stride", type=int, default=8, choices=[32, 16, 8],
                   help="FCN-8s output stride; the paper's staged schedule trains 32, then 16, then 8, "
                        "each started from the last with --init")
    t.add_argument("--init", default=None, help="start from these weights (same architecture and channels; a narrower "
                   "compact network is widened to --width, computing the same function)")
    t.add_argument("--run", "--run-dir", dest="run", required=True,
                   help="run folder for checkpoints and logs (--run-dir under torchrun, whose --run-path takes --run)")
    t.add_argument("--cache", default="runs/cache", help="folder of cached image structures")
    t.add_argument("--max-superpixel-area", type=int, default=None,
                   help="superpixels of at most this many pixels (more superpixels in large images; the "
                        "model's config keeps it, so inference sees what training saw). Default: the --init "
                        "model's setting, else 400")
    t.add_argument("--steps", type=int, default=20_000)
    t.add_argument("--minutes", type=float, default=None,
                   help="train for this long instead of --steps: the first steps are timed and the schedule is "
                        "laid over the steps that fit (not with --resume); loading the cache and validating come "
                        "on top")
    t.add_argument("--batch-size", type=int, default=16)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default=None)
    t.add_argument("--resume", action="store_true", help="continue the run folder's checkpoint")
    t.add_argument("--overwrite", action="store_true", help="start afresh over an existing checkpoint")
    t.add_argument("--validate-every", type=int, default=1000)
    t.add_argument("--save-every", type=int, default=250)
    t.add_argument("--val-objects", type=int, default=12, help="validation objects per set (0: no validation)")
    t.add_argument("--max-images", type=int, default=None, help="use at most this many images per folder")
    t.add_argument("--val-fraction", type=float, default=0.1,
                   help="share of each set's images held out (by a hash of the name; at least one per set)")
    t.add_argument("--max-iter-rounds", type=int, default=10, help="most error-click rounds per batch")
    t.add_argument("--shards", type=int, default=1,
                   help="the batch in this many seed streams; under torchrun, the number of processes")
    t.add_argument("--no-augment", action="store_true", help="no photometric jitter or transposes")
    t.add_argument("--loss", choices=("ce", "nfl", "nfl-later"), default="ce",
                   help="per-pixel cross-entropy, RITM's normalized focal loss, or the focal loss only for "
                        "examples with error-click rounds (napari_cag.training.loss)")
    t.add_argument("--refined-rounds", action="store_true",
                   help="iterative rounds click on the refined mask, the one a user sees (refinement of each "
                        "image's domain and click correction), instead of the raw network's")
    t.add_argument("--perturbed-previous", type=float, default=0.0, metavar="SHARE",
                   help="this share of the examples with error-click rounds get their clicks and previous mask "
                        "from a perturbed true mask instead of the network's rounds "
                        "(napari_cag.training.perturb): cheaper, and a previous mask worth keeping")
    t.add_argument("--touch-weight", type=float, default=0.0,
                   help="extra cross-entropy weight on the pixels where the object meets another one "
                        "(TrainingSampler.touching): 1 + this; 0 leaves plain cross-entropy")
    t.add_argument("--click-weight", type=float, default=0.0,
                   help="extra cross-entropy weight within a few input pixels of an example's newest error click "
                        "(TrainingSampler.near_newest_click), so the network obeys it: 1 + this; 0 leaves it off")
    t.add_argument("--erase-refuted", action="store_true",
                   help="the previous mask the network reads comes with the newest negative click's part erased "
                        "along image edges (napari_cag.refine.erase_refuted), in training and at inference; "
                        "needs a guidance preset with the previous mask")
    t.add_argument("--microscopy-share", type=float, default=0.5,
                   help="odds of drawing a micrograph when the data hold micrographs and photographs")
    t.add_argument("--threads", type=int, default=None, help="torch and OpenCV threads per process")
    t.set_defaults(func=_train)

    k = sub.add_parser("calibrate", help="choose a model's decision threshold (object_bias) on held-out "
                                         "images of its training sets")
    k.add_argument("--data", action="append", required=True, help="the model's training folders, as for train")
    k.add_argument("--weights", required=True)
    k.add_argument("--out", required=True, help="where to write the calibrated model (may be --weights)")
    k.add_argument("--biases", type=float, nargs="+", default=None,
                   help="candidates (default: napari_cag.training.calibrate.DEFAULT_BIASES, thresholds 0.73 to 0.18)")
    k.add_argument("--score", choices=("noc", "iou"), default="noc",
                   help="noc: the mean clicks to --target IoU (what evaluate reports); iou: the mean IoU of the first "
                        "clicks (faster, but it can favour a threshold that costs clicks later)")
    k.add_argument("--clicks", type=int, default=None, help="the click budget (default: 20 for noc, 3 for iou)")
    k.add_argument("--target", type=float, default=0.85, help="the IoU of --score noc")
    k.add_argument("--val-objects", type=int, default=12, help="seeded objects per set")
    k.add_argument("--val-fraction", type=float, default=0.1, help="as for train: the same held-out images")
    k.add_argument("--seed", type=int, default=1, help="object draw (training validates with seed 0)")
    k.add_argument("--cache", default="runs/cache")
    k.add_argument("--threads", type=int, default=1)
    k.set_defaults(func=_calibrate)

    c = sub.add_parser("cache", help="compute the training sets' image structures once (what train reads)")
    c.add_argument("--data", action="append", required=True, help="training folder, optionally PATH:SPLIT")
    c.add_argument("--cache", default="runs/cache")
    c.add_argument("--jobs", type=int, default=1, help="processes")
    c.add_argument("--max-images", type=int, default=None)
    c.add_argument("--max-superpixel-area", type=int, default=400,
                   help="as for train (one cache per setting; the shipped microscopy model uses 50)")
    c.set_defaults(func=_cache)

    e = sub.add_parser("evaluate", help="NoC@85/90 and mean IoU per click (Sec. 4.1)")
    e.add_argument("--data", required=True, help="dataset folder, optionally PATH:SPLIT")
    e.add_argument("--split", default=None)
    e.add_argument("--method", action="append", default=None,
                   help="'default' (the shipped model chosen per image), 'microscopy' or 'natural' (one shipped "
                        "model for every image), 'random-walker', or NAME=PATH.safetensors, optionally followed by "
                        "',refine=R' and ',first_view=search|rule|whole' (e.g. 'previous,refine=none,first_view=whole'"
                        " is the pipeline before refinement; R may change a preset's settings, as in "
                        "'refine=microscopy+colour_weight=0.25+min_band=2'); repeat to compare")
    e.add_argument("--refine", default="auto", choices=["auto", "natural", "microscopy", "none"],
                   help="full-resolution refinement for every model method (default: by the image's domain)")
    e.add_argument("--max-instances", type=int, default=None, help="seeded random subset of objects")
    e.add_argument("--max-clicks", type=int, default=20)
    e.add_argument("--stop-at", type=float, default=None, help="stop an object once its IoU reaches this")
    e.add_argument("--raw", action="store_true",
                   help="score the networks' raw output: no refinement, no correction of masks that "
                        "contradict a click")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--device", default=None)
    e.add_argument("--out", default="runs/eval")
    e.set_defaults(func=_evaluate)

    a = sub.add_parser("adapt", help="fine-tune a model on your own labelled objects (images/ + labels/)")
    a.add_argument("--model", default="auto", help="'auto' (by the first image), 'microscopy', 'natural' or a "
                                                   "weights file")
    a.add_argument("--data", required=True, help="folder of images/ and labels/ (instance label images)")
    a.add_argument("--out", required=True, help="the adapted model, a .safetensors file (its .json beside it)")
    a.add_argument("--steps", type=int, default=40)
    a.add_argument("--seconds", type=float, default=None, help="stop training after this long")
    a.add_argument("--objects", type=int, default=None, help="use only this many objects (a seeded subset)")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--no-check", action="store_true",
                   help="train on every object and keep the result (no held-back objects to check it on)")
    a.add_argument("--device", default="cpu")
    a.set_defaults(func=_adapt)

    d = sub.add_parser("demo", help="headless session on the bundled nuclei: PNG + IoU")
    d.add_argument("--out", default="napari-cag-demo.png")
    d.add_argument("--objects", type=int, default=6)
    d.add_argument("--clicks", type=int, default=3)
    d.add_argument("--model", default=None, help="weights file (default: the shipped model)")
    d.add_argument("--device", default=None)
    d.set_defaults(func=_demo)

    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for the commands written into reports
    if args.command == "evaluate" and not args.method:
        args.method = ["default"]
    args.func(args)


if __name__ == "__main__":
    main()
