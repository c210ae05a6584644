"""Read feature declarations from a YAML or CSV file, or from an external SQL registry."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from sparkhu.metadata.feature_spec import FIELDS, FeatureInputError, FeatureSpec, validate_records

Record = tuple[str, Mapping[str, Any]]


class FeatureSourceError(RuntimeError):
    """An external registry that cannot be read (bad URL, unreachable server, failing query)."""


def load_feature_file(path: Path) -> list[FeatureSpec]:
    """Validated features of a YAML (``.yaml``/``.yml``) or CSV (``.csv``) file.

    YAML holds a list of mappings, or a mapping with one key ``features`` holding that list. CSV has a
    header row of field names; alert levels and tags are ``;``-separated in their cells.

    Raises:
        FeatureInputError: The file is missing, malformed or holds invalid features (with line numbers).

    """
    if not path.is_file():
        raise FeatureInputError([f"{path}: no such file"])
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return validate_records(_yaml_records(path))
    if suffix == ".csv":
        return validate_records(_csv_records(path))
    raise FeatureInputError([f"{path.name}: unsupported file type {suffix!r}: use .yaml, .yml or .csv"])


def _yaml_records(path: Path) -> list[Record]:
    """Items of a YAML feature file, each located by the line it starts on."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        # The node tree gives line numbers; the plain load gives the values.
        root, data = yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FeatureInputError([f"{path.name}: not valid YAML: {error}"]) from None
    if isinstance(data, dict) and set(data) == {"features"} and isinstance(root, yaml.MappingNode):
        data, root = data["features"], root.value[0][1]
    if not isinstance(data, list) or not data or not isinstance(root, yaml.SequenceNode):
        raise FeatureInputError(
            [f"{path.name}: expected a non-empty list of features, or a mapping with one key 'features'"]
        )
    return [
        (f"{path.name} line {node.start_mark.line + 1}", item)
        for node, item in zip(root.value, data, strict=True)
    ]


def _csv_records(path: Path) -> list[Record]:
    """Rows of a CSV feature file, each located by its line number (the header is line 1)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, restkey="\0extra")
        header = [name.strip() for name in reader.fieldnames or []]
        _check_columns(header, f"{path.name} line 1", "rename the column")
        records: list[Record] = []
        for row in reader:
            location = f"{path.name} line {reader.line_num}"
            if "\0extra" in row:
                raise FeatureInputError([f"{location}: more cells than the header has columns"])
            records.append((location, dict(zip(header, row.values(), strict=False))))
    if not records:
        raise FeatureInputError([f"{path.name}: no feature rows below the header"])
    return records


def _check_columns(columns: list[str], where: str, remedy: str) -> None:
    """Columns must be known, unique feature fields, ``id`` among them."""
    problems = [
        f"{where}: column {name!r} is not a feature field ({remedy}; fields: {', '.join(FIELDS)})"
        for name in columns
        if name not in FIELDS
    ]
    problems += [
        f"{where}: column {name!r} appears twice" for name in sorted(set(columns)) if columns.count(name) > 1
    ]
    if "id" not in columns:
        problems.append(f"{where}: no 'id' column ({remedy})")
    if problems:
        raise FeatureInputError(problems)


def parse_column_map(items: Iterable[str]) -> dict[str, str]:
    """``COLUMN=FIELD`` options as a mapping from source column to feature field.

    Raises:
        FeatureInputError: An item is not ``COLUMN=FIELD`` or names an unknown field.

    """
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for item in items:
        column, sep, field = (part.strip() for part in item.partition("="))
        if not sep or not column or field not in FIELDS:
            problems.append(f"--map {item!r}: expected COLUMN=FIELD with FIELD one of {', '.join(FIELDS)}")
        mapping[column] = field
    if problems:
        raise FeatureInputError(problems)
    return mapping


def display_url(url: str) -> str:
    """A database URL with its password hidden, for messages and feature origins."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return url


def read_sql_source(url: str, query: str, column_map: Mapping[str, str]) -> list[FeatureSpec]:
    """Validated features returned by ``query`` on the SQL database at ``url``.

    The query's column names are feature fields, after renaming through ``column_map``. The query runs in
    a transaction that is rolled back: the source is never written to.

    Raises:
        FeatureSourceError: The database cannot be reached or the query fails.
        FeatureInputError: Unknown columns or invalid rows (named by row number).

    """
    _refuse_missing_sqlite(url)
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ValueError) as error:
        raise FeatureSourceError(f"invalid source URL {display_url(url)!r}: {error}") from None
    try:
        with engine.connect() as connection:
            result = connection.exec_driver_sql(_driver_sql(query, connection.dialect.paramstyle))
            columns = [column_map.get(name, name) for name in list(result.keys())]
            rows = [dict(zip(columns, row, strict=True)) for row in result]
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise FeatureSourceError(f"cannot read features from {display_url(url)}: {reason}") from None
    finally:
        engine.dispose()
    _check_columns(columns, "source query", "rename it in the query or use --map COLUMN=FIELD")
    return validate_records((f"source row {number}", row) for number, row in enumerate(rows, start=1))


def _driver_sql(query: str, paramstyle: str) -> str:
    """The query as the driver must receive it to run it verbatim, without bound parameters.

    Sent at driver level, colons (``::text`` casts, times) are not taken as parameters; drivers with
    ``format``/``pyformat`` parameters (psycopg2, MySQL) still read ``%`` as one, so it is doubled.
    """
    return query.replace("%", "%%") if paramstyle in ("format", "pyformat") else query


def _refuse_missing_sqlite(url: str) -> None:
    """SQLite would silently create a missing file and report an empty registry: refuse instead."""
    try:
        parsed = make_url(url)
    except SQLAlchemyError as error:
        raise FeatureSourceError(f"invalid source URL {url!r}: {error}") from None
    database = parsed.database or ""
    is_file = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if is_file and not database.startswith("file:") and not Path(database).is_file():
        raise FeatureSourceError(f"source database file {database!r} does not exist")
