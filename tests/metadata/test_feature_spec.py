"""FeatureSpec validation and duration parsing: known answers, clear messages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sparkhu.durations import format_duration, parse_duration
from sparkhu.metadata.feature_spec import FeatureInputError, FeatureSpec, validate_records


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (300, 300.0),
        ("300", 300.0),
        ("5min", 300.0),
        ("1h", 3600.0),
        ("1h30min", 5400.0),
        ("2 days", 172800.0),
        ("500ms", 0.5),
        ("PT15M", 900.0),
        ("pt1h", 3600.0),
        ("P1DT12H", 129600.0),
        ("P1W", 604800.0),
        ("PT0.5S", 0.5),
    ],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "P1M", "P1Y", "5 parsecs", "min", "5min3", "-5", "0", "inf"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_duration_text_round_trips() -> None:
    assert [format_duration(s) for s in (300, 3600, 5400, 86400, 0.5, 90)] == [
        "5min",
        "1h",
        "90min",
        "1d",
        "0.5s",
        "90s",
    ]


def test_spec_normalises_inputs_from_any_source() -> None:
    spec = FeatureSpec.model_validate(
        {
            "id": 101,
            "alert_levels": "1; 5",
            "tags": "b;a;b",
            "sampling_period": Decimal("60"),
            "range_min": "0",
            "range_max": Decimal("10.5"),
            "unit": "  V ",
            "description": None,
        }
    )
    assert (spec.id, spec.name, spec.unit, spec.description) == ("101", "101", "V", "")
    assert (spec.range_min, spec.range_max, spec.alert_levels) == (0.0, 10.5, [1.0, 5.0])
    assert (spec.sampling_period, spec.timezone, spec.tags) == (60.0, "UTC", ["a", "b"])


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"id": ""}, "field 'id': Field required"),
        ({"id": "  "}, "field 'id': String should have at least 1 character"),
        ({"id": "a", "range_min": True}, "field 'range_min': expected a number, got True"),
        ({"id": "a", "range_max": "nan"}, "field 'range_max': expected a finite number"),
        ({"id": "a", "alert_levels": [3, 1]}, "alert_levels must be strictly ascending"),
        ({"id": "a", "alert_levels": [1, 1]}, "alert_levels must be strictly ascending"),
        ({"id": "a", "range_max": 10, "alert_levels": [5, 11]}, "alert levels [11.0] lie outside"),
        ({"id": "a", "timezone": "CEST"}, "field 'timezone': unknown time zone 'CEST'"),
        ({"id": "a", "sampling_period": "-1h"}, "field 'sampling_period': '-1h' is not a duration"),
        ({"id": "a", "sampling_period": True}, "field 'sampling_period': expected seconds or a duration"),
        ({"id": "a", "min": 1}, "field 'min': unknown field (known fields: id, name,"),
        ({"id": "a", "tags": [True]}, "field 'tags.0': expected text, got the boolean True"),
        ("not a mapping", "row 1: Input should be a valid dictionary"),
    ],
)
def test_invalid_records_are_named(record: object, message: str) -> None:
    with pytest.raises(FeatureInputError) as caught:
        validate_records([("row 1", record)])  # type: ignore[list-item]
    assert message in str(caught.value)


def test_all_problems_are_reported_and_long_lists_are_cut() -> None:
    records = [(f"line {n}", {"id": f"f{n}", "range_min": "x"}) for n in range(2, 32)]
    with pytest.raises(FeatureInputError) as caught:
        validate_records(records)
    assert len(caught.value.problems) == 30
    assert "line 21 (id 'f21')" in str(caught.value)
    assert "line 22 (id 'f22')" not in str(caught.value)
    assert "... and 10 more" in str(caught.value)
