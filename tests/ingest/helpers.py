"""Helpers shared by the ingestion tests: write files, ingest them, read the tables back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sparkhu.config import Settings
from sparkhu.ingest import IngestOptions, IngestReport, ingest_paths
from sparkhu.storage.lake import Lake


class Ingest:
    """Run ingestion against the test's home and read the resulting tables back."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.settings = settings
        self.folder = folder
        self.lake = Lake(settings.lake, settings.storage_options)

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def run(self, *paths: str | Path, **options: object) -> IngestReport:
        return ingest_paths([str(p) for p in paths], IngestOptions(**options), self.settings)  # type: ignore[arg-type]

    def raw(self) -> pd.DataFrame:
        return self.lake.read("raw").sort_values(["series_id", "ts"], ignore_index=True)

    def quarantine(self) -> pd.DataFrame:
        return self.lake.read("quarantine").sort_values(["file", "line"], ignore_index=True)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")
