"""A synthetic lake shared by the report tests that only read it."""

from __future__ import annotations

import pytest

from sparkhu.storage.lake import Lake
from tests.reporting.synthetic import Truth, populate


@pytest.fixture(scope="module")
def full_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, Truth]:
    """Every table a report draws on, for two series and two runs."""
    lake = Lake(str(tmp_path_factory.mktemp("lake")))
    return lake, populate(lake)
