"""Parameters, FLOPs per network pass, weights size and peak inference memory of the shipped models.

    python benchmarks/model_stats.py            # every shipped model
    python benchmarks/model_stats.py W.safetensors

FLOPs are counted by torch's FlopCounterMode for one pass at the model's
input size (a multiply-add counts as 2). Peak memory is the process's
maximum resident set after clicks on a 512² and a 2048² image, measured in
a fresh process per model so that models do not share the figure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import resource, sys
import numpy as np
from napari_cag import Session
from napari_cag.data import nuclei_2d
image = nuclei_2d()[0]
for side in (512, 2048):
    big = np.tile(image, (side // 512, side // 512))
    s = Session(big, model=sys.argv[1])
    for k, (r, c) in enumerate([(256, 256), (262, 250), (250, 262)]):
        s.add_click(r, c, positive=k != 2)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def stats(weights: Path) -> dict:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from napari_cag.model import load_model

    net, config = load_model(weights)
    x = torch.zeros(1, config.in_channels, config.input_size, config.input_size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(x)
    peak = subprocess.run([sys.executable, "-c", PROBE, str(weights)], capture_output=True, text=True, check=True)
    return {
        "model": weights.stem, "arch": config.arch, "width": config.width, "input_size": config.input_size,
        "parameters": sum(p.numel() for p in net.parameters()), "gflops": counter.get_total_flops() / 1e9,
        "weights_mb": weights.stat().st_size / 2**20, "peak_rss_mb": float(peak.stdout.split()[-1]),
    }


def main() -> None:
    from napari_cag.predictor import SHIPPED

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="*", type=Path)
    args = parser.parse_args()
    for path in args.weights or sorted(set(SHIPPED.values())):
        print(json.dumps(stats(path)))


if __name__ == "__main__":
    main()
