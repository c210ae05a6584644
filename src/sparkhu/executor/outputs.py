"""Output parameters read from files: container paths such as ``/tmp/outputs/x`` mapped to local folders.

A container writes ``valueFrom.path`` files inside its own filesystem. Locally, each distinct folder of
the declared paths becomes a folder of the node under the run's log folder, and every occurrence of
that folder in the command, arguments and environment is rewritten to the local one.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sparkhu.executor.errors import NodeError
from sparkhu.executor.spec import OutputParameter


@dataclass(frozen=True)
class OutputMap:
    """Container folders → local folders of one node."""

    folders: tuple[tuple[str, Path], ...]

    def rewrite(self, text: str) -> str:
        """``text`` with each mapped container folder replaced by its local folder."""
        for container, local in self.folders:
            text = _replace_folder(text, container, str(local))
        return text

    def local_path(self, container_path: str) -> Path:
        """Where the file a container would write at ``container_path`` lies locally."""
        folder = str(PurePosixPath(container_path).parent)
        local = dict(self.folders)[folder]
        return local / PurePosixPath(container_path).name

    def reset(self) -> None:
        """Empty the local folders (a retry must not read the outputs of a failed attempt)."""
        for _, local in self.folders:
            shutil.rmtree(local, ignore_errors=True)
            local.mkdir(parents=True)


def map_outputs(outputs: Sequence[OutputParameter], node_dir: Path) -> OutputMap:
    """One local folder per distinct folder of the declared output paths.

    Raises:
        NodeError: When a path is relative or lies directly under ``/``.

    """
    folders: list[str] = []
    for output in outputs:
        if output.path is None:
            continue
        path = PurePosixPath(output.path)
        if not path.is_absolute() or str(path.parent) == "/":
            raise NodeError(f"output {output.name!r}: path {output.path!r} must be absolute, inside a folder")
        if str(path.parent) not in folders:
            folders.append(str(path.parent))
    # Longer folders first, so that a nested folder is not rewritten through its parent's mapping.
    ordered = sorted(folders, key=len, reverse=True)
    return OutputMap(tuple((folder, node_dir / f"outputs-{i}") for i, folder in enumerate(ordered)))


def read_outputs(outputs: Sequence[OutputParameter], mapping: OutputMap) -> dict[str, str]:
    """Values of the file outputs after the process ended (one trailing newline stripped).

    Raises:
        NodeError: When a file is missing and the output has no default.

    """
    values: dict[str, str] = {}
    for output in outputs:
        if output.path is None:
            continue
        local = mapping.local_path(output.path)
        if local.is_file():
            values[output.name] = local.read_text(encoding="utf-8").removesuffix("\n")
        elif output.default is not None:
            values[output.name] = output.default
        else:
            raise NodeError(f"output parameter {output.name!r}: the process did not write {output.path}")
    return values


def _replace_folder(text: str, folder: str, replacement: str) -> str:
    """Replace ``folder`` where it is a whole path prefix: "/tmp/outputs" but not "/tmp/outputs2"."""
    pattern = rf"(?<![\w./-]){re.escape(folder)}(?=/|$|[^\w.-])"
    return re.sub(pattern, lambda _match: replacement, text)
