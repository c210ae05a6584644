"""Chain benchmark: raw CSV to ``windows``, Sparkhu against the plain pandas + statsmodels chain, in one run.

One run, on one machine, one step after the other (never concurrently):

(a) generate ``--points`` rows over ``--series`` series with the pipeline benchmark's generator (periods
    30/60/300 s, jitter, 2 % gaps, 0.5 % duplicates) as one long CSV;
(b) ``sparkhu ingest FILE --series-column series`` then ``sparkhu run`` in a fresh SPARKHU_HOME;
(c) ``baseline.py csv FILE`` (the plain chain, see baseline.py) on the same CSV;
(d) NAB F1 of both: ``sparkhu detect`` over all 30 NAB files, and the baseline's 3-sigma flags of its chain on
    each NAB file, scored with ``benchmarks.nab.scorer``;
(e) the physical floor of the chain on this machine (see ceiling.py) and where Sparkhu's time goes.

Every command runs as a subprocess; its wall time and the peak RSS of its whole process tree (sampled
every 50 ms with psutil) are recorded.

Usage: python benchmarks/chain/run.py [--points 1000000] [--series 100] [--skip-nab] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.chain.ceiling import Floor, measure_floor
from benchmarks.nab.run import detect_outputs
from benchmarks.nab.scorer import Score, score
from benchmarks.pipeline.run import Measured, generate, measure
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.runs import list_runs
from sparkhu.storage.lake import Lake

REPO = Path(__file__).resolve().parents[2]
DEFAULT_NAB = REPO.parent / "shared" / "data" / "nab"
BASELINE = Path(__file__).resolve().with_name("baseline.py")


@dataclass(frozen=True)
class ChainRow:
    """One chain's line of the results table."""

    chain: str
    measured: Measured
    nab: Score | None
    compared: bool = True


def sparkhu_cli() -> str:
    """The ``sparkhu`` entry point of the running interpreter's environment."""
    return str(Path(sys.executable).with_name("sparkhu"))


def run_sparkhu(csv: Path, home: Path) -> tuple[Measured, Measured]:
    """Ingest ``csv`` and run the daily pipeline in a fresh home; (ingest, run) measurements."""
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "SPARKHU_HOME": str(home)}
    ingest = measure([sparkhu_cli(), "ingest", str(csv), "--series-column", "series"], env)
    return ingest, measure([sparkhu_cli(), "run"], env)


def run_baseline(csv: Path, out_dir: Path) -> Measured:
    """The plain chain on ``csv``, writing under ``out_dir``."""
    shutil.rmtree(out_dir, ignore_errors=True)
    return measure([sys.executable, str(BASELINE), "csv", str(csv), "--out-dir", str(out_dir)], dict(os.environ))


def nab_labels(nab: Path) -> dict[str, list[list[str]]]:
    """NAB's combined windows per file key."""
    labels: dict[str, list[list[str]]] = json.loads((nab / "labels" / "combined_windows.json").read_text())
    return labels


def nab_sparkhu(nab: Path, out_dir: Path) -> tuple[Measured, Score]:
    """``sparkhu detect`` over every labelled NAB file, scored."""
    labels = nab_labels(nab)
    files = [str(nab / "data" / key) for key in sorted(labels)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("SPARKHU_")}
    measured = measure([sparkhu_cli(), "detect", *files, "--out-dir", str(out_dir)], env)
    return measured, score(detect_outputs(out_dir, sorted(labels)), labels)


def nab_baseline(nab: Path, out_dir: Path) -> tuple[Measured, Score]:
    """The plain chain's 3-sigma flags on every labelled NAB file, scored."""
    labels = nab_labels(nab)
    measured = measure([sys.executable, str(BASELINE), "nab", str(nab), "--out-dir", str(out_dir)], dict(os.environ))
    return measured, score(detect_outputs(out_dir, sorted(labels)), labels)


def node_times(home: Path) -> pd.DataFrame:
    """Per template of the latest run: node count, summed node wall time (dispatch to exit) and task time.

    Task time is the ``duration_s`` the task runtime records in ``reports`` (the task's own work, reads
    and writes included); the rest of a node's time is process and executor overhead. ``reports`` keeps
    one row per task and shard, so of a fan-out over variants it holds the last variant only: there the
    overhead is not computed.
    """
    with session_scope(f"sqlite:///{home / 'sparkhu.db'}") as session:
        run = list_runs(session, 1)[0]
        nodes = pd.DataFrame([{"template": node.template.removeprefix("task-"), "node_s": node.duration_s or 0.0}
                              for node in run.nodes if node.template.startswith("task-")])
        wall = run.duration_s or 0.0
    reports = Lake(str(home / "lake")).read("reports").groupby("task")["duration_s"].agg(["sum", "count"])
    table = nodes.groupby("template").agg(nodes=("node_s", "size"), node_s=("node_s", "sum"))
    task = reports.reindex(table.index)
    table["task_s"], table["task_rows"] = task["sum"], task["count"].fillna(0).astype(int)
    table["overhead_s"] = (table["node_s"] - table["task_s"]).where(table["task_rows"] == table["nodes"])
    table.attrs["wall_s"] = wall
    return table.sort_values("node_s", ascending=False)


def results_table(rows: list[ChainRow], points: int) -> str:
    """The Markdown table: chain, seconds, points/s, peak MiB, speed-up over the baseline, NAB F1."""
    baseline = rows[-1].measured.seconds
    lines = ["| chain | seconds | points/s | peak MiB | speed-up | NAB F1 |", "|---|---|---|---|---|---|"]
    for row in rows:
        speed_up = f"{baseline / row.measured.seconds:.1f}x" if row.compared else "-"
        f1 = "-" if row.nab is None else f"{row.nab.f1:.3f} ({row.nab.detected} det., {row.nab.false_positives} FP)"
        lines.append(f"| {row.chain} | {row.measured.seconds:,.1f} | {points / row.measured.seconds:,.0f} | "
                     f"{row.measured.peak_mib:,.0f} | {speed_up} | {f1} |")
    return "\n".join(lines)


def floor_table(floor: Floor, ours: float) -> str:
    """The floor's parts and how far Sparkhu's CSV-to-windows time is from it."""
    tables = ", ".join(f"{name} {seconds:.2f}" for name, seconds in
                       sorted(floor.table_write_s.items(), key=lambda item: -item[1]))
    return "\n".join([
        "| part | seconds |", "|---|---|",
        f"| read the CSV (pyarrow) | {floor.read_s:.2f} |",
        f"| numeric chain, vectorised numpy, one pass | {floor.numeric_s:.2f} |",
        f"| write every table of the run once ({len(floor.table_write_s)} tables) | {floor.write_s:.2f} |",
        f"| **floor, all tables** | **{floor.total_s:.2f}** (Sparkhu is {ours / floor.total_s:.1f}x above) |",
        f"| **floor, raw + windows only** | **{floor.minimal_s:.2f}** "
        f"(Sparkhu is {ours / floor.minimal_s:.1f}x above) |",
        "", f"Single writes per table (s): {tables}",
    ])


def attribution_table(nodes: pd.DataFrame) -> str:
    """Where ``sparkhu run`` spends its time, per task template."""
    lines = [f"`sparkhu run` wall time {nodes.attrs['wall_s']:.1f} s; node times summed "
             f"{nodes['node_s'].sum():.1f} s (nodes run concurrently on the workers).", "",
             "| task | nodes | node s (sum) | task s (reports) | overhead s |", "|---|---|---|---|---|"]
    for row in nodes.itertuples():
        task = f"{row.task_s:.1f}" if row.task_rows == row.nodes else f"{row.task_s:.1f} (last of {row.nodes})"
        overhead = "-" if pd.isna(row.overhead_s) else f"{row.overhead_s:.1f}"
        lines.append(f"| {row.Index} | {row.nodes} | {row.node_s:.1f} | {task} | {overhead} |")
    return "\n".join(lines)


def main() -> None:
    """Run the whole comparison and print (and optionally write) the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--nab", type=Path, default=DEFAULT_NAB)
    parser.add_argument("--skip-nab", action="store_true", help="Do not score NAB (no F1 column)")
    parser.add_argument("--work", type=Path, default=None, help="Folder for data and outputs (temporary by default)")
    parser.add_argument("--out", type=Path, default=None, help="Also write the report (Markdown) here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sparkhu-chain-"))
    work.mkdir(parents=True, exist_ok=True)
    report = compare(args.points, args.series, work, None if args.skip_nab else args.nab)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")


def compare(points: int, n_series: int, work: Path, nab: Path | None) -> str:
    """Every measurement of one benchmark run, as a Markdown report."""
    csv = work / f"data-{points}-{n_series}.csv"
    if not csv.exists():
        generate(csv, points, n_series)
    home = work / "home"
    ingest, run = run_sparkhu(csv, home)
    print(f"sparkhu: ingest {ingest.seconds:.1f} s, run {run.seconds:.1f} s", flush=True)
    baseline = run_baseline(csv, work / "baseline-out")
    print(f"baseline: {baseline.seconds:.1f} s", flush=True)
    ours_nab = base_nab = None
    if nab is not None:
        ours_nab = nab_sparkhu(nab, work / "nab-sparkhu")[1]
        base_nab = nab_baseline(nab, work / "nab-baseline")[1]
    total = Measured(ingest.seconds + run.seconds, max(ingest.peak_mib, run.peak_mib))
    rows = [ChainRow("sparkhu ingest", ingest, None, False), ChainRow("sparkhu run", run, None, False),
            ChainRow("**sparkhu, CSV to windows**", total, ours_nab),
            ChainRow("**pandas + statsmodels, per series**", baseline, base_nab)]
    floor = measure_floor(csv, home / "lake", work / "floor")
    return "\n\n".join([
        f"Chain benchmark: {points:,} points over {n_series} series, {os.cpu_count()} CPUs.",
        results_table(rows, points), floor_table(floor, total.seconds), attribution_table(node_times(home)),
    ])


if __name__ == "__main__":
    main()
