"""Turn ``napari-cag evaluate`` summaries into the accuracy tables of docs/RESULTS.md.

Run ``python benchmarks/results_table.py runs/eval_grabcut runs/eval_dsb_pipeline+runs/eval_dsb_previous
--write docs/RESULTS.md`` after ``bash benchmarks/evaluate_pipeline.sh``; ``A+B`` joins the methods of runs
on the same objects (one process per method) into one table and one plot, written to A's folder as
``combined/``. Copies each mIoU plot into docs/.
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


def compact(summaries: list[dict]) -> str:
    """One table for several datasets: a row per dataset and method, with each run's command below."""
    lines = ["| dataset | method | objects | NoC@85 | NoC@90 | never reached 85 / 90 | mIoU after 1 / 3 / 5 clicks |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for summary in summaries:
        for name, s in summary["methods"].items():
            m = s["mean_iou"]
            curve = " / ".join(f"{m[k - 1]:.3f}" for k in (1, 3, 5) if k <= len(m))
            lines.append(f"| {summary['dataset']} | {name} | {s['n_objects']} | {s['noc@85']:.2f} | "
                         f"{s['noc@90']:.2f} | {s['failures@85']} / {s['failures@90']} | {curve} |")
    commands = "\n".join(f"- `{s['command']}`" for s in summaries)
    return "\n".join(lines) + "\n\nCommands:\n\n" + commands


def _load(spec: str) -> tuple[Path, dict]:
    """A run folder and its summary; ``A+B+...`` joins the methods of several runs of one dataset."""
    runs = [Path(p) for p in spec.split("+")]
    summaries = [json.loads((r / "summary.json").read_text()) for r in runs]
    if len(runs) == 1:
        return runs[0], summaries[0]
    if len({s["dataset"] for s in summaries}) != 1:
        raise SystemExit(f"error: {spec} joins runs of different datasets")
    from napari_cag.evaluate import plot_curves

    joined = dict(summaries[0], methods={}, command=" ; ".join(s["command"] for s in summaries))
    for s in summaries:
        joined["methods"].update(s["methods"])
    out = runs[0].parent / (runs[0].name.split("_")[0] + "_" + runs[0].name.split("_")[1])
    out.mkdir(exist_ok=True)
    (out / "summary.json").write_text(json.dumps(joined, indent=2) + "\n")
    plot_curves(joined, out / "miou.png")
    return out, joined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="folders written by napari-cag evaluate; A+B joins runs")
    parser.add_argument("--write", type=Path)
    parser.add_argument("--section", default="accuracy", help="the RESULTS.md block to replace")
    parser.add_argument("--script", default="benchmarks/evaluate_pipeline.sh", help="what produced the runs")
    parser.add_argument("--compact", action="store_true", help="one table, a row per dataset and method")
    args = parser.parse_args()
    extra = f" --section {args.section} --script {args.script}" + (" --compact" if args.compact else "")
    parts = [f"_Measured {datetime.date.today().isoformat()} on {machine()} with `bash {args.script}` "
             f"(tables: `python benchmarks/results_table.py {' '.join(str(r) for r in args.runs)} "
             f"--write docs/RESULTS.md{extra if args.section != 'accuracy' else ''}`)._"]
    if args.compact:
        parts.append(compact([_load(spec)[1] for spec in args.runs]))
        body = "\n\n".join(parts)
        print(body)
        if args.write:
            write_section(args.write, args.section, args.section, body)
        return
    for spec in args.runs:
        run, summary = _load(spec)
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
        write_section(args.write, args.section, "Accuracy (NoC protocol)", body)


if __name__ == "__main__":
    main()
