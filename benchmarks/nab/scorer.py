"""The NAB window scorer of issue 4, exactly as the issue states the protocol.

* The first ``min(floor(0.15 * n), 750)`` points of a file (the probationary period) are not scored:
  flags there count neither for nor against a detector.
* A labelled window ``[start, end]`` (inclusive) is detected when at least one flagged, scored point
  lies inside it.
* Every maximal run of consecutive flagged, scored points outside all windows is one false positive
  (a run is split where a window begins or ends, since the points inside break it).
* A file that flags more than 5 % of its scored points detects nothing (its false positives still count).
* Precision, recall and F1 come from the totals over all files; recall counts every labelled window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

PROBATION_FRACTION = 0.15
PROBATION_CAP = 750
MAX_FLAGGED_SHARE = 0.05

Window = tuple[str, str] | tuple[pd.Timestamp, pd.Timestamp] | Sequence[str]


@dataclass(frozen=True)
class FileScore:
    """What one file contributed: windows, detected windows, false positives, flagged share."""

    windows: int
    detected: int
    false_positives: int
    flagged_share: float


@dataclass(frozen=True)
class Score:
    """Totals over all files and the per-file details."""

    files: int
    windows: int
    detected: int
    false_positives: int
    per_file: dict[str, FileScore]

    @property
    def precision(self) -> float:
        """Detected windows over detected windows plus false positives (0 without alarms)."""
        alarms = self.detected + self.false_positives
        return self.detected / alarms if alarms else 0.0

    @property
    def recall(self) -> float:
        """Detected windows over all windows (0 without windows)."""
        return self.detected / self.windows if self.windows else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0 when both are 0)."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def probation_length(n_points: int) -> int:
    """Points at the start of a file that are not scored: ``min(floor(0.15 n), 750)``."""
    return min(int(np.floor(PROBATION_FRACTION * n_points)), PROBATION_CAP)


def score_file(timestamps: Sequence[object] | pd.Series, flags: npt.ArrayLike, windows: Sequence[Window]) -> FileScore:
    """Score one file's flags against its labelled windows.

    Args:
        timestamps: One timestamp per point of the file (any order; naive values compare with naive windows).
        flags: One boolean per timestamp.
        windows: Inclusive ``(start, end)`` pairs.

    Returns:
        The file's :class:`FileScore`.

    Raises:
        ValueError: If timestamps and flags differ in length.

    """
    stamps = pd.to_datetime(pd.Series(timestamps)).reset_index(drop=True)
    flagged = np.asarray(flags, dtype=bool)
    if len(stamps) != len(flagged):
        raise ValueError(f"{len(stamps)} timestamps but {len(flagged)} flags")
    order = np.argsort(stamps.to_numpy(), kind="stable")
    stamps, flagged = stamps.iloc[order].reset_index(drop=True), flagged[order]
    scored = np.arange(len(stamps)) >= probation_length(len(stamps))
    hits = flagged & scored
    inside = np.zeros(len(stamps), dtype=bool)
    detected = 0
    for start, end in windows:
        in_window = ((stamps >= pd.Timestamp(start)) & (stamps <= pd.Timestamp(end))).to_numpy()
        inside |= in_window
        detected += bool((hits & in_window).any())
    share = float(hits.sum() / scored.sum()) if scored.any() else 0.0
    if share > MAX_FLAGGED_SHARE:
        detected = 0
    return FileScore(len(windows), detected, _runs(hits & ~inside), share)


def score(results: Mapping[str, tuple[Sequence[object] | pd.Series, npt.ArrayLike]],
          labels: Mapping[str, Sequence[Window]]) -> Score:
    """Score every file of ``labels`` (a file without results flags nothing).

    Args:
        results: File key (as in the labels, e.g. ``"realTraffic/speed_6005.csv"``) to its timestamps and flags.
        labels: File key to its labelled windows (``combined_windows.json``).

    Returns:
        The totals and per-file scores.

    """
    per_file: dict[str, FileScore] = {}
    for key, windows in labels.items():
        stamps, flags = results.get(key, ([], []))
        per_file[key] = score_file(stamps, flags, windows)
    return Score(
        files=len(per_file),
        windows=sum(item.windows for item in per_file.values()),
        detected=sum(item.detected for item in per_file.values()),
        false_positives=sum(item.false_positives for item in per_file.values()),
        per_file=per_file,
    )


def _runs(mask: npt.NDArray[np.bool_]) -> int:
    """Number of maximal runs of consecutive True values."""
    if not len(mask):
        return 0
    return int(mask[0]) + int((mask[1:] & ~mask[:-1]).sum())
