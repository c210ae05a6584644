"""The two kinds of ingestion failure: a bad request (usage) and a file that cannot be read at all."""

from __future__ import annotations


class IngestUsageError(ValueError):
    """The request itself is wrong (bad options, a path that does not exist); nothing was ingested."""


class FileLevelError(Exception):
    """One file cannot be read at all (empty, not the declared format, a required column missing).

    The other files of the run are still ingested; the file gets one quarantine row with line null.
    """
