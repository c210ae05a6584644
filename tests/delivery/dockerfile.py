"""A small Dockerfile reader for the tests: logical instructions with continuation lines joined."""

from __future__ import annotations

from pathlib import Path


def instructions(path: Path) -> list[tuple[str, str]]:
    """Parse a Dockerfile into (INSTRUCTION, arguments), skipping comments and joining ``\\`` continuations."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            logical.append(pending)
            pending = ""
    return [(word.upper(), rest.strip()) for word, _, rest in (entry.partition(" ") for entry in logical)]


def arg_defaults(parsed: list[tuple[str, str]]) -> dict[str, str]:
    """Return the default of every ``ARG NAME=default``."""
    return dict(arg.split("=", 1) for kind, arg in parsed if kind == "ARG" and "=" in arg)


def values(parsed: list[tuple[str, str]], kind: str) -> list[str]:
    """Return the arguments of every instruction of ``kind``."""
    return [arg for found, arg in parsed if found == kind]


def stages(parsed: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Split the instructions into build stages (each starting at a FROM)."""
    split: list[list[tuple[str, str]]] = []
    for entry in parsed:
        if entry[0] == "FROM" or not split:
            split.append([])
        split[-1].append(entry)
    return split
