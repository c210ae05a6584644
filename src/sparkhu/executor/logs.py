"""Reading node logs back: the last lines of a log, for showing why a node failed."""

from __future__ import annotations

import os
from pathlib import Path

EXCERPT_LINES = 15
_TAIL_BYTES = 64 * 1024  # enough for any excerpt; a huge log is never read whole


def log_tail(path: Path | str, lines: int = EXCERPT_LINES) -> list[str]:
    """The last ``lines`` lines of a node's log, without line ends.

    Args:
        path: The log file (a node's ``log_path``); an empty string means the node has no log.
        lines: How many lines at most.

    Returns:
        The lines (fewer when the log is shorter); empty when there is no such file or ``lines`` < 1.

    """
    if not path or lines < 1:
        return []
    try:
        with open(path, "rb") as log:
            size = log.seek(0, os.SEEK_END)
            start = max(0, size - _TAIL_BYTES)
            log.seek(start)
            data = log.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return []
    text = data.decode("utf-8", errors="replace")
    found = text.splitlines()
    if start > 0 and found:
        found = found[1:]  # the first line read is most likely cut
    while found and not found[-1].strip():
        found.pop()
    return found[-lines:]
