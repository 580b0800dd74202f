"""The Table 1 ablation of docs/RESULTS.md from the folders of ``benchmarks/evaluate_ablation.sh``.

Run ``python benchmarks/ablation_table.py runs/ablation_eval --write docs/RESULTS.md``: one row per input
set, NoC on GrabCut and DSB2018 val side by side, and one mIoU-vs-clicks plot per dataset (copied into docs/).
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from _report import machine, write_section  # same folder

from napari_cag.evaluate import plot_curves

ROWS = {"euclidean": "Euclidean (iFCN)", "sp": "SP", "sp_obj": "SP+Obj", "sp_obj_iter": "SP+Obj+Iter"}
DATASETS = {"grabcut": "GrabCut (50)", "dsb": "DSB2018 val (1,000 seeded)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the OUT folder of evaluate_ablation.sh (grabcut*/ and dsb*/ runs)")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    merged = {}
    for key in DATASETS:
        found = [json.loads(p.read_text()) for p in sorted(args.folder.glob(f"{key}*/summary.json"))]
        if found:
            merged[key] = {"dataset": found[0]["dataset"], "command": found[0]["command"],
                           "methods": {k: v for s in found for k, v in s["methods"].items()}}
    if not merged:
        raise SystemExit(f"no summaries under {args.folder}")
    head = " | ".join(f"{DATASETS[k]} NoC@85 | NoC@90" for k in merged)
    lines = [f"| input channels | {head} |", "| --- |" + " --- |" * (2 * len(merged))]
    for name, label in ROWS.items():
        cells = []
        for s in merged.values():
            m = s["methods"].get(name)
            cells += [f"{m['noc@85']:.2f}", f"{m['noc@90']:.2f}"] if m else ["–", "–"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    raw = any("--raw" in s["command"] for s in merged.values())
    only = f"DATASETS={' '.join(merged)} " if len(merged) < len(DATASETS) else ""
    parts = [f"_Measured {datetime.date.today().isoformat()} on {machine()}: `bash benchmarks/train_ablation.sh`, "
             f"then `{'RAW=1 ' if raw else ''}{only}bash benchmarks/evaluate_ablation.sh` and "
             f"`python benchmarks/ablation_table.py {args.folder} --write docs/RESULTS.md`"
             f"{' (bare networks, no click correction)' if raw else ''}._", "\n".join(lines)]
    for key, s in merged.items():
        plot = f"ablation_{key}{'_raw' if raw else ''}_miou.png"
        if args.write:
            plot_curves(s, args.write.parent / plot)
        parts.append(f"![ablation on {s['dataset']}]({plot})")
    body = "\n\n".join(parts)
    print(body)
    if args.write:
        key = "ablation_raw" if raw else "ablation"
        write_section(args.write, key, "Table 1 ablation" + (" (bare networks)" if raw else ""), body)


if __name__ == "__main__":
    main()
