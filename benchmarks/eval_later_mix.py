"""`napari-cag evaluate` with another network, or another share, mixed into the later clicks.

    python benchmarks/eval_later_mix.py checkpoints/binary2/last.safetensors 0.3 [--split-off] -- \\
        evaluate --data ../shared/datasets/dsb2018:val.txt --method microscopy --seed 0 --stop-at 0.9 \\
        --max-instances 300 --out runs/mix_dsb

Every model the command loads gets ``later_mix = {"weights": SECOND, "share":
SHARE}`` (`napari_cag.model.ModelConfig.later_mix`; share 0 removes it): on
every click once the object has a mask, the network's probability becomes
``(1 - share) * own + share * second`` on the same window, each network fed its
own guidance channels; the first click and its views are the model's alone.
The shipped ``microscopy`` model mixes ``microscopy_later`` in with share 0.3;
this script tries other networks and shares (docs/RESULTS.md, nineteenth
session of the models issue). ``--split-off`` sets the microscopy preset's
touching-nucleus split (`RefineSettings.neck_ratio`) to 0, as in the runs
compared with the framing rule. ``--first-zoom`` mixes the second network into
the first click's zoom too (the selected view's second look, which reads the
first answer as its mask), leaving the views and their selection alone; it
acts where a view selector picks the first view (the shipped microscopy
model's default), not under ``first_view="rule"`` or ``"whole"``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("second", help="weights of the second network (a .safetensors with its JSON)")
    parser.add_argument("share", type=float, help="the second network's share of the later clicks' probability")
    parser.add_argument("--split-off", action="store_true", help="no touching-nucleus split at the first click")
    parser.add_argument("--first-zoom", action="store_true", help="mix into the first click's zoom too")
    args, rest = parser.parse_known_args()
    rest = rest[1:] if rest[:1] == ["--"] else rest
    if not 0 <= args.share <= 1:
        raise SystemExit(f"error: share must lie in 0..1, got {args.share}")
    if not Path(args.second).is_file():
        raise SystemExit(f"error: no weights file {args.second}")

    import napari_cag.predictor as predictor
    from napari_cag.cli import main as cli
    from napari_cag.refine import REFINE_PRESETS

    if args.split_off:
        REFINE_PRESETS["microscopy"] = dataclasses.replace(REFINE_PRESETS["microscopy"], neck_ratio=0.0)
    mix = {"weights": str(Path(args.second).resolve()), "share": args.share} if args.share else None
    load = predictor.load_model

    def load_mixed(path, device="cpu"):
        net, config = load(path, device)
        return net, dataclasses.replace(config, later_mix=mix)

    predictor.load_model = load_mixed
    if args.first_zoom:
        predictor.Predictor._selected_view = _selected_view_mixed
    cli(rest)


def _selected_view_mixed(self, image, structure, clicks, first):
    """`Predictor._selected_view`, with the selected view's zoom mixed like a later click."""
    from napari_cag.firstview import candidate_windows
    from napari_cag.viewselect import SMALLEST_VIEW

    answers, maps, features = self.first_views(image, structure, clicks, first)
    best = self.selected(answers, features)
    window = candidate_windows(image.shape, first, min(SMALLEST_VIEW, self.config.min_window))[best]
    zoom = self._zoom_window(image.shape, clicks, answers[best].mask, window)
    if not self.config.later_mix or zoom is None:
        return answers[best].zoomed, maps[best]
    return self._mixed_pass(image, structure, clicks, answers[best].mask, zoom)


if __name__ == "__main__":
    sys.exit(main())
