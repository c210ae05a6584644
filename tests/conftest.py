"""Shared fixtures: every test gets its own SPARKHU_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sparkhu.config import Settings, get_settings, known_variables

pytest_plugins = ["tests.postgres"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Point SPARKHU_HOME at a fresh folder for the test and return the settings in force."""
    monkeypatch.setenv("SPARKHU_HOME", str(tmp_path / "home"))
    for name in known_variables():  # nothing from the developer's shell leaks into a test
        if name != "SPARKHU_HOME":
            monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
