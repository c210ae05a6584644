"""Fixtures of the ingestion tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkhu.config import Settings

from .helpers import Ingest


@pytest.fixture()
def ingest(home: Settings, tmp_path: Path) -> Ingest:
    folder = tmp_path / "files"
    folder.mkdir()
    return Ingest(home, folder)

