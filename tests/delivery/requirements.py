"""A reader of the repository's requirement files for the lock-hygiene tests.

A lock line must be a plain registry pin ``name==version``; a requirements (``.in``/``.txt``) line must be
a registry requirement (name, extras, version specifiers, markers). Anything that installs from
somewhere only one machine has — local paths, ``file:``/``http(s):``/``git+`` URLs, ``name @ url``
direct references, ``-e``, pip options such as ``--find-links``/``--index-url`` — is a problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9][A-Za-z0-9.+!_-]*)$")
URL = re.compile(r"(?i)\b(file|https?|git\+[a-z]+|hg\+[a-z]+|svn\+[a-z]+|bzr\+[a-z]+|ftp)://|\bfile:")
ARCHIVE = re.compile(r"(?i)\.(whl|tar\.gz|tgz|tar\.bz2|zip)\b")


@dataclass(frozen=True)
class Line:
    """One logical requirement line (continuations joined, comments dropped)."""

    path: Path
    number: int
    text: str

    def where(self) -> str:
        """``file:line: text`` for messages."""
        return f"{self.path.name}:{self.number}: {self.text}"


def logical_lines(path: Path) -> list[Line]:
    """The non-empty lines of a requirement file without comments, ``\\`` continuations joined."""
    lines: list[Line] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = re.sub(r"(^|\s)#.*$", "", raw).strip()  # pip's rule: '#' at the start or after a space
        if not pending:
            start = number
        if text.endswith("\\"):
            pending += text[:-1].strip() + " "
            continue
        text = (pending + text).strip()
        pending = ""
        if text:
            lines.append(Line(path, start, text))
    return lines


def _not_from_the_registry(text: str) -> str | None:
    """Why ``text`` would not install from the package registry, or None."""
    if text.startswith("-"):
        return f"pip option {text.split()[0]!r} (editable installs, find-links and index options are not allowed)"
    if URL.search(text):
        return "a URL (install from the registry by name)"
    if " @ " in text or re.match(r"^[A-Za-z0-9._-]+(\[[^\]]*\])?\s*@", text):
        return "a direct reference 'name @ ...'"
    if text.startswith((".", "/", "~")) or "/" in text.split(";")[0] or "\\" in text or ARCHIVE.search(text):
        return "a local path or archive"
    return None


def lock_problems(path: Path) -> list[str]:
    """Every line of a lock file that is not a plain ``name==version`` pin."""
    problems = []
    for line in logical_lines(path):
        reason = _not_from_the_registry(line.text)
        if reason is None and not PIN.match(line.text):
            reason = "not a plain 'name==version' pin"
        if reason:
            problems.append(f"{line.where()}  <- {reason}")
    return problems


def requirement_problems(path: Path) -> list[str]:
    """Every line of a requirements file that is not a registry requirement."""
    problems = []
    for line in logical_lines(path):
        reason = _not_from_the_registry(line.text)
        if reason is None:
            try:
                Requirement(line.text)
            except InvalidRequirement as error:
                reason = f"not a requirement ({error})"
        if reason:
            problems.append(f"{line.where()}  <- {reason}")
    return problems


def locked_versions(path: Path) -> dict[str, str]:
    """Canonical distribution name -> pinned version of every pin in a lock file."""
    pins = (PIN.match(line.text) for line in logical_lines(path))
    return {canonicalize_name(m["name"]): m["version"] for m in pins if m}


def pin_mismatches(requirements: Path, lock: Path) -> list[str]:
    """Top-level requirements missing from the lock, or pinned there to another version."""
    locked = locked_versions(lock)
    problems = []
    for line in logical_lines(requirements):
        requirement = Requirement(line.text)
        name = canonicalize_name(requirement.name)
        pinned = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if name not in locked:
            problems.append(f"{line.where()}  <- not in {lock.name}")
        elif pinned and pinned[0] != locked[name]:
            problems.append(f"{line.where()}  <- {lock.name} pins {locked[name]}")
    return problems
