"""NAB through the real path: `sparkhu ingest` every file, `sparkhu run`, then export and compare.

Acceptance of the spine: on every NAB file the decided period equals the file's dominant step, and the
unmarked missing count equals sum(round(gap / period) - 1) over gaps of at least 1.5 periods (within 2 %).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings
from tests.conftest import SHARED

NAB = SHARED / "data" / "nab" / "data"
FILES = sorted(NAB.glob("*/*.csv"))
runner = CliRunner()

pytestmark = pytest.mark.skipif(not FILES, reason="../shared/data/nab is not present")


def expected(path: Path) -> tuple[float, int]:
    """The file's dominant step and the gap formula's missing count, from the raw CSV."""
    stamps = pd.to_datetime(pd.read_csv(path)["timestamp"]).drop_duplicates().sort_values()
    steps = stamps.diff().dropna().dt.total_seconds().to_numpy()
    step = float(pd.Series(steps).mode().iloc[0])
    ratios = steps / step
    return step, int(np.sum(np.round(ratios[ratios >= 1.5]) - 1))


def sparkhu(*argv: str) -> None:
    result = runner.invoke(app, list(argv))
    assert result.exit_code == 0, result.output


def test_every_nab_file_period_and_unmarked_missing(home: Settings, tmp_path: Path) -> None:
    for path in FILES:
        sparkhu("ingest", str(path), "--series-id", path.stem, "--time-column", "timestamp",
                "--value-column", "value")
    sparkhu("run", "--workflow", "univariate")
    sparkhu("export", "regularity", "--out", str(tmp_path / "regularity.csv"))
    sparkhu("export", "missing_marked", "--out", str(tmp_path / "missing.csv"))
    decided = pd.read_csv(tmp_path / "regularity.csv").set_index("series_id")
    missing = pd.read_csv(tmp_path / "missing.csv")
    unmarked = missing[missing.missing_kind == "unmarked"].groupby("series_id").size()
    problems = []
    for path in FILES:
        step, count = expected(path)
        period, produced = decided.loc[path.stem, "period_seconds"], int(unmarked.get(path.stem, 0))
        if period != step or abs(produced - count) > 0.02 * count:
            problems.append(f"{path.stem}: period {period} vs {step}, missing {produced} vs {count}")
    assert not problems, "\n".join(problems)
    assert len(decided) == len(FILES) == 30


def test_sparkhu_detect_on_nab_meets_the_f1_target(home: Settings, tmp_path: Path) -> None:
    """`sparkhu detect` over the 30 NAB files, scored by the issue's protocol: F1 >= 0.45 with defaults."""
    import json

    from benchmarks.nab.run import detect_outputs
    from benchmarks.nab.scorer import score

    out = tmp_path / "detect"
    result = runner.invoke(app, ["detect", *map(str, FILES), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    first = pd.read_csv(out / "realTraffic" / "speed_6005.csv")
    assert list(first.columns[:5]) == ["timestamp", "value", "is_outlier", "is_anomaly", "anomaly_score"]
    assert len(first) == len(pd.read_csv(NAB / "realTraffic" / "speed_6005.csv"))
    labels = json.loads((NAB.parent / "labels" / "combined_windows.json").read_text())
    results = score(detect_outputs(out, sorted(labels)), labels)
    assert results.files == 30
    assert results.f1 >= 0.45, f"F1 {results.f1:.3f} (precision {results.precision:.3f}, recall {results.recall:.3f})"
