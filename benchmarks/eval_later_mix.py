"""`napari-cag evaluate` with a second network mixed into the later clicks (an experiment, not a shipped feature).

    python benchmarks/eval_later_mix.py checkpoints/binary2/last.safetensors 0.3 [--split-off] -- \\
        evaluate --data ../shared/datasets/dsb2018:val.txt --method microscopy --seed 0 --stop-at 0.9 \\
        --max-instances 300 --out runs/mix_dsb

On every click after the first (two clicks or more, one window), the network's
probability becomes ``(1 - share) * own + share * second`` on the same window,
each network fed its own guidance channels; the first click and its views are
the method's alone. ``--split-off`` sets the microscopy preset's touching-nucleus
split (`RefineSettings.neck_ratio`) to 0, as in the runs compared with the
framing rule (docs/RESULTS.md, nineteenth session of the models issue).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("second", help="weights of the second network (a .safetensors with its JSON)")
    parser.add_argument("share", type=float, help="the second network's share of the later clicks' probability")
    parser.add_argument("--split-off", action="store_true", help="no touching-nucleus split at the first click")
    args, rest = parser.parse_known_args()
    rest = rest[1:] if rest[:1] == ["--"] else rest
    if not 0 <= args.share <= 1:
        raise SystemExit(f"error: share must lie in 0..1, got {args.share}")

    import napari_cag.predictor as predictor
    from napari_cag.cli import main as cli
    from napari_cag.model import load_model
    from napari_cag.refine import REFINE_PRESETS

    if args.split_off:
        REFINE_PRESETS["microscopy"] = dataclasses.replace(REFINE_PRESETS["microscopy"], neck_ratio=0.0)
    own_pass, second = predictor.Predictor._pass, {}

    def mixed(self, image, structure, clicks, previous_mask, windows, paste=True):
        out = own_pass(self, image, structure, clicks, previous_mask, windows, paste)
        if len(windows) != 1 or len(clicks) < 2 or not paste or args.share == 0:
            return out
        if not second:
            second["net"], second["config"] = load_model(args.second, self.device)
        own = self.net, self.config
        self.net, self.config = second["net"], second["config"]
        try:
            other = own_pass(self, image, structure, clicks, previous_mask, windows, paste)
        finally:
            self.net, self.config = own
        return [((1 - args.share) * out[0][0] + args.share * other[0][0], out[0][1])]

    predictor.Predictor._pass = mixed
    cli(rest)


if __name__ == "__main__":
    sys.exit(main())
