"""The engine contract: a task declares its data path as a :class:`SeriesStep`; an engine runs it.

A step is *read these slices -> run a function on whole series -> write these slices*. The function
gets, for some set of series, every input frame restricted to those series (a series is never split
between calls) and returns frames by name; the engine writes the named outputs to their tables and
hands the others back to the task, concatenated over all calls (small per-series or per-call
summaries that the task turns into its report). The local engine runs the function in-process or on a
process pool; a cluster engine (Spark) runs it per group of series where the data lives. Tasks never
touch the data in between, so the engine decides how it moves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from sparkhu.storage.lake import Lake, Slice

SeriesFunction = Callable[..., Mapping[str, pd.DataFrame]]
"""``compute(frames, **kwargs) -> {name: frame}``: pure, module-level (so that it can be shipped)."""


@dataclass(frozen=True)
class Read:
    """One input of a step: a slice of a table.

    Attributes:
        table: Table name.
        where: The slice to read (the run's series and some interval).
        columns: Columns to read (None: every declared column).
    """

    table: str
    where: Slice
    columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Write:
    """One output of a step: the slice of a table that the step's frame of the same name replaces."""

    table: str
    where: Slice


@dataclass(frozen=True)
class SeriesStep:
    """A task's data path.

    Attributes:
        reads: Input name -> slice; the function gets a frame per name.
        compute: The per-series function (see :data:`SeriesFunction`).
        writes: Output name -> slice it replaces; every name must be returned by ``compute``.
        kwargs: Constants passed to every call (parameters, per-series lookups such as periods).
        given: Frames the task already holds (per-series metadata from the registry, with a
            ``series_id`` column), split between calls like the inputs so that each series' row
            reaches exactly the call that gets its data.
    """

    reads: Mapping[str, Read]
    compute: SeriesFunction
    writes: Mapping[str, Write]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    given: Mapping[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    """What running a step did.

    Attributes:
        rows_in: Rows read per input name.
        rows_out: Rows written per output name.
        n_series: Distinct series in the first written output (the first input when nothing is written).
        collected: The function's outputs that are not written, concatenated over all calls.
        versions: Table version after each write, per output name.
        seconds: Wall time per phase (``read``, ``compute``, ``write``), for the report row.
    """

    rows_in: dict[str, int]
    rows_out: dict[str, int]
    n_series: int
    collected: dict[str, pd.DataFrame]
    versions: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)

    def totals(self, name: str = "counts") -> dict[str, int]:
        """Column sums of the collected frame ``name`` (the calls' :func:`counts` rows); empty when absent."""
        frame = self.collected.get(name)
        if frame is None:
            return {}
        return {str(column): int(frame[column].sum()) for column in frame.columns}


def counts(**values: int) -> pd.DataFrame:
    """One call's named counts as a one-row frame; :meth:`StepResult.totals` sums them over the calls."""
    return pd.DataFrame({name: [int(value)] for name, value in values.items()})


class Engine(Protocol):
    """Runs a :class:`SeriesStep` against a lake."""

    name: str

    def run(self, lake: Lake, step: SeriesStep) -> StepResult:
        """Read the step's inputs, run its function on whole series, write its outputs."""
        ...
