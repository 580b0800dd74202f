"""Training curves: validation NoC@85 per set (and the loss) against steps, from a run's history.json.

    python benchmarks/plot_training.py checkpoints/microscopy --start runs/val_step0.json --out docs/training_microscopy.png
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
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    history = json.loads((args.run / "history.json").read_text())
    if args.start:
        history = [json.loads(args.start.read_text())] + history
    keys = sorted(k for k in history[-1] if k.startswith("val_noc@85"))
    fig, (ax, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    for key in keys:
        steps = [h["step"] for h in history if key in h]
        label = key.split("/", 1)[1] if "/" in key else "all sets"
        ax.plot(steps, [h[key] for h in history if key in h], "o-", label=label, lw=2.5 if "/" not in key else 1.2)
        iou = key.replace("noc@85", "iou@1")
        ax1.plot(steps, [h[iou] for h in history if iou in h], "o-", label=label, lw=2.5 if "/" not in key else 1.2)
    ax.set(xlabel="training step (16 examples)", ylabel="validation NoC@85 (lower is better)",
           title=f"{args.run.name}: clicks to 85 % IoU")
    ax1.set(xlabel="training step (16 examples)", ylabel="validation IoU after 1 click", title="first click")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax1.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(args.out)


if __name__ == "__main__":
    main()
