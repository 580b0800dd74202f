"""Mean IoU against clicks on the five microscopy sets, the framing rule against the view selector.

    python benchmarks/plot_view_selector.py benchmarks/results/view_selector docs/view_selector_miou.png

Reads ``rule_SET.json`` and ``selector_SET.json`` (`napari-cag evaluate` summaries) from the folder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SETS = {"dsb300": "DSB2018 val", "monuseg": "MoNuSeg", "cpm15": "CPM-15", "usiigaci": "Usiigaci",
        "isbi2012_em": "ISBI 2012"}


def main(folder: str, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(SETS), figsize=(3.2 * len(SETS), 3.2), sharey=True)
    for ax, (key, title) in zip(axes, SETS.items()):
        for name, style in (("rule", dict(color="0.5", ls="--")), ("selector", dict(color="C0"))):
            summary = json.loads((Path(folder) / f"{name}_{key}.json").read_text())
            s = next(iter(summary["methods"].values()))
            curve = s["mean_iou"]
            ax.plot(range(1, len(curve) + 1), curve, marker="o", ms=2.5, **style,
                    label=f"{name}: IoU@1 {curve[0]:.2f}, NoC@85 {s['noc@85']:.2f}")
        ax.axhline(0.85, color="0.8", lw=0.8)
        ax.set(title=f"{title} ({s['n_objects']})", xlabel="clicks", ylim=(0, 1), xticks=[1, 5, 10, 15, 20])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    axes[0].set_ylabel("mean IoU")
    fig.suptitle("First view: the framing rule against the fitted view selector (microscopy model)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    main(*sys.argv[1:3])
