"""Fixtures of the service tests: a real install (SQLite metadata, a Delta lake) and the app under uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pandas as pd
import pytest
import uvicorn

from services.auth import hash_token
from services.retention.app import create_app
from sparkhu.config import Settings
from sparkhu.storage.lake import Lake, Slice

ADMIN = "admin-secret-for-tests"
READ = "read-secret-for-tests"
TOKENS = f"ops:admin:{hash_token(ADMIN)},viewer:read:{hash_token(READ)}"
DAYS = 210
"""Days of hourly points the ``validated`` table holds, ending now: a 90 d policy has 120 days of work."""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def points(end: datetime, days: int = DAYS, series: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    """Hourly points of each series over the ``days`` before ``end``."""
    stamps = pd.date_range(end - timedelta(days=days), end, freq="1h", tz="UTC", inclusive="left")
    frames = [pd.DataFrame({"series_id": sid, "ts": stamps, "value": np.arange(len(stamps)) + 1000.0 * i})
              for i, sid in enumerate(series)]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture()
def settings(home: Settings) -> Settings:
    """The test's install, with an admin token (``ops``) and a read token (``viewer``)."""
    return home.model_copy(update={"retention_tokens": TOKENS})


@pytest.fixture()
def lake(settings: Settings) -> Lake:
    """A lake whose ``validated`` table holds 210 days of two hourly series, up to this hour."""
    lake = Lake(settings.lake)
    lake.replace("validated", points(datetime.now(UTC).replace(minute=0, second=0, microsecond=0)), Slice())
    return lake


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture()
def api(settings: Settings, lake: Lake) -> Iterator[httpx.Client]:
    """An HTTP client of the real app, served by uvicorn on a free port of 127.0.0.1 (no token set)."""
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    host, port = sock.getsockname()
    try:
        with httpx.Client(base_url=f"http://{host}:{port}", timeout=60) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
