"""Turn the command line's paths (files, folders, globs) into the list of files to ingest."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sparkhu.ingest.errors import IngestUsageError
from sparkhu.ingest.formats import SUPPORTED, Format, format_of
from sparkhu.ingest.partitions import day_partition_warnings

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class SourceFile:
    """One file to ingest.

    Attributes:
        path: Resolved path of the file.
        format: Its format, from the extension.

    """

    path: Path
    format: Format


@dataclass
class Discovery:
    """Files found for a request, in a stable order, and warnings about what was found."""

    files: list[SourceFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def discover(paths: Sequence[str | Path]) -> Discovery:
    """Expand files, folders (recursively) and globs into supported files, each listed once.

    Hidden files and folders (``.name`` or ``_name``: ``.DS_Store``, Spark's ``.crc`` and ``_SUCCESS``)
    and files of other formats found inside folders are skipped; a file named explicitly must have a
    supported extension.

    Raises:
        IngestUsageError: No path given, a path does not exist, a glob matches nothing, an explicit file
            has an unsupported extension, or a folder holds no supported file.

    """
    if not paths:
        raise IngestUsageError("give at least one file, folder or glob to ingest")
    found: dict[Path, SourceFile] = {}
    for given in paths:
        for source in _expand(str(given)):
            found.setdefault(source.path, source)
    files = list(found.values())
    return Discovery(files=files, warnings=day_partition_warnings(f.path for f in files))


def _expand(given: str) -> list[SourceFile]:
    """The files one command-line path stands for."""
    path = Path(given).expanduser()
    if path.exists():
        return _from_folder(path) if path.is_dir() else [_explicit_file(path)]
    if _GLOB_CHARS & set(given):
        # Quoted globs reach us unexpanded; expand them here, folders included.
        matches = sorted(glob.glob(str(path), recursive=True))
        if not matches:
            raise IngestUsageError(f"no file matches {given!r}")
        return [s for match in matches for s in _expand_match(Path(match))]
    raise IngestUsageError(f"{given!r} does not exist")


def _expand_match(path: Path) -> list[SourceFile]:
    """A glob match: folders are walked, files of other formats skipped quietly."""
    if path.is_dir():
        return _from_folder(path, require=False)
    fmt = format_of(path)
    return [SourceFile(path.resolve(), fmt)] if fmt and not _hidden(path.name) else []


def _explicit_file(path: Path) -> SourceFile:
    fmt = format_of(path)
    if fmt is None:
        raise IngestUsageError(f"{str(path)!r} has an unsupported extension; supported: {SUPPORTED}")
    return SourceFile(path.resolve(), fmt)


def _from_folder(folder: Path, require: bool = True) -> list[SourceFile]:
    """Supported files under ``folder``, recursively, sorted by path."""
    files = [SourceFile(p.resolve(), fmt) for p in sorted(folder.rglob("*"))
             if p.is_file() and not _hidden_below(p, folder) and (fmt := format_of(p)) is not None]
    if require and not files:
        raise IngestUsageError(f"folder {str(folder)!r} holds no file with a supported extension "
                               f"({SUPPORTED})")
    return files


def _hidden_below(path: Path, root: Path) -> bool:
    return any(_hidden(part) for part in path.relative_to(root).parts)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))

