"""Chain benchmark: raw CSV to ``windows``, Sparkhu against the plain pandas + statsmodels chain, per history span.

For each history span (``--spans`` in days), one step after the other on one machine (never concurrently):

(a) generate ``--points`` rows over ``--series`` series whose periods make the slowest series span that
    many days (``data.py``: periods from span/points/60 to span/points, jitter, 2 % gaps, 0.5 % duplicates);
(b) ``sparkhu ingest FILE --series-column series`` then ``sparkhu run`` in a fresh SPARKHU_HOME;
(c) ``baseline.py csv FILE`` (the plain chain, see baseline.py) on the same CSV;
(d) where the time went: per task, node wall time, the task's own time and its read / compute / write
    seconds (from the report rows), and the Parquet files each table holds after the run;
(e) optionally the physical floor on the same data (``--floor``, see ceiling.py).

NAB F1 of both chains (``sparkhu detect`` over the 30 NAB files against the baseline's 3-sigma flags) is
measured once (``--nab``; skipped when the folder is absent). Every command runs as a subprocess; its wall
time and the peak RSS of its whole process tree (sampled every 50 ms with psutil) are recorded.

Usage: python benchmarks/chain/run.py [--spans 7 30 456 1095] [--points 1000000] [--series 100]
       [--skip-baseline] [--floor] [--out FILE.md]
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

from benchmarks.chain.ceiling import measure_floor
from benchmarks.chain.data import generate
from benchmarks.cli import UNIVARIATE_RUN, sparkhu_cli
from benchmarks.nab.run import detect_outputs
from benchmarks.nab.scorer import Score, score
from benchmarks.pipeline.run import Measured, measure
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.runs import list_runs
from sparkhu.storage.lake import Lake
from sparkhu.storage.tables import TABLES

REPO = Path(__file__).resolve().parents[2]
DEFAULT_NAB = REPO.parent / "shared" / "data" / "nab"
BASELINE = Path(__file__).resolve().with_name("baseline.py")
SPANS = (7.0, 30.0, 456.0, 1095.0)
TARGET_POINTS_PER_S = 60_000
TARGET_SPEED_UP = 20.0


@dataclass(frozen=True)
class SpanResult:
    """Everything measured for one history span."""

    span_days: float
    periods: tuple[float, float]
    ingest: Measured
    run: Measured
    baseline: Measured | None
    tasks: pd.DataFrame
    files: dict[str, int]
    wall_s: float

    @property
    def sparkhu_s(self) -> float:
        """CSV to windows: ingest + run."""
        return self.ingest.seconds + self.run.seconds


def run_sparkhu(csv: Path, home: Path) -> tuple[Measured, Measured]:
    """Ingest ``csv`` and run the univariate chain (CSV to ``windows``) in a fresh home; (ingest, run).

    (:data:`~benchmarks.cli.UNIVARIATE_RUN`: a plain ``sparkhu run`` would also tune and train.)
    """
    shutil.rmtree(home, ignore_errors=True)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SPARKHU_")}, "SPARKHU_HOME": str(home)}
    ingest = measure([sparkhu_cli(), "ingest", str(csv), "--series-column", "series"], env)
    return ingest, measure([sparkhu_cli(), *UNIVARIATE_RUN], env)


def run_baseline(csv: Path, out_dir: Path) -> Measured:
    """The plain chain on ``csv``, writing under ``out_dir``."""
    shutil.rmtree(out_dir, ignore_errors=True)
    return measure([sys.executable, str(BASELINE), "csv", str(csv), "--out-dir", str(out_dir)], dict(os.environ))


def nab_scores(nab: Path, work: Path) -> tuple[Score, Score]:
    """NAB F1 of ``sparkhu detect`` and of the baseline's 3-sigma flags, over every labelled file."""
    labels: dict[str, list[list[str]]] = json.loads((nab / "labels" / "combined_windows.json").read_text())
    files = [str(nab / "data" / key) for key in sorted(labels)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("SPARKHU_")}
    measure([sparkhu_cli(), "detect", *files, "--out-dir", str(work / "nab-sparkhu")], env)
    measure([sys.executable, str(BASELINE), "nab", str(nab), "--out-dir", str(work / "nab-baseline")],
            dict(os.environ))
    ours = score(detect_outputs(work / "nab-sparkhu", sorted(labels)), labels)
    theirs = score(detect_outputs(work / "nab-baseline", sorted(labels)), labels)
    return ours, theirs


def task_times(home: Path) -> tuple[pd.DataFrame, float]:
    """Per task of the latest run: nodes, summed node wall time, task time and its phases; the run's wall."""
    with session_scope(f"sqlite:///{home / 'sparkhu.db'}") as session:
        run = list_runs(session, 1)[0]
        nodes = pd.DataFrame([{"task": node.template.removeprefix("task-"), "node_s": node.duration_s or 0.0}
                              for node in run.nodes if node.template.startswith("task-")])
        wall = run.duration_s or 0.0
    reports = Lake(str(home / "lake")).read("reports")
    phases = pd.DataFrame([{"task": row.task, "task_s": row.duration_s,
                            **{k.removeprefix("seconds."): v for k, v in json.loads(row.metrics).items()
                               if k.startswith("seconds.")}} for row in reports.itertuples()])
    table = nodes.groupby("task").agg(nodes=("node_s", "size"), node_s=("node_s", "sum"))
    table = table.join(phases.groupby("task").sum(numeric_only=True))
    return table.sort_values("node_s", ascending=False), wall


def files_per_table(home: Path) -> dict[str, int]:
    """Parquet files of every table after the run (the current version's file list)."""
    lake = Lake(str(home / "lake"))
    return {name: lake.summary(name).files for name in TABLES if lake.summary(name).version is not None}


def measure_span(span: float, points: int, n_series: int, work: Path, baseline: bool, floor: bool) -> SpanResult:
    """Generate the span's data, run both chains, collect the attribution."""
    csv = work / f"data-{points}-{n_series}-{span:g}d.csv"
    periods = generate(csv, points, n_series, span)
    home = work / f"home-{span:g}d"
    ingest, run = run_sparkhu(csv, home)
    print(f"span {span:g} d: sparkhu ingest {ingest.seconds:.1f} s, run {run.seconds:.1f} s", flush=True)
    base = run_baseline(csv, work / "baseline-out") if baseline else None
    if base is not None:
        print(f"span {span:g} d: baseline {base.seconds:.1f} s", flush=True)
    if floor:
        found = measure_floor(csv, home / "lake", work / "floor")
        print(f"span {span:g} d: floor {found.total_s:.2f} s (raw + windows only {found.minimal_s:.2f} s)")
    tasks, wall = task_times(home)
    return SpanResult(span, (float(periods.min()), float(periods.max())), ingest, run, base, tasks,
                      files_per_table(home), wall)


def span_table(results: list[SpanResult], points: int) -> str:
    """One line per span: times, throughput, memory, speed-up, files, with the targets checked."""
    lines = ["| span | periods | ingest s | run s | CSV → windows s | points/s | peak MiB | baseline s | "
             "speed-up | files |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rate = points / r.sparkhu_s
        speed = "-" if r.baseline is None else f"{r.baseline.seconds / r.sparkhu_s:.1f}x"
        base = "-" if r.baseline is None else f"{r.baseline.seconds:,.1f}"
        peak = max(r.ingest.peak_mib, r.run.peak_mib)
        lines.append(f"| {r.span_days:g} d | {_duration(r.periods[0])} to {_duration(r.periods[1])} | "
                     f"{r.ingest.seconds:.1f} | {r.run.seconds:.1f} | {r.sparkhu_s:.1f} | {rate:,.0f} | {peak:,.0f} | "
                     f"{base} | {speed} | {sum(r.files.values())} |")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    """A period as ``30 s``, ``5 min`` or ``1.5 h``."""
    if seconds < 120:
        return f"{seconds:g} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def task_table(result: SpanResult) -> str:
    """Where one span's ``sparkhu run`` spent its time, per task."""
    lines = [f"`sparkhu run` at {result.span_days:g} d: wall {result.wall_s:.1f} s in the executor, node times "
             f"summed {result.tasks['node_s'].sum():.1f} s (nodes run in parallel on the workers).", "",
             "| task | nodes | node s | task s | read s | compute s | write s |", "|---|---|---|---|---|---|---|"]
    for row in result.tasks.fillna(0.0).itertuples():
        lines.append(f"| {row.Index} | {row.nodes} | {row.node_s:.1f} | {row.task_s:.1f} | {row.read:.1f} | "
                     f"{row.compute:.1f} | {row.write:.1f} |")
    return "\n".join(lines)


def files_table(results: list[SpanResult]) -> str:
    """Files per table after the run, one column per span."""
    names = sorted({name for r in results for name in r.files})
    header = "| table | " + " | ".join(f"{r.span_days:g} d" for r in results) + " |"
    lines = [header, "|---|" + "---|" * len(results)]
    lines += [f"| {name} | " + " | ".join(str(r.files.get(name, 0)) for r in results) + " |" for name in names]
    return "\n".join(lines)


def main() -> None:
    """Run every span and print (and optionally write) the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=float, nargs="+", default=list(SPANS), help="History spans in days")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--nab", type=Path, default=DEFAULT_NAB, help="NAB folder (skipped when absent)")
    parser.add_argument("--skip-baseline", action="store_true", help="Do not run the plain chain (no speed-up)")
    parser.add_argument("--floor", action="store_true", help="Also measure the physical floor per span")
    parser.add_argument("--work", type=Path, default=None, help="Folder for data and outputs (temporary by default)")
    parser.add_argument("--out", type=Path, default=None, help="Also write the report (Markdown) here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sparkhu-chain-"))
    work.mkdir(parents=True, exist_ok=True)
    results = [measure_span(span, args.points, args.series, work, not args.skip_baseline, args.floor)
               for span in args.spans]
    sections = [f"Chain benchmark: {args.points:,} points over {args.series} series, {os.cpu_count()} CPUs; "
                f"targets: >= {TARGET_POINTS_PER_S:,} points/s and >= {TARGET_SPEED_UP:g}x on every span.",
                span_table(results, args.points), "Files per table after the run:", files_table(results),
                *[task_table(result) for result in results]]
    if args.nab.is_dir():
        ours, theirs = nab_scores(args.nab, work)
        sections.append(f"NAB F1 over the 30 files: sparkhu {ours.f1:.3f} ({ours.detected} detected, "
                        f"{ours.false_positives} FP); baseline 3-sigma {theirs.f1:.3f} ({theirs.detected} detected, "
                        f"{theirs.false_positives} FP).")
    report = "\n\n".join(sections)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")


if __name__ == "__main__":
    main()
