"""PostgreSQL for tests: one throwaway server per test session, and a fresh database per test.

Register with ``pytest_plugins = ["tests.postgres"]`` in ``tests/conftest.py``; then any test can ask for

- ``postgres_url`` (session): a ``postgresql+psycopg2://`` URL of a database on the server, and
- ``postgres_database`` (function): the URL of a new, empty database, dropped after the test.

``SPARKHU_TEST_POSTGRES_URL`` names an existing server instead (its user needs CREATEDB for
``postgres_database``). Otherwise the newest ``/usr/lib/postgresql/*/bin`` starts a server in a temporary
folder on a free port of 127.0.0.1, as user ``postgres`` when the tests run as root (PostgreSQL refuses to
run as root). Without binaries the tests that need PostgreSQL are skipped, except when ``CI`` is set: CI
must test PostgreSQL, so there they fail.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ENV_URL = "SPARKHU_TEST_POSTGRES_URL"
_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_DATABASE = "sparkhu_test"
_SERVER_KEY = pytest.StashKey["_Server"]()
# Durability is pointless for a throwaway server; these settings make startup and commits fast.
_FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


@dataclass
class _Server:
    """A running throwaway server: its base URL, and how to stop it."""

    url: str
    folder: Path | None = None
    bin_dir: Path | None = None

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder; nothing for an external server."""
        if self.folder is None or self.bin_dir is None:
            return
        _run_as_owner(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"]
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries folder that has ``initdb`` and ``pg_ctl``."""
    candidates = [path for path in Path("/").glob(_BIN_GLOB.lstrip("/")) if (path / "pg_ctl").exists()]
    candidates = [path for path in candidates if (path / "initdb").exists()]
    return max(candidates, key=lambda path: _version(path.parent.name), default=None)


def _version(name: str) -> tuple[int, ...]:
    """``"15"`` -> ``(15,)``; names that are not versions sort first."""
    return tuple(int(part) for part in name.split(".") if part.isdigit()) or (0,)


def _as_owner() -> list[str]:
    """Command prefix that runs the server tools as ``postgres`` when we are root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run_as_owner(command: list[str]) -> None:
    """Run a server tool; a failure raises with its output."""
    done = subprocess.run([*_as_owner(), *command], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _free_port() -> int:
    """A TCP port of 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _owned_folder() -> Path:
    """A temporary folder the server user can write (pytest's own tmp folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="sparkhu-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    return folder


def _start(bin_dir: Path) -> _Server:
    """initdb, start on a free port, create the test database; return the running server."""
    folder = _owned_folder()
    data, port = folder / "data", _free_port()
    server = _Server(f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{_DATABASE}", folder, bin_dir)
    try:
        _run_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-N"])
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 {_FAST}"
        log = str(folder / "server.log")
        _run_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", log, "-o", options, "-w", "start"])
        _execute(server.url.replace(f"/{_DATABASE}", "/postgres"), f'CREATE DATABASE "{_DATABASE}"')
    except BaseException:
        _stop_quietly(server)
        raise
    return server


def _stop_quietly(server: _Server) -> None:
    """Best-effort stop after a failed start, keeping the original error in front."""
    try:
        server.stop()
    except RuntimeError:
        shutil.rmtree(server.folder or "", ignore_errors=True)


def _execute(url: str, statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it in CI where PostgreSQL must be tested."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason} (set {ENV_URL} or install postgresql)")


def _session_server(config: pytest.Config) -> _Server:
    """The session's server, started on first use and stopped when the session ends.

    Kept on the config rather than in the fixture so that one server serves the session even when the
    fixtures are registered both as a plugin and through a conftest import.
    """
    if _SERVER_KEY in config.stash:
        return config.stash[_SERVER_KEY]
    external = os.environ.get(ENV_URL)
    if external:
        server = _Server(external)
    else:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            _unavailable(f"no server binaries in {_BIN_GLOB}")
        if os.geteuid() == 0 and not _user_exists("postgres"):
            _unavailable("running as root and there is no 'postgres' user to run the server")
        server = _start(bin_dir)
        config.add_cleanup(server.stop)
    config.stash[_SERVER_KEY] = server
    return server


def _user_exists(name: str) -> bool:
    """Whether the system knows the user ``name``."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """URL (``postgresql+psycopg2://``) of a PostgreSQL database for the whole test session."""
    return _session_server(request.config).url


@pytest.fixture()
def postgres_database(postgres_url: str) -> Iterator[str]:
    """URL of a new empty database on the session's server; dropped (connections closed) afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    base = make_url(postgres_url)
    _execute(postgres_url, f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        # FORCE ends the connections still pooled by the code under test (PostgreSQL 13+).
        _execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
