"""Verified copies of files, shared by the stores whose units are files (MLflow runs, reports, run logs).

A copy is only worth what its check is worth, and a delete follows it: every file is hashed (SHA-256) as
it is read from its source, and hashed again when the copy is read back. A unit whose copy is several
files (an MLflow run: its metadata and artifacts; a workflow run: its rows and logs) is copied into one
folder, a *bundle*, whose checksum is a digest over the names and digests of its files, so a file missing,
added or changed in the copy fails the check. A bundle is written beside its place and renamed into it,
so a crash never leaves half a bundle where a whole one is expected, and rewriting a bundle (a rerun of
the same unit) replaces it instead of mixing two copies.

This module reads and writes local files only (standard library): the stores resolve what they copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sparkhu.retention.store import Receipt, StoreError

MANIFEST = "manifest.json"
"""Written last into every bundle: the tag of the copy and the digest of each file (not itself hashed)."""
GONE = "gone"
"""The fingerprint of a unit that is no longer in its store (it differs from every planned fingerprint)."""
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def digest_of(digests: Mapping[str, str]) -> str:
    """One digest over files' names and digests (independent of their order)."""
    lines = "".join(f"{name}\t{digests[name]}\n" for name in sorted(digests))
    return hashlib.sha256(lines.encode()).hexdigest()


def short_digest(document: Any) -> str:
    """A 16-hex digest of a JSON-ready document (keys sorted): the fingerprints of the file stores."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()[:16]


def tree_files(root: Path) -> dict[str, Path]:
    """Regular files under ``root`` by their relative POSIX path (symbolic links are not followed)."""
    if not root.is_dir():
        return {root.name: root} if root.is_file() else {}
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(root).as_posix()] = path
    return dict(sorted(found.items()))


def tree_size(root: Path | None) -> tuple[int, int]:
    """Files and bytes under ``root`` (a folder or one file; ``(0, 0)`` for None or a missing path)."""
    if root is None:
        return 0, 0
    files = tree_files(root)
    return len(files), sum(path.stat().st_size for path in files.values())


def mtime_utc(path: Path) -> datetime:
    """A file's modification time, in UTC."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def local_folder(location: str, home: Path) -> Path:
    """The local folder of an archive location: absolute, ``file://``, or relative to ``home``.

    Raises:
        StoreError: The location is a URI of another scheme (these stores archive to local folders).
    """
    if location.startswith("file://"):
        location = location.removeprefix("file://")
    elif "://" in location:
        raise StoreError(f"archive location {location!r}: this store archives to a local folder")
    path = Path(location).expanduser()
    return path if path.is_absolute() else home / path


def copy_file(source: Path, dest: Path) -> str:
    """Copy one file (bytes and times) through a temporary name; return the SHA-256 of what was read."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
    digest = hashlib.sha256()
    try:
        with source.open("rb") as reader, partial.open("wb") as writer:
            while chunk := reader.read(_CHUNK):
                digest.update(chunk)
                writer.write(chunk)
        shutil.copystat(source, partial)
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def verify_file(path: Path, checksum: str) -> bool:
    """Whether ``path`` is a file whose SHA-256 is ``checksum``."""
    return path.is_file() and sha256_file(path) == checksum


def write_bundle(dest: Path, documents: Mapping[str, bytes], files: Mapping[str, Path], tag: str,
                 rows: int) -> Receipt:
    """Write a bundle (documents and copies of files) to ``dest``, replacing any earlier one, and verify it.

    Args:
        dest: The bundle's folder.
        documents: Generated files by relative name (the unit's metadata as JSON).
        files: Source files by their relative name in the bundle.
        tag: The copy's tag (``plan-id/unit``), kept in the manifest.
        rows: Items the bundle holds (its receipt's ``rows``).

    Raises:
        StoreError: The bundle does not read back as written.
    """
    stage = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
    stage.mkdir(parents=True)
    try:
        expected = {name: _write(stage / name, data) for name, data in documents.items()}
        expected |= {name: copy_file(source, stage / name) for name, source in files.items()}
        (stage / MANIFEST).write_text(json.dumps({"tag": tag, "files": expected}, indent=1, sort_keys=True))
        _replace(stage, dest)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    receipt = Receipt(location=str(dest), rows=rows, checksum=digest_of(expected),
                      detail={"tag": tag, "files": len(expected)})
    if not verify_bundle(receipt):
        raise StoreError(f"the archive copy at {dest} does not read back as written")
    return receipt


def verify_bundle(receipt: Receipt) -> bool:
    """Whether the bundle of ``receipt`` holds exactly its files, each with the digest it was written with."""
    folder = Path(receipt.location)
    if not folder.is_dir():
        return False
    digests = {name: sha256_file(path) for name, path in tree_files(folder).items() if name != MANIFEST}
    return digest_of(digests) == receipt.checksum


def json_bytes(document: Any) -> bytes:
    """A document as the UTF-8 JSON a bundle stores (indented, keys sorted, dates as ISO text)."""
    return json.dumps(document, indent=1, sort_keys=True, default=str).encode("utf-8")


def safe_name(text: str) -> str:
    """``text`` as one path component (characters other than letters, digits, ``.``, ``_``, ``-`` → ``_``)."""
    cleaned = "".join(char if char.isascii() and (char.isalnum() or char in "._-") else "_" for char in text)
    return cleaned.strip(".") or "_"


def prune_empty_parents(path: Path, stop: Path) -> None:
    """Remove the now-empty folders from ``path``'s parent up to (not including) ``stop``."""
    folder = path.parent
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _write(path: Path, data: bytes) -> str:
    """Write a generated document; return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _replace(stage: Path, dest: Path) -> None:
    """Move a finished bundle into place (an earlier bundle at ``dest`` is removed once it is out of the way)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    old = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.old")
    if dest.exists():
        dest.rename(old)
    stage.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
