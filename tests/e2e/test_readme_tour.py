"""The README's "A short tour", run as written: every ``sparkhu ...`` line through the real CLI app, in order.

The commands come from the README itself, so the tour cannot drift from what the CLI does. Its placeholders
(files such as ``data/nyc_taxi.csv``, ``<run-id>``, ``start=...``) are filled in by :data:`PLACEHOLDERS`, the
one place that knows them: input files are generated at the README's own (relative) paths in a temporary
working folder, so relative outputs (``taxi.csv``, ``report.html``, ``manifests/``) land there too.
"""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings, get_settings
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.runs import list_runs

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
TOUR_HEADING = "## A short tour"
SKIPPED = ("source .venv/bin/activate",)
# Options whose value is a file the command writes: relative, so it lands in the working folder.
OUTPUT_OPTIONS = ("--out", "-o", "--out-dir")
# An argument that names a file or folder, or is text to fill in, is a placeholder the test must know.
FILE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".html")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ONE_DAY = pd.Timedelta(days=1)
LEAD_DAYS = 2  # data starts this many days before the tour's first date: look-backs and settling see history
runner = CliRunner()


@dataclass(frozen=True)
class Window:
    """The UTC days the generated data covers, and the tour's first day (its one-day interval)."""

    start: pd.Timestamp
    end: pd.Timestamp
    day: pd.Timestamp


@dataclass
class Tour:
    """The state of a tour in progress: its window and what the commands printed so far."""

    window: Window
    outputs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Writes:
    """A file or folder the test writes at the placeholder's path, relative to the working folder."""

    make: Callable[[Path, Window], None]


@dataclass(frozen=True)
class Replaced:
    """Text that replaces the placeholder when its command runs (after the commands before it)."""

    value: Callable[[Tour], str]


# --------------------------------------------------------------------------------------------- input files


def _daily_wave(index: pd.DatetimeIndex, base: float, amplitude: float, noise: float, seed: int) -> np.ndarray:
    """A daily sine around ``base`` with Gaussian noise (seeded: the same file every run)."""
    rng = np.random.default_rng(seed)
    hours = (index.hour + index.minute / 60).to_numpy()
    return base + amplitude * np.sin(2 * np.pi * hours / 24) + rng.normal(0, noise, len(index))


def write_nab_like(path: Path, window: Window) -> None:
    """A NAB-style ``timestamp,value`` file: 30-minute taxi counts in naive New York time, with a spike."""
    index = pd.date_range(window.start, window.end, freq="30min", inclusive="left")
    values = _daily_wave(index, 15_000, 8_000, 500, seed=1).round()
    values[len(values) * 3 // 5] *= 2.5  # one burst the anomaly detector can find
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"timestamp": index.strftime("%Y-%m-%d %H:%M:%S"), "value": values}).to_csv(path, index=False)


def write_sensor_exports(folder: Path, window: Window) -> None:
    """A ``year=/month=/day=`` tree of long files with a ``sensor`` column: CSV days and one Parquet day."""
    sensors = {"hall.temperature": ("5min", 21.0, 3.0), "hall.pressure": ("10min", 101.3, 0.4)}
    for number, day in enumerate(pd.date_range(window.start, window.end, freq="D", inclusive="left")):
        parts = []
        for seed, (sensor, (period, base, amplitude)) in enumerate(sensors.items()):
            index = pd.date_range(day, day + ONE_DAY, freq=period, inclusive="left", tz="UTC")
            parts.append(pd.DataFrame({"timestamp": index.strftime("%Y-%m-%dT%H:%M:%SZ"), "sensor": sensor,
                                       "value": _daily_wave(index, base, amplitude, 0.1, seed=10 * number + seed)}))
        frame = pd.concat(parts, ignore_index=True)
        target = folder / f"year={day:%Y}" / f"month={day:%m}" / f"day={day:%d}"
        target.mkdir(parents=True, exist_ok=True)
        if number == 1:
            frame.to_parquet(target / "readings.parquet", index=False)
        else:
            frame.to_csv(target / "readings.csv", index=False)


def write_ett_like(path: Path, window: Window) -> None:
    """An ETT-style wide file: hourly ``date`` and seven load/temperature columns, one series each."""
    index = pd.date_range(window.start, window.end, freq="h", inclusive="left")
    frame = pd.DataFrame({"date": index.strftime("%Y-%m-%d %H:%M:%S")})
    for seed, column in enumerate(("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")):
        frame[column] = _daily_wave(index, 5.0 + seed, 2.0, 0.3, seed=100 + seed).round(3)
    frame.to_csv(path, index=False)


def write_features(path: Path, _window: Window) -> None:
    """A feature registry in the YAML form `sparkhu features import` reads (see ``FeatureSpec``)."""
    features = [
        {"id": "taxi", "name": "NYC taxi passengers", "unit": "passengers", "type": "count", "group": "nyc",
         "range_min": 0, "sampling_period": "30min", "timezone": "America/New_York", "tags": ["tour"]},
        {"id": "hall.temperature", "name": "Hall temperature", "unit": "degC", "type": "temperature",
         "group": "hall", "range_min": -40, "range_max": 80, "alert_levels": [30, 35], "sampling_period": "5min",
         "tags": ["tour", "hvac"]},
        {"id": "hall.pressure", "name": "Hall pressure", "unit": "kPa", "type": "pressure", "group": "hall",
         "range_min": 90, "range_max": 110, "sampling_period": "PT10M", "tags": ["tour"]},
    ]
    path.write_text(yaml.safe_dump({"features": features}, sort_keys=False))


def copy_committed_manifest(path: Path, _window: Window) -> None:
    """The committed WorkflowTemplate, at the same relative path as in the repository."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "manifests" / path.name, path)


def shown_run_id(tour: Tour) -> str:
    """The newest run's id as `sparkhu runs list` shows it (8 characters), checked against that output."""
    with session_scope(get_settings().database) as session:
        runs = list_runs(session, 1)
        newest = runs[0].id[:8] if runs else None
    assert newest is not None, "the tour made no workflow run before it needs a <run-id>"
    assert tour.outputs and newest in tour.outputs[-1], f"`runs list` does not show run {newest}"
    return newest


# Every placeholder of the README's tour and how the test fills it in; a new one in the README fails the test.
PLACEHOLDERS: dict[str, Writes | Replaced] = {
    "my-sensors.yaml": Writes(write_features),
    "data/nyc_taxi.csv": Writes(write_nab_like),
    "nyc_taxi.csv": Writes(write_nab_like),
    "exports/": Writes(write_sensor_exports),
    "ETTh1.csv": Writes(write_ett_like),
    "manifests/workflowtemplate-sparkhu-daily-univariate.yaml": Writes(copy_committed_manifest),
    "<run-id>": Replaced(shown_run_id),
    "start=...": Replaced(lambda tour: f"start={tour.window.day:%Y-%m-%d}"),
    "end=...": Replaced(lambda tour: f"end={tour.window.day + ONE_DAY:%Y-%m-%d}"),
}


# ------------------------------------------------------------------------------------------ README parsing


@dataclass(frozen=True)
class Command:
    """One ``sparkhu`` command of the tour: its README line number and arguments (without ``sparkhu``)."""

    line: int
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return f"README.md:{self.line}: sparkhu {shlex.join(self.argv)}"


def tour_commands(readme: str) -> list[Command]:
    """The ``sparkhu`` commands of the bash blocks under the tour heading, in order.

    Comments are dropped, ``&&`` splits a line into commands, and the virtualenv activation is skipped;
    any other shell command fails the test, since it could not run here.
    """
    lines = readme.splitlines()
    assert TOUR_HEADING in lines, f"README.md has no {TOUR_HEADING!r} section"
    commands: list[Command] = []
    in_block = False
    for number, line in enumerate(lines[lines.index(TOUR_HEADING) + 1:], start=lines.index(TOUR_HEADING) + 2):
        if line.startswith("## ") and not in_block:
            break
        if line.startswith("```"):
            in_block = not in_block and line.strip() == "```bash"
            continue
        if not in_block or line.strip() in SKIPPED:
            continue
        words: list[str] = []
        for word in [*shlex.split(line, comments=True), "&&"]:
            if word != "&&":
                words.append(word)
                continue
            if words:
                assert words[0] == "sparkhu", f"README.md:{number}: the tour can only run `sparkhu`, not {words}"
                commands.append(Command(number, tuple(words[1:])))
            words = []
    assert commands, f"no `sparkhu` commands in the bash blocks of README.md's {TOUR_HEADING!r}"
    return commands


def placeholders_of(command: Command) -> list[str]:
    """Arguments that name an input file or folder or are text to fill in (outputs excepted)."""
    found = []
    for index, word in enumerate(command.argv):
        if word.startswith("-") or (index and command.argv[index - 1] in OUTPUT_OPTIONS):
            continue
        if any(mark in word for mark in ("/", "<", ">", "...")) or word.lower().endswith(FILE_SUFFIXES):
            found.append(word)
    return found


def tour_window(commands: list[Command]) -> Window:
    """Data from ``LEAD_DAYS`` before the tour's first date to the day after its last one."""
    dates = sorted(pd.Timestamp(day) for command in commands for word in command.argv for day in DATE.findall(word))
    assert dates, "the tour names no date: the generated data would not know which days to cover"
    return Window(dates[0] - pd.Timedelta(days=LEAD_DAYS), dates[-1] + ONE_DAY, dates[0])


# -------------------------------------------------------------------------------------- checks of outcomes


def option(argv: tuple[str, ...], name: str) -> str:
    """The value of option ``name`` in ``argv``."""
    assert name in argv, f"expected {name} in sparkhu {shlex.join(argv)}"
    return argv[argv.index(name) + 1]


def check_outcome(argv: tuple[str, ...], output: str, workdir: Path) -> None:
    """What a few commands must have produced besides exit code 0."""
    if argv[:1] == ("export",):
        exported = pd.read_csv(workdir / option(argv, "--out"))
        assert len(exported) > 0, f"`sparkhu {shlex.join(argv)}` exported no rows"
        if "--series" in argv:
            assert set(exported["series_id"]) == {option(argv, "--series")}
    elif argv[:1] == ("report",):
        html = (workdir / option(argv, "--out")).read_text()
        assert len(html) > 20_000 and html.count("<svg") >= 2, "the report has no plots"
    elif argv[:1] == ("detect",):
        flags = pd.read_csv(workdir / option(argv, "--out"))
        rows = pd.read_csv(workdir / argv[1])
        assert len(flags) == len(rows), "detect writes one flagged row per input row"
        assert list(flags.columns) == ["timestamp", "value", "is_outlier", "is_anomaly", "anomaly_score"]
        assert flags.loc[flags["value"].idxmax(), "is_anomaly"], "the generated burst was not flagged"
    elif argv[:2] == ("task", "run"):
        rows_in = re.search(r"rows_in\W+(\d[\d,]*)", output)
        assert rows_in and int(rows_in.group(1).replace(",", "")) > 0, f"the task read nothing:\n{output}"
    elif argv[:2] == ("runs", "show"):
        assert "Succeeded" in output
    elif argv[:2] == ("manifests", "render"):
        written = [Path(line.removeprefix("wrote ").strip()) for line in output.splitlines()
                   if line.startswith("wrote ")]
        assert written, "`manifests render` wrote nothing"
        outside = [path for path in written if not (workdir / path).resolve().is_relative_to(workdir)]
        assert not outside, f"`manifests render` wrote outside the working folder: {outside}"
        assert (workdir / "manifests" / "workflowtemplate-sparkhu-daily-univariate.yaml").is_file()


# ---------------------------------------------------------------------------------------------------- test


def filled(word: str, tour: Tour) -> str:
    """``word`` with its replacement when it is a :class:`Replaced` placeholder (written files keep their path)."""
    fill = PLACEHOLDERS.get(word)
    return fill.value(tour) if isinstance(fill, Replaced) else word


def test_every_tour_command_runs_as_written(home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each command of the README's tour exits 0, on generated files that cover the tour's dates."""
    commands = tour_commands(README.read_text())
    used = {word for command in commands for word in placeholders_of(command)}
    unknown = sorted(used - PLACEHOLDERS.keys())
    assert not unknown, (f"README.md's tour uses {unknown}, which {Path(__file__).name} cannot fill in: "
                         "add each to PLACEHOLDERS (a file to write or a value to substitute)")
    stale = sorted(PLACEHOLDERS.keys() - used)
    assert not stale, f"PLACEHOLDERS has entries the README's tour no longer uses: {stale}"
    outside = [f"{command}" for command in commands for previous, word in itertools.pairwise(command.argv)
               if previous in OUTPUT_OPTIONS and Path(word).is_absolute()]
    assert not outside, f"the tour's outputs must be relative paths (in the working folder): {outside}"

    workdir = tmp_path / "tour"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    tour = Tour(tour_window(commands))
    for name, fill in PLACEHOLDERS.items():
        if isinstance(fill, Writes):
            fill.make(workdir / name, tour.window)

    for command in commands:
        argv = tuple(filled(word, tour) for word in command.argv)
        result = runner.invoke(app, list(argv), env={"COLUMNS": "200"})
        ran = f"{command}\n  ran as: sparkhu {shlex.join(argv)}\n  exit code {result.exit_code}"
        assert result.exit_code == 0, f"{ran}\n{result.output}"
        tour.outputs.append(result.output)
        check_outcome(argv, result.output, workdir)
