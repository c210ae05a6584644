"""Validation of feature records (from YAML, CSV or an external SQL registry) into ``FeatureSpec``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sparkhu.durations import parse_duration

# Separator of list cells (alert levels, tags) in CSV files and in text columns of SQL registries.
LIST_SEPARATOR = ";"
# Problems listed in one error message at most: enough to fix a file, short enough to read.
_MAX_PROBLEMS = 20


class FeatureInputError(ValueError):
    """Feature records that cannot be used; ``problems`` names each bad place (line, row, field)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:_MAX_PROBLEMS]
        more = len(problems) - len(shown)
        tail = f"\n  ... and {more} more" if more else ""
        super().__init__("\n  ".join(["invalid feature metadata:", *shown]) + tail)


def _text(value: object) -> object:
    """Accept integer codes as text (registries often use numeric ids), refuse booleans and floats."""
    if isinstance(value, bool):
        raise ValueError(f"expected text, got the boolean {value}")
    return str(value) if isinstance(value, int) else value


def _number(value: object) -> float:
    """A finite float from a number or numeric text; booleans are refused, not read as 0/1."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def _split(value: object) -> object:
    """Lists arrive as YAML lists or as ``;``-separated text (CSV cells, SQL text columns)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    return value


def _duration(value: object) -> float:
    """A declared sampling period in seconds, from a number or a duration text."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f"expected seconds or a duration text such as 5min or PT15M, got {value!r}")
    return parse_duration(float(value) if isinstance(value, Decimal) else value)


def _zone(value: object) -> object:
    """An IANA time-zone name that this machine's zone database knows."""
    if not isinstance(value, str):
        return value
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name such as UTC or Europe/Paris"
        ) from None
    return value.strip()


Text = Annotated[str, BeforeValidator(_text)]
Number = Annotated[float, BeforeValidator(_number)]


class FeatureSpec(BaseModel):
    """A feature as declared by a source, validated; ``sampling_period`` is in seconds.

    Unknown fields are refused, blank values mean "not given", lists are sorted out (tags sorted and
    unique, alert levels strictly ascending) so that two declarations of the same feature compare equal.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: Text = Field(min_length=1, max_length=200)
    name: Text = Field(default="", max_length=200)
    description: Text = ""
    unit: Text = Field(default="", max_length=50)
    type: Text = Field(default="", max_length=100)
    group: Text = Field(default="", max_length=200)
    range_min: Number | None = None
    range_max: Number | None = None
    alert_levels: Annotated[list[Number], BeforeValidator(_split)] = Field(default_factory=list)
    sampling_period: Annotated[float | None, BeforeValidator(_duration)] = None
    timezone: Annotated[str, BeforeValidator(_zone)] = "UTC"
    tags: Annotated[list[Text], BeforeValidator(_split)] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _drop_blanks(cls, data: Any) -> Any:
        """Treat empty cells and nulls as absent, so that defaults apply."""
        if not isinstance(data, Mapping):
            return data
        given = {key: value for key, value in data.items() if value is not None and value != ""}
        ident = given.get("id")
        # A feature without a name is called by its id (a bad id is reported once, on the id).
        named = isinstance(ident, str | int) and not isinstance(ident, bool)
        return {"name": ident, **given} if named else given

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Range bounds in order; alert levels strictly ascending and reachable within the range."""
        low, high, levels = self.range_min, self.range_max, self.alert_levels
        if low is not None and high is not None and low > high:
            raise ValueError(f"range_min ({low:g}) is above range_max ({high:g})")
        if any(later <= earlier for earlier, later in pairwise(levels)):
            raise ValueError(f"alert_levels must be strictly ascending, got {levels}")
        outside = [
            level
            for level in levels
            if (low is not None and level < low) or (high is not None and level > high)
        ]
        if outside:
            raise ValueError(f"alert levels {outside} lie outside the physical range [{low}, {high}]")
        return self

    @field_validator("tags")
    @classmethod
    def _sorted_tags(cls, tags: list[str]) -> list[str]:
        """Tags are a set: sorted and unique, so that their order never counts as a change."""
        return sorted(set(tags))


FIELDS: tuple[str, ...] = tuple(FeatureSpec.model_fields)


def validate_records(records: Iterable[tuple[str, Mapping[str, Any]]]) -> list[FeatureSpec]:
    """Validate located records; every problem of every record is reported at once.

    Args:
        records: Pairs of (location, record), the location naming where the record was read, such as
            ``"features.csv line 4"``.

    Returns:
        The specs in input order.

    Raises:
        FeatureInputError: At least one record is invalid, or an id is declared twice.

    """
    specs: list[FeatureSpec] = []
    problems: list[str] = []
    first_seen: dict[str, str] = {}
    for location, record in records:
        try:
            spec = FeatureSpec.model_validate(record)
        except ValidationError as error:
            problems.extend(_describe(location, record, error))
            continue
        if spec.id in first_seen:
            problems.append(f"{location}: id {spec.id!r} is already declared at {first_seen[spec.id]}")
            continue
        first_seen[spec.id] = location
        specs.append(spec)
    if problems:
        raise FeatureInputError(problems)
    return specs


def _describe(location: str, record: Mapping[str, Any], error: ValidationError) -> list[str]:
    """One readable line per pydantic error: where, which feature, which field, what is wrong."""
    ident = record.get("id") if isinstance(record, Mapping) else None
    where = f"{location} (id {ident!r})" if ident not in (None, "") else location
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = f"unknown field (known fields: {', '.join(FIELDS)})"
        lines.append(f"{where}: field {field!r}: {message}" if field else f"{where}: {message}")
    return lines
