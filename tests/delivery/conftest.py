"""Fixtures of the delivery tests: each value set of the chart rendered once per session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.delivery.chart import VALUE_SETS, objects, render


@pytest.fixture(scope="session")
def renderings() -> dict[str, list[dict[str, Any]]]:
    """Value-set name -> the objects the chart renders with it."""
    return {name: objects(render(values)) for name, values in VALUE_SETS.items()}


@pytest.fixture(scope="session")
def default_objects(renderings: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The objects of a rendering with the chart's default values."""
    return renderings["defaults"]
