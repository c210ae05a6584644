"""Warm workers: run our own CLI in long-lived processes instead of a fresh interpreter per node.

Interpreter start-up and imports cost about a second per process. When a node's command starts with a
key of ``warm_entrypoints`` (``sparkhu`` → ``sparkhu.cli.main:invoke``), the call goes to a worker of
a process pool whose processes fork from a *forkserver* that has already imported the entrypoint: the
same code path and arguments as the cold process, without the start-up. The forkserver (rather than
plain ``fork`` of this process) matters because the parent may hold deltalake/tokio threads, which a
forked child would inherit in an undefined state.

Each call gets the node's full environment and working folder, with its stdout/stderr (file
descriptors 1 and 2) sent to the node's log, and all of it is restored afterwards. The settings cache
is cleared before each call, so that the call sees its own ``SPARKHU_*`` values.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from pathlib import Path

from sparkhu.config import get_settings
from sparkhu.executor.lanes import Lanes, affinity_key
from sparkhu.executor.launch import POLL_S, LaunchError, ProcessLauncher

DEFAULT_ENTRYPOINTS: Mapping[str, str] = {"sparkhu": "sparkhu.cli.main:invoke"}

PRELOAD = ("sparkhu.tasks.catalog", "sparkhu.tasks.runner")
"""Modules the forkserver imports besides the entrypoints': every task and the libraries they use
(pandas, pyarrow, deltalake, scipy), so that no worker pays for those imports on its first node
(measured: 1.4 s on the first node of each worker). Importing them starts no thread."""


class WarmLauncher:
    """Runs entrypoint commands in warm workers and everything else as fresh processes."""

    def __init__(self, entrypoints: Mapping[str, str], workers: int) -> None:
        self.entrypoints = dict(entrypoints)
        self.workers = workers
        self._cold = ProcessLauncher()
        self._lanes: Lanes | None = None
        self._lock = threading.Lock()

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], log_path: Path, cancel: threading.Event
    ) -> int:
        """Run ``argv``: in a warm worker when ``argv[0]`` is an entrypoint, else as a process.

        Raises:
            LaunchError: When the worker process died during the call.

        """
        entrypoint = self.entrypoints.get(argv[0])
        if entrypoint is None:
            return self._cold.run(argv, env, log_path, cancel)
        future = self._submit(entrypoint, list(argv[1:]), dict(env), str(log_path))
        try:
            return _result(future, cancel)
        except BrokenProcessPool as error:
            self._discard_pool()
            raise LaunchError(f"the warm worker running {argv[0]!r} died: {error}") from error

    def close(self) -> None:
        """Stop the worker processes."""
        for pool in self._detach():
            pool.shutdown(wait=True, cancel_futures=True)

    def terminate(self) -> None:
        """Kill the worker processes now (a run was interrupted)."""
        for pool in self._detach():
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, entrypoint: str, args: list[str], env: dict[str, str], log_path: str) -> Future[int]:
        with self._lock:
            if self._lanes is None:
                entrypoints = list(self.entrypoints.values())
                self._lanes = Lanes(self.workers, lambda: _new_pool(entrypoints, 1))
            lanes = self._lanes
        # A shard's nodes go to the worker that ran its previous node, whose memory still holds the
        # slices that node wrote (see sparkhu.storage.recent).
        return lanes.submit(affinity_key(args), warm_call, entrypoint, args, env, os.getcwd(), log_path)

    def _discard_pool(self) -> None:
        for pool in self._detach():
            pool.shutdown(wait=False, cancel_futures=True)

    def _detach(self) -> list[ProcessPoolExecutor]:
        """The lanes' pools, no longer used for new calls (empty when none were started)."""
        with self._lock:
            lanes, self._lanes = self._lanes, None
        return lanes.pools if lanes else []


def prestart(entrypoints: Iterable[str] = DEFAULT_ENTRYPOINTS.values()) -> None:
    """Start the forkserver now, so that its imports overlap with the caller's own set-up work.

    The server imports :data:`PRELOAD` before it forks the first worker (about 1.4 s); a command that
    will run a workflow calls this first, before it reads the lake and the manifests. Idempotent.
    """
    context = multiprocessing.get_context("forkserver")
    modules = sorted({entry.split(":", 1)[0] for entry in entrypoints} | set(PRELOAD))
    # Only effective before this process first starts its forkserver; later pools reuse that server.
    context.set_forkserver_preload([__name__, *modules])
    _start_forkserver_detached()


def _new_pool(entrypoints: Iterable[str], workers: int) -> ProcessPoolExecutor:
    """A pool whose workers fork from a forkserver that preloaded the entrypoint modules."""
    prestart(entrypoints)
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))


def _start_forkserver_detached() -> None:
    """Start the forkserver with stdout/stderr on /dev/null instead of this process's terminal.

    Modules imported by the preload may create rich consoles, which decide on colours once, from
    whether stdout is a terminal. Workers write to log files, so they must not inherit a terminal.
    """
    with open(os.devnull, "wb") as devnull:
        saved = _redirect(devnull.fileno())
        try:
            forkserver.ensure_running()
        finally:
            _restore(saved)


def _result(future: Future[int], cancel: threading.Event) -> int:
    """Wait for a warm call; a cancelled run stops waiting (the pool is then terminated)."""
    while True:
        try:
            return future.result(timeout=POLL_S)
        except TimeoutError:
            if cancel.is_set():
                future.cancel()
                return 130


def warm_call(entrypoint: str, argv: list[str], env: dict[str, str], cwd: str, log_path: str) -> int:
    """Run ``entrypoint(argv)`` in this worker as if it were a fresh process; return its exit code."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    with open(log_path, "ab", buffering=0) as log:
        saved_fds = _redirect(log.fileno())
        try:
            os.environ.clear()
            os.environ.update(env)
            os.chdir(cwd)
            get_settings.cache_clear()
            return _call(entrypoint, argv)
        finally:
            _restore(saved_fds)
            os.environ.clear()
            os.environ.update(saved_env)
            os.chdir(saved_cwd)
            get_settings.cache_clear()


def _call(entrypoint: str, argv: list[str]) -> int:
    """Import ``module:function`` and call it; exceptions become exit code 1 with a traceback."""
    module_name, _, function_name = entrypoint.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        code = function(argv)
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:
        traceback.print_exc()
        return 1
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _redirect(fd: int) -> tuple[int, int]:
    """Point file descriptors 1 and 2 at ``fd``; return copies of the old ones."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    return saved


def _restore(saved: tuple[int, int]) -> None:
    """Flush what the call wrote and put file descriptors 1 and 2 back."""
    sys.stdout.flush()
    sys.stderr.flush()
    for target, copy in zip((1, 2), saved, strict=True):
        os.dup2(copy, target)
        os.close(copy)
