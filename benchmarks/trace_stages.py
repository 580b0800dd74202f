"""Where each click's gain comes from: the IoU after every stage of the pipeline, click by click.

    python benchmarks/trace_stages.py ../shared/datasets/dsb2018:holdout --objects 300 \
        --out runs/trace_dsb --figure docs/stages_dsb.png

Runs the protocol of `napari-cag evaluate` (seeded objects, the next click on the largest error,
stop at 90 %) with a shipped model (``--model``; default: chosen per image), and records for every click the IoU of the
answer before it, of the network's raw mask, after the refinement's cut (`graph_cut`), after
`keep_unclaimed` and after the click correction (`respect_clicks`, the answer the user sees). The stages
are observed by wrapping the functions that `napari_cag.predictor.finish` calls; nothing else changes.
Writes ``records.json`` (one row per click) and a figure of the mean IoU per stage against the click.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

STAGES = ("before", "network", "cut", "unclaimed", "answer")


def traced(recorder):
    """Wrap the refinement stages of `napari_cag.predictor` so that each reports its mask to `recorder`."""
    import napari_cag.predictor as P

    def wrap(fn, stage, before=None):
        def inner(prob, *args, **kwargs):
            if before:
                recorder(before, prob > 0.5)
            out = fn(prob, *args, **kwargs)
            recorder(stage, out if out.dtype == bool else out > 0.5)
            return out
        return inner

    P.graph_cut = wrap(P.graph_cut, "cut", before="network")
    P.keep_unclaimed = wrap(P.keep_unclaimed, "unclaimed")
    P.respect_clicks = wrap(P.respect_clicks, "answer")


def run(spec: str, objects: int, seed: int, stop_at: float, model: str = "auto") -> list[dict]:
    from napari_cag import Session
    from napari_cag.cli import _data_spec
    from napari_cag.datasets import load_dataset
    from napari_cag.metrics import iou
    from napari_cag.predictor import Predictor
    from napari_cag.simulate import next_click

    root, split = _data_spec(spec)
    samples = load_dataset(root, split=split, max_instances=objects, seed=seed)
    rows, state = [], {}
    traced(lambda stage, mask: state["row"].__setitem__(stage, iou(mask, state["gt"], state["ignore"])))
    predictor, session, current = Predictor(model), None, None
    for i, sample in enumerate(samples):
        if sample.image_path != current:
            session, current = Session(sample.image, model=predictor), sample.image_path
        session.reset()
        loaded = sample.load()
        state["gt"], state["ignore"] = loaded.mask, loaded.ignore
        pred = np.zeros_like(loaded.mask)
        for k in range(1, 21):
            click = next_click(pred, loaded.mask, loaded.ignore)
            if click is None:
                break
            state["row"] = {"object": i, "area": int(loaded.mask.sum()), "click": k, "positive": click.positive,
                            "before": iou(pred, loaded.mask, loaded.ignore)}
            pred = session.add_click(click.y, click.x, click.positive)
            row = state["row"]
            row.setdefault("network", row["answer"])  # refine="none": no cut, so the network stage is not seen
            row.setdefault("cut", row["network"])
            row.setdefault("unclaimed", row["cut"])      # the first click: no previous answer to give back from
            rows.append(row)
            if row["answer"] >= stop_at:
                break
        print(f"\r{i + 1}/{len(samples)} objects", end="", flush=True)
    print()
    return rows


def summary(rows: list[dict]) -> dict:
    """Mean IoU per stage and the share of clicks whose raw network loses over 0.1, by click and sign."""
    out = {}
    for sign in ("positive", "negative"):
        for ks, label in (((1,), "1"), ((2,), "2"), (range(3, 6), "3-5"), (range(6, 21), "6-20")):
            sel = [r for r in rows if r["click"] in ks and r["positive"] == (sign == "positive")]
            if not sel:
                continue
            mean = {s: float(np.mean([r[s] for r in sel])) for s in STAGES}
            mean["n"] = len(sel)
            mean["network_drops"] = float(np.mean([r["network"] < r["before"] - 0.1 for r in sel]))
            mean["answer_drops"] = float(np.mean([r["answer"] < r["before"] - 0.1 for r in sel]))
            out[f"{sign} click {label}"] = mean
    return out


def figure(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, sign in zip(axes, (True, False)):
        clicks = sorted({r["click"] for r in rows if r["positive"] == sign and r["click"] > 1})
        clicks = [k for k in clicks if sum(r["click"] == k and r["positive"] == sign for r in rows) >= 10]
        for stage, style in zip(STAGES, ("k--", "C3-", "C0-", "C2:", "k-")):
            means = [np.mean([r[stage] for r in rows if r["click"] == k and r["positive"] == sign]) for k in clicks]
            ax.plot(clicks, means, style, marker="o", ms=3, label=stage)
        ax.set_title(f"{'positive' if sign else 'negative'} clicks")
        ax.set_xlabel("click")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean IoU of the objects still clicked")
    axes[1].legend(loc="lower right", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="PATH or PATH:SPLIT, as for napari-cag evaluate")
    parser.add_argument("--objects", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="auto", help="auto, microscopy, natural or a weights file")
    parser.add_argument("--stop-at", type=float, default=0.9)
    parser.add_argument("--out", type=Path, default=Path("runs/trace"))
    parser.add_argument("--figure", type=Path)
    args = parser.parse_args()
    rows = run(args.data, args.objects, args.seed, args.stop_at, args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"data": args.data, "objects": args.objects, "seed": args.seed, "summary": summary(rows), "rows": rows}
    (args.out / "records.json").write_text(json.dumps(result, indent=1))
    for key, s in result["summary"].items():
        print(f"{key:22s} n={s['n']:4d} " + " ".join(f"{k} {s[k]:.3f}" for k in STAGES)
              + f"  raw drops {s['network_drops']:.2f}  answer drops {s['answer_drops']:.2f}")
    if args.figure:
        from napari_cag.cli import _data_spec

        root, split = _data_spec(args.data)
        name = root.name + (f":{split}" if split else "")
        figure(rows, args.figure, f"{name}, {args.objects} seeded objects: mean IoU after each stage, "
                                  f"clicks with at least 10 objects")


if __name__ == "__main__":
    main()
