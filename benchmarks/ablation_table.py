"""The Table 1 ablation of docs/RESULTS.md from the folders of ``benchmarks/evaluate_ablation.sh``.

Run ``python benchmarks/ablation_table.py runs/ablation_eval --write docs/RESULTS.md``: one row per input
set, NoC and the mean IoU after one click on GrabCut and DSB2018 val side by side, and one mIoU-vs-clicks plot
per dataset (copied into docs/). The mode (full pipeline, ``REFINE=none``, ``RAW=1``) is read from the
evaluation commands and names the RESULTS.md section.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from _report import machine, write_section  # same folder

from napari_cag.evaluate import plot_curves

ROWS = {"euclidean": "Euclidean (iFCN)", "sp": "SP", "sp_obj": "SP+Obj", "sp_obj_iter": "SP+Obj+Iter"}
DATASETS = {"grabcut": "GrabCut", "dsb": "DSB2018 val"}
MODES = {"": ("", "", ""), "raw": ("RAW=1 ", "_raw", " (bare networks, no click correction)"),
         "norefine": ("REFINE=none ", "_norefine", " (no full-resolution refinement; the click correction on)")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the OUT folder of evaluate_ablation.sh (grabcut*/ and dsb*/ runs)")
    parser.add_argument("--write", type=Path)
    parser.add_argument("--train-env", default="", help="the variables train_ablation.sh ran with, if not its "
                        "defaults (e.g. 'STEPS=800 RUNS=checkpoints/table1'); RUNS is passed on to the evaluation")
    args = parser.parse_args()
    merged = {}
    for key in DATASETS:
        found = [json.loads(p.read_text()) for p in sorted(args.folder.glob(f"{key}*/summary.json"))]
        if found:
            merged[key] = {"dataset": found[0]["dataset"], "command": found[0]["command"],
                           "methods": {k: v for s in found for k, v in s["methods"].items()}}
    if not merged:
        raise SystemExit(f"no summaries under {args.folder}")
    def objects(s):
        return next(iter(s["methods"].values()))["n_objects"]

    head = " | ".join(f"{DATASETS[k]} ({objects(s):,}) NoC@85 | NoC@90 | IoU@1" for k, s in merged.items())
    lines = [f"| input channels | {head} |", "| --- |" + " --- |" * (3 * len(merged))]
    for name, label in ROWS.items():
        cells = []
        for s in merged.values():
            m = s["methods"].get(name)
            cells += [f"{m['noc@85']:.2f}", f"{m['noc@90']:.2f}", f"{m['mean_iou'][0]:.3f}"] if m else ["–"] * 3
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    commands = " ".join(s["command"] for s in merged.values())
    mode = "raw" if "--raw" in commands else "norefine" if "--refine none" in commands else ""
    env, suffix, says = MODES[mode]
    runs = next((v for v in args.train_env.split() if v.startswith("RUNS=")), "")
    env += f"{runs} " if runs else ""
    env += f"DSB_OBJECTS={objects(merged['dsb'])} " if "dsb" in merged and objects(merged["dsb"]) != 1000 else ""
    env += f"DATASETS={' '.join(merged)} " if len(merged) < len(DATASETS) else ""
    train = f"{args.train_env} " if args.train_env else ""
    parts = [f"_Measured {datetime.date.today().isoformat()} on {machine()}: `{train}bash benchmarks/train_ablation.sh`, "
             f"then `{env}OUT={args.folder} bash benchmarks/evaluate_ablation.sh` and "
             f"`python benchmarks/ablation_table.py {args.folder}"
             f"{' --train-env ' + repr(args.train_env) if args.train_env else ''} --write docs/RESULTS.md`{says}._",
             "\n".join(lines)]
    for key, s in merged.items():
        plot = f"ablation_{key}{suffix}_miou.png"
        if args.write:
            plot_curves(s, args.write.parent / plot)
        parts.append(f"![ablation on {s['dataset']}]({plot})")
    body = "\n\n".join(parts)
    print(body)
    if args.write:
        write_section(args.write, "ablation" + suffix, "Table 1 ablation" + says, body)


if __name__ == "__main__":
    main()
