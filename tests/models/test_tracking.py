"""The MLflow store on a real SQLite backend and against a real `mlflow server` on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from sparkhu.models.base import build
from sparkhu.models.panel import Series
from sparkhu.tracking.store import ModelStore, registered_name

SERIES = Series("s", 10 + np.sin(np.arange(300) * 2 * np.pi / 24), pd.Timestamp("2024-01-01", tz="UTC"), 3600.0)


def exercise(store: ModelStore) -> None:
    parent = store.start_run("plant", "tune", {"trials": 2})
    child = store.start_run("plant", "trial", {"family": "ridge", "lags": 24}, parent=parent)
    store.log_metrics(child, {"validation_score": 0.5, "unmeasured": float("nan")})
    store.finish(child)
    store.finish(parent)
    runs = store.client.search_runs([store.experiment("plant")])
    nested = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent]
    assert len(nested) == 1 and nested[0].data.metrics == {"validation_score": 0.5}
    assert nested[0].data.params == {"family": "ridge", "lags": "24"}

    model = build("ridge", 6, {"lags": 24}).fit([SERIES])
    assert store.champion("plant") is None
    first = store.register("plant", parent, model, {"MAE": 0.2}, tags={"decision": "promoted"})
    store.promote("plant", first.version)
    second = store.register("plant", parent, build("seasonal_naive", 6).fit([SERIES]), {"MAE": 0.9})
    champion = store.champion("plant")
    assert champion is not None and champion.version == first.version and champion.metrics == {"MAE": 0.2}
    assert second.version == first.version + 1 and "champion" not in second.aliases
    np.testing.assert_allclose(store.load("plant").predict([SERIES]), model.predict([SERIES]))
    assert [(v.version, v.aliases) for v in store.versions()] == [(second.version, ()),
                                                                  (first.version, ("champion",))]
    with pytest.raises(LookupError, match="no champion"):
        store.load("elsewhere")


def test_the_store_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ModelStore(f"sqlite:///{tmp_path / 'mlflow.db'}", (tmp_path / "artifacts").as_uri())
    exercise(store)
    # What MLflow's own loader sees: the champion is a pyfunc model that forecasts. Its URIs come from
    # the environment for this test only (a global set_*_uri would leak, and a default writes ./mlflow.db).
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", store.uri)
    loaded = mlflow.pyfunc.load_model(f"models:/{registered_name('plant')}@champion")
    assert loaded.predict([SERIES]).shape == (1, 6)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
               "--artifacts-destination", (tmp_path / "served").as_uri(), "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                pytest.fail("mlflow server exited at start")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_the_store_against_an_mlflow_server(mlflow_server: str) -> None:
    exercise(ModelStore(mlflow_server))
