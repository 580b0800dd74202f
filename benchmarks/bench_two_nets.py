"""One network for the first click, another for every later one: the NoC protocol on a set.

    python benchmarks/bench_two_nets.py --first src/napari_cag/weights/microscopy.safetensors \\
        --later runs/nfl/last.safetensors --data ../shared/datasets/dsb2018:val.txt --max-instances 300 \\
        --out runs/two_nets_dsb

A network trained with the normalized focal loss (`napari-cag train --loss nfl`) needed fewer clicks on
DSB2018 but gave worse first clicks than the cross-entropy one it started from (docs/RESULTS.md, ninth
session of the models issue). This runs the full pipeline (`Predictor`, first view and refinement by
domain) with `--first` while an object has no mask yet and `--later` after, under `napari-cag evaluate`'s
protocol and report (the same seeded objects for the same ``--seed`` and ``--max-instances``).
"""

from __future__ import annotations

import argparse
import shlex
import sys


def main() -> None:
    from tqdm import tqdm

    from napari_cag.cli import _data_spec
    from napari_cag.datasets import load_dataset
    from napari_cag.evaluate import run_protocol, write_report
    from napari_cag.predictor import Predictor
    from napari_cag.session import Session

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", required=True, help="weights for an object's first click")
    parser.add_argument("--later", required=True, help="weights for its later clicks")
    parser.add_argument("--data", required=True, help="PATH or PATH:SPLIT, as for napari-cag evaluate")
    parser.add_argument("--max-instances", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stop-at", type=float, default=0.9)
    parser.add_argument("--name", default="two_nets")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    class TwoNets(Predictor):
        """`Predictor` with the first network until the object has a mask, then the second."""

        def __init__(self):
            super().__init__(args.first)
            self.later = Predictor(args.later)
            settings = (self.config.n_segments, self.config.max_superpixel_area)
            if (self.later.config.n_segments, self.later.config.max_superpixel_area) != settings:
                raise SystemExit("--first and --later must share their structure settings")

        def predict(self, image, structure, clicks, previous_mask=None, **kwargs):
            if previous_mask is None or not previous_mask.any():
                return super().predict(image, structure, clicks, previous_mask, **kwargs)
            return self.later.predict(image, structure, clicks, previous_mask, **kwargs)

    root, split = _data_spec(args.data)
    samples = load_dataset(root, split=split, max_instances=args.max_instances, seed=args.seed)
    model = TwoNets()
    with tqdm(total=len(samples), desc=args.name, unit="object") as bar:
        results = run_protocol(samples, lambda sample: Session(sample.image, model=model),
                               stop_at=args.stop_at, progress=lambda r: bar.update(1))
    summary = write_report({args.name: results}, args.out, dataset=f"{root.name}{':' + split if split else ''}",
                           command="python " + shlex.join(sys.argv))
    s = summary["methods"][args.name]
    print(f"{args.name}: NoC@85 {s['noc@85']:.2f}  NoC@90 {s['noc@90']:.2f}  "
          f"(never reached: {s['failures@85']} / {s['failures@90']} of {s['n_objects']})  "
          f"IoU@1 {s['mean_iou'][0]:.3f}  IoU@5 {s['mean_iou'][4]:.3f}")


if __name__ == "__main__":
    main()
