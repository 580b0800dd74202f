"""Turn ``napari-cag evaluate`` summaries into the accuracy tables of docs/RESULTS.md.

Run ``python benchmarks/results_table.py runs/eval_grabcut runs/eval_dsb --write docs/RESULTS.md``
after ``bash benchmarks/evaluate_shipped.sh``; copies each mIoU plot into docs/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
from pathlib import Path

from _report import machine, write_section  # same folder

GOALS = {"grabcut": "NoC@90 ≤ 3.58 (the paper's best)", "dsb2018": "NoC@85 ≤ 2.0, NoC@90 ≤ 3.5"}


def table(summary: dict) -> str:
    lines = ["| method | objects | NoC@85 | NoC@90 | never reached 85 / 90 | mIoU after 1 / 3 / 5 / 10 / 20 clicks |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, s in summary["methods"].items():
        m = s["mean_iou"]
        curve = " / ".join(f"{m[k - 1]:.3f}" for k in (1, 3, 5, 10, 20) if k <= len(m))
        lines.append(f"| {name} | {s['n_objects']} | {s['noc@85']:.2f} | {s['noc@90']:.2f} "
                     f"| {s['failures@85']} / {s['failures@90']} | {curve} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="folders written by napari-cag evaluate")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    parts = [f"_Measured {datetime.date.today().isoformat()} on {machine()} with `bash benchmarks/evaluate_shipped.sh` "
             f"(tables: `python benchmarks/results_table.py {' '.join(str(r) for r in args.runs)} "
             f"--write docs/RESULTS.md`)._"]
    for run in args.runs:
        summary = json.loads((run / "summary.json").read_text())
        dataset = summary["dataset"]
        goal = next((g for k, g in GOALS.items() if dataset.lower().startswith(k)), "")
        plot = f"eval_{run.name.removeprefix('eval_')}_miou.png"
        if args.write:
            shutil.copy(run / "miou.png", args.write.parent / plot)
        parts.append(f"**{dataset}** — goal: {goal}. Command: `{summary['command']}`\n\n{table(summary)}\n\n"
                     f"![mean IoU vs clicks on {dataset}]({plot})")
    body = "\n\n".join(parts)
    print(body)
    if args.write:
        write_section(args.write, "accuracy", "Accuracy (NoC protocol)", body)


if __name__ == "__main__":
    main()
