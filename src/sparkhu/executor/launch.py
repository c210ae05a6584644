"""Running a node's command as a fresh local process, its output going to the node's log."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from sparkhu.executor.errors import NodeError

POLL_S = 0.05
GRACE_S = 5.0


class LaunchError(NodeError):
    """The command could not be started (not found, not executable, worker crashed)."""


class Launcher(Protocol):
    """Runs one attempt of a node's command and returns its exit code."""

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], log_path: Path, cancel: threading.Event
    ) -> int:
        """Run ``argv`` with environment ``env``, appending its output to ``log_path``."""
        ...

    def close(self) -> None:
        """Release what the launcher holds (worker processes)."""
        ...


class ProcessLauncher:
    """A fresh process per attempt (the "cold" path)."""

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], log_path: Path, cancel: threading.Event
    ) -> int:
        """Start ``argv`` in its own session and wait for it (or kill it when ``cancel`` is set).

        Raises:
            LaunchError: When the program cannot be found or started.

        """
        program = resolve_program(argv[0], env)
        with log_path.open("ab") as log:
            try:
                process = subprocess.Popen(
                    [program, *argv[1:]], env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True,
                )
            except OSError as error:
                raise LaunchError(f"cannot start {argv[0]!r}: {error.strerror or error}") from error
            return _wait(process, cancel)

    def close(self) -> None:
        """Nothing to release."""


def resolve_program(name: str, env: Mapping[str, str]) -> str:
    """The executable for ``name``: a path, a program on ``PATH``, or one installed beside this Python.

    The last case finds console scripts such as ``sparkhu`` of this environment when its ``bin``
    folder is not on ``PATH`` (e.g. ``.venv/bin/pytest`` run without activating the venv).

    Raises:
        LaunchError: When nothing is found.

    """
    if os.sep in name:
        return name
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found:
        return found
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    raise LaunchError(f"command not found: {name!r} (not on PATH, nor beside {sys.executable})")


def exit_code(returncode: int) -> int:
    """Shell convention for a process killed by a signal: 128 + signal number."""
    return 128 - returncode if returncode < 0 else returncode


def _wait(process: subprocess.Popen[bytes], cancel: threading.Event) -> int:
    """Wait for ``process``; on cancel, stop its whole process group (SIGTERM, then SIGKILL)."""
    while True:
        try:
            return exit_code(process.wait(timeout=POLL_S))
        except subprocess.TimeoutExpired:
            if cancel.is_set():
                break
    _signal_group(process, signal.SIGTERM)
    try:
        return exit_code(process.wait(timeout=GRACE_S))
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        return exit_code(process.wait())


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    """Signal the process group the node's process leads (it was started in its own session)."""
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        return
