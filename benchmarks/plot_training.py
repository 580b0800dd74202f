"""Training curves: validation NoC@85 per set (and the loss) against steps, from a run's history.json.

    python benchmarks/plot_training.py checkpoints/microscopy --start runs/val_step0.json --out docs/training_microscopy.png

A run that continued another (``--init`` its weights) is drawn after it with
``--before FOLDER``: its steps count on from the earlier run's last step, and
a dashed line marks where it started.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run folder with history.json")
    parser.add_argument("--start", type=Path, default=None, help="figures of the initial weights (validate_run.py)")
    parser.add_argument("--before", type=Path, action="append", default=[],
                        help="an earlier run this one continued (oldest first; repeatable)")
    parser.add_argument("--restart", type=Path, default=None,
                        help="figures of the continued run's starting weights, measured again (validate_run.py)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    history, offset, starts = [], 0, []
    if args.start:
        history.append(json.loads(args.start.read_text()))
    for i, run in enumerate([*args.before, args.run]):
        part = json.loads((run / "history.json").read_text())
        if i:
            starts.append(offset)
        if run == args.run and args.restart:
            part = [{**json.loads(args.restart.read_text()), "step": 0}] + part  # at the run's start
        history += [{**h, "step": h["step"] + offset} for h in part]
        offset = history[-1]["step"]
    name = " → ".join(run.name for run in [*args.before, args.run])
    keys = sorted(k for k in history[-1] if k.startswith("val_noc@85"))
    fig, (ax, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    for key in keys:
        steps = [h["step"] for h in history if key in h]
        label = key.split("/", 1)[1] if "/" in key else "all sets"
        ax.plot(steps, [h[key] for h in history if key in h], "o-", label=label, lw=2.5 if "/" not in key else 1.2)
        iou = key.replace("noc@85", "iou@1")
        ax1.plot(steps, [h[iou] for h in history if iou in h], "o-", label=label, lw=2.5 if "/" not in key else 1.2)
    ax.set(xlabel="training step (16 examples)", ylabel="validation NoC@85 (lower is better)",
           title=f"{name}: clicks to 85 % IoU")
    ax1.set(xlabel="training step (16 examples)", ylabel="validation IoU after 1 click", title="first click")
    for a in (ax, ax1):
        for step in starts:
            a.axvline(step, color="grey", ls="--", lw=1)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax1.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(args.out)


if __name__ == "__main__":
    main()
