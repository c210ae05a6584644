"""What a reader hands on: the parsed table, the line of each row, and the rows it could not parse."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Reject:
    """A row a reader could not parse (wrong number of fields, invalid JSON).

    Attributes:
        line: Line in the file (1-based, header = 1), or -1 when unknown.
        text: The row's original text.
        reason: Why it was rejected.

    """

    line: int
    text: str
    reason: str


@dataclass
class RawTable:
    """A file as read, before any interpretation of its columns.

    Attributes:
        table: The rows, one column per file column.
        lines: Line (text formats) or 1-based row number (Parquet) of each row; -1 when unknown.
        rejects: Rows that could not be parsed at all.

    """

    table: pa.Table
    lines: np.ndarray
    rejects: list[Reject] = field(default_factory=list)
