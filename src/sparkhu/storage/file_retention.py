"""Report files as a retention store: each HTML report under a folder is one unit, aged by its mtime.

Sparkhu writes a report as one self-contained HTML file (``sparkhu report --out FILE``; the demo
pipeline writes ``<home>/report.html``), so a unit is a file, not a folder. ``scope.path`` names the
folder (relative to the home, or absolute), by default ``<home>/reports``; every file matching
:data:`REPORT_PATTERNS` below it is a unit, so a folder that also holds other files (a home with its
databases) only ever loses its reports. Hidden files (``.name``, such as a copy being written) and
archives (a folder marked :data:`ARCHIVE_MARKER`: an archive ``to`` inside the scope) are never units.

A unit's fingerprint is its size, modification time and a SHA-256 prefix of its bytes: a report rewritten
since the plan is skipped. The archive keeps the file's path: ``<home>/archive/reports/<folder>/<file>``
(the folder as a path below the home, or its absolute path), or below ``{archive: {to: FOLDER}}``, copied
with its times and verified by SHA-256. A delete unlinks the file (and folders it leaves empty): one stage,
nothing to reclaim later.
"""

from __future__ import annotations

import fnmatch
import os
from datetime import datetime
from pathlib import Path

from sparkhu.retention.files import (
    GONE,
    copy_file,
    local_folder,
    mtime_utc,
    prune_empty_parents,
    sha256_file,
    verify_file,
)
from sparkhu.retention.policy import Scope
from sparkhu.retention.store import NoDownsample, OneStageDelete, Receipt, StoreError, Unit, UnitChanged

REPORT_PATTERNS = ("*.html", "*.htm")
"""File names the store treats as reports (case-insensitive)."""
DEFAULT_FOLDER = "reports"
"""The folder below the home a scope without ``path`` covers."""
ARCHIVE_MARKER = ".sparkhu-archive"
"""Left in every archive root: a folder holding it (an archive ``to`` inside a scope) is never scanned."""


class FileStore(NoDownsample, OneStageDelete):
    """Retention over the report files of a folder.

    Args:
        home: Sparkhu's home: relative scope paths and archive locations start there.
        name: The store name policies use.
        patterns: File names that are units (shell patterns, matched case-insensitively).
    """

    holds = "report files"
    delete_note = "a file delete has no second stage"

    def __init__(self, home: Path, name: str = "reports", patterns: tuple[str, ...] = REPORT_PATTERNS) -> None:
        self.home = home
        self.name = name
        self.patterns = patterns
        self.archive_root = home / "archive" / name

    def units(self, scope: Scope, cutoff: datetime | None, deletes: bool, series: list[str] | None,
              held_series: list[str]) -> list[Unit]:
        """One unit per report file under the scope's folder, oldest first."""
        folder = self.folder(scope)
        units = [self._unit(folder, relative) for relative in self._files(folder)]
        return sorted(units, key=lambda unit: (unit.newest, unit.key))

    def folder(self, scope: Scope) -> Path:
        """The folder a scope covers (``path`` below the home or absolute; default ``<home>/reports``).

        Raises:
            StoreError: The path exists and is not a folder.
        """
        folder = local_folder(scope.path, self.home) if scope.path else self.home / DEFAULT_FOLDER
        folder = folder.resolve()
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"reports scope path {folder} is not a folder")
        return folder

    def fingerprint(self, unit: Unit) -> str:
        """Size, mtime and content prefix of the file now (``gone`` once deleted)."""
        return _file_fingerprint(self._path(unit))

    def remaining(self, unit: Unit) -> int:
        """1 while the file exists, else 0."""
        return int(self._path(unit).is_file())

    def archive(self, unit: Unit, location: str | None, tag: str) -> Receipt:
        """Copy the file into the archive (same relative path) and verify the copy by SHA-256."""
        source = self._path(unit)
        if not source.is_file():
            raise StoreError(f"report {source} is gone: nothing to archive")
        base = local_folder(location, self.home) if location else self.archive_root
        base.mkdir(parents=True, exist_ok=True)
        (base / ARCHIVE_MARKER).touch()
        dest = base / _mirrored(Path(unit.target), self.home) / unit.detail["path"]
        checksum = copy_file(source, dest)
        receipt = Receipt(location=str(dest), rows=1, checksum=checksum,
                          detail={"tag": tag, "bytes": dest.stat().st_size})
        if not self.verify(unit, receipt):
            raise StoreError(f"the archive copy of {source} at {dest} does not verify")
        return receipt

    def verify(self, unit: Unit, receipt: Receipt) -> bool:
        """Whether the copy is still there with the SHA-256 it was written with."""
        return verify_file(Path(receipt.location), receipt.checksum)


    def delete(self, unit: Unit) -> int:
        """Unlink the file if it is unchanged since the plan (and the folders it leaves empty)."""
        path = self._path(unit)
        if not path.is_file():
            return 0
        if _file_fingerprint(path) != unit.fingerprint:
            raise UnitChanged(f"report {path} changed since the plan")
        path.unlink()
        prune_empty_parents(path, Path(unit.target))
        return 1


    def size(self, target: str) -> tuple[int, int]:
        """Report files under the folder and their bytes."""
        folder = Path(target)
        paths = [folder / relative for relative in self._files(folder)]
        return len(paths), sum(path.stat().st_size for path in paths)

    def version(self, target: str) -> str | None:
        """Folders have no versions."""
        return None

    def _files(self, folder: Path) -> list[str]:
        """Relative POSIX paths of the report files under ``folder`` (not hidden, not in an archive)."""
        if not folder.is_dir():
            return []
        found = []
        archive = self.archive_root.resolve()
        for root, dirs, names in os.walk(folder):
            here = Path(root)
            if ARCHIVE_MARKER in names or here.resolve() == archive:
                dirs[:] = []
                continue
            dirs[:] = [name for name in dirs if not name.startswith(".")]
            for name in names:
                path = here / name
                if self._is_report(name) and path.is_file() and not path.is_symlink():
                    found.append(path.relative_to(folder).as_posix())
        return sorted(found)

    def _is_report(self, name: str) -> bool:
        lowered = name.lower()
        return not name.startswith(".") and any(fnmatch.fnmatch(lowered, pattern) for pattern in self.patterns)

    def _unit(self, folder: Path, relative: str) -> Unit:
        path = folder / relative
        return Unit(key=relative, target=str(folder), newest=mtime_utc(path), rows=1, bytes=path.stat().st_size,
                    files=1, fingerprint=_file_fingerprint(path), detail={"path": relative})

    def _path(self, unit: Unit) -> Path:
        return Path(unit.target) / unit.detail["path"]


def _file_fingerprint(path: Path) -> str:
    """``size:mtime_ns:sha256[:16]`` of a file, or ``gone``."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return GONE
    return f"{stat.st_size}:{stat.st_mtime_ns}:{sha256_file(path)[:16]}"


def _mirrored(folder: Path, home: Path) -> Path:
    """Where a folder's files go below an archive root: its path below the home, or its absolute path."""
    resolved_home = home.resolve()
    if folder == resolved_home or resolved_home in folder.parents:
        return folder.relative_to(resolved_home)
    return folder.relative_to(folder.anchor)
