"""Which columns a layout needs from a file, and the clear error when one is missing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from sparkhu.ingest.errors import FileLevelError
from sparkhu.ingest.options import IngestOptions, Layout

_SHOWN_COLUMNS = 12


@dataclass(frozen=True)
class Wanted:
    """The columns to read from a file.

    Attributes:
        required: ``(column, option that names it)`` pairs that must be present.
        as_text: Columns read as text whatever they look like (series ids such as ``007`` must not
            become numbers; timestamps with an explicit ``--time-format`` must reach the parser as text).
        everything: Read every column (wide layout).

    """

    required: tuple[tuple[str, str], ...]
    as_text: tuple[str, ...]
    everything: bool = False

    @property
    def names(self) -> list[str]:
        """The required column names."""
        return [name for name, _ in self.required]


def wanted_columns(options: IngestOptions) -> Wanted:
    """The columns ``options``' layout reads."""
    time = (options.time_column, "--time-column")
    text_time = (options.time_column,) if options.time_format else ()
    if options.layout is Layout.WIDE:
        return Wanted(required=(time,), as_text=text_time, everything=True)
    value = (options.value_column, "--value-column")
    if options.layout is Layout.SINGLE:
        return Wanted(required=(time, value), as_text=text_time)
    flag = "--series-column" if options.series_column else "--series-column, --series-id NAME or --wide"
    series = (options.series_key, flag)
    return Wanted(required=(series, time, value), as_text=(options.series_key, *text_time))


def check_columns(present: Sequence[str], wanted: Wanted) -> None:
    """Raise ``FileLevelError`` naming the first missing or repeated column and the option to fix it."""
    shown = ", ".join(repr(name) for name in list(present)[:_SHOWN_COLUMNS])
    more = ", ..." if len(present) > _SHOWN_COLUMNS else ""
    for name, flag in wanted.required:
        if name not in present:
            raise FileLevelError(f"column {name!r} not found (set it with {flag}); the file has "
                                 f"columns [{shown}{more}]")
    repeated = sorted({name for name in present if list(present).count(name) > 1})
    if repeated:
        raise FileLevelError(f"column name(s) {repeated} appear more than once in the header")


def as_text(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """``table`` with the columns ``names`` cast to text (ids 7 and "7" are the same series)."""
    for name in names:
        column = table.column(name)
        if pa.types.is_string(column.type):
            continue
        try:
            column = column.cast(pa.string())
        except pa.ArrowException:  # invalid text or a cast Arrow does not offer: take the slower path
            raise FileLevelError(f"column {name!r} holds {column.type} values, not text") from None
        table = table.set_column(table.column_names.index(name), name, column)
    return table
