"""Turn a folder of the working copy into object dicts: plain YAML files, or a kustomization.

Plain mode reads every ``*.yaml``/``*.yml`` file below the folder (hidden folders skipped), each possibly
holding several ``---`` documents. When the folder has a ``kustomization.yaml`` the whole folder is
rendered by ``kustomize build`` (or ``kubectl kustomize``); without either binary the sync fails with a
clear error instead of applying the plain files half-way.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class RenderError(Exception):
    """The folder could not be turned into objects; ``problems`` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Document:
    """One YAML document and where it came from (``file#index`` relative to the synced folder)."""

    origin: str
    obj: Any


def manifest_folder(root: Path, path: str) -> Path:
    """The folder ``path`` inside the working copy ``root``; it must not escape the working copy.

    Raises:
        RenderError: The folder is missing or lies outside the repository.
    """
    folder = (root / path).resolve()
    if folder != root.resolve() and root.resolve() not in folder.parents:
        raise RenderError([f"path {path!r} points outside the repository"])
    if not folder.is_dir():
        raise RenderError([f"path {path!r} does not exist in the repository"])
    return folder


def render(folder: Path, kustomize: str | None = None) -> list[Document]:
    """All documents of ``folder``, in a stable order.

    Args:
        folder: The synced folder of the working copy.
        kustomize: Command that builds a kustomization (e.g. ``"kustomize build"``); None looks for
            ``kustomize`` then ``kubectl`` on the PATH. Only used when the folder has a kustomization.

    Raises:
        RenderError: A file is not valid YAML, or the kustomization cannot be built.
    """
    if any((folder / name).is_file() for name in KUSTOMIZATIONS):
        text = _kustomize_build(folder, kustomize)
        return _parse("kustomize build", text)
    documents: list[Document] = []
    problems: list[str] = []
    for file in _yaml_files(folder):
        relative = file.relative_to(folder).as_posix()
        try:
            documents.extend(_parse(relative, file.read_text(encoding="utf-8")))
        except RenderError as error:
            problems.extend(error.problems)
    if problems:
        raise RenderError(problems)
    return documents


def _yaml_files(folder: Path) -> list[Path]:
    """YAML files below ``folder``, sorted, skipping hidden files and folders (``.git``, ``.github``)."""
    found = [p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    visible = [p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    return sorted(visible)


def _parse(origin: str, text: str) -> list[Document]:
    """The non-empty documents of a YAML stream, with nulls dropped from mappings."""
    try:
        loaded = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise RenderError([f"{origin}: invalid YAML: {error}".replace("\n", " ")]) from error
    return [Document(f"{origin}#{index}", _drop_nulls(obj)) for index, obj in enumerate(loaded) if obj is not None]


def _drop_nulls(value: Any) -> Any:
    """The value with ``key: null`` entries removed.

    The API server stores such keys as absent; keeping them would make applied and live differ forever.
    """
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _kustomize_command(kustomize: str | None) -> list[str]:
    """The kustomize command line to run, or a RenderError naming what to install."""
    if kustomize:
        return shlex.split(kustomize)
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    raise RenderError(
        [
            "the folder has a kustomization.yaml but neither `kustomize` nor `kubectl` is installed; "
            "install one or set --kustomize (nothing was applied)"
        ]
    )


def _kustomize_build(folder: Path, kustomize: str | None) -> str:
    """The YAML stream ``kustomize build`` prints for ``folder``."""
    command = [*_kustomize_command(kustomize), str(folder)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RenderError([f"`{' '.join(command)}` could not run: {error}"]) from error
    if done.returncode != 0:
        raise RenderError([f"`{' '.join(command)}` failed: {done.stderr.strip()[-500:]}"])
    return done.stdout
