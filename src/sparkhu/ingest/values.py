"""Value parsing: numbers stay numbers, empty cells are NaN (marked missing), text is a bad value."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

# Cells that mean "no value": kept as NaN, a valid marked-missing point, not an error.
_MISSING_TOKENS = frozenset({"", "nan", "-nan", "na", "n/a", "#n/a", "null", "none"})


@dataclass
class ParsedValues:
    """Parsed values of a column.

    Attributes:
        values: float64, NaN for missing and bad cells.
        bad: Cells holding something that is not a number.

    """

    values: np.ndarray
    bad: np.ndarray


def parse_values(column: pa.ChunkedArray) -> ParsedValues:
    """Parse a value column whatever its type (booleans count as 0/1)."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _from_text(column)
    if pa.types.is_null(kind):
        return ParsedValues(np.full(len(column), np.nan), np.zeros(len(column), dtype=bool))
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind) \
            or pa.types.is_boolean(kind):
        numbers = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return ParsedValues(numbers.astype(np.float64, copy=False), np.zeros(len(column), dtype=bool))
    # Dates, lists, structs...: not a measurement.
    bad = ~column.is_null().to_numpy(zero_copy_only=False)
    return ParsedValues(np.full(len(column), np.nan), bad)


def _from_text(column: pa.ChunkedArray) -> ParsedValues:
    """Text cells: the arrow cast is tried first (fast); pandas coerces when some cells are not numbers."""
    try:
        numbers = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return ParsedValues(numbers, np.zeros(len(column), dtype=bool))
    except pa.ArrowException:  # invalid text or a cast Arrow does not offer: take the slower path
        pass
    texts = column.to_pandas()
    numbers = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=np.float64)
    unparsed = np.isnan(numbers) & texts.notna().to_numpy()
    tokens = texts[unparsed].str.strip().str.lower()
    bad = np.zeros(len(texts), dtype=bool)
    bad[np.flatnonzero(unparsed)] = ~tokens.isin(_MISSING_TOKENS).to_numpy()
    return ParsedValues(numbers, bad)
