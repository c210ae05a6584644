"""`sparkhu retention serve` runs the service from its import string (a real process, tokens from a file),
refuses to start without tokens, and `sparkhu retention token hash` gives the digests it expects."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from services.auth import hash_token
from sparkhu.cli.main import app
from sparkhu.config import Settings, get_settings

runner = CliRunner()
SPARKHU = Path(sys.executable).parent / "sparkhu"


def test_serve_refuses_to_start_without_tokens(home: Settings) -> None:
    result = runner.invoke(app, ["retention", "serve", "--port", "1"])
    assert result.exit_code == 2
    assert "no tokens are configured: set SPARKHU_RETENTION_TOKENS or SPARKHU_RETENTION_TOKENS_FILE" in result.output


def test_serve_refuses_a_plain_token(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARKHU_RETENTION_TOKENS", "my-plain-secret")
    get_settings.cache_clear()
    result = runner.invoke(app, ["retention", "serve"])
    assert result.exit_code == 2
    assert "a plain token is refused" in result.output and "my-plain-secret" not in result.output


def test_token_hash_prints_the_digest_or_a_whole_entry(home: Settings) -> None:
    assert runner.invoke(app, ["retention", "token", "hash"], input="s3cret\n").output.strip() == hash_token("s3cret")
    entry = runner.invoke(app, ["retention", "token", "hash", "--name", "ci", "--scope", "admin"], input="s3cret\n")
    assert entry.output.strip() == f"ci:admin:{hash_token('s3cret')}"
    assert runner.invoke(app, ["retention", "token", "hash", "--scope", "root"], input="x\n").exit_code == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_the_service_from_its_import_string(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# mounted Secret\nci:admin:{hash_token('s3cret')}\n")
    env = {name: value for name, value in os.environ.items() if not name.upper().startswith("SPARKHU_")}
    env |= {"SPARKHU_HOME": str(tmp_path / "home"), "SPARKHU_RETENTION_TOKENS_FILE": str(tokens)}
    port = _free_port()
    process = subprocess.Popen([str(SPARKHU), "retention", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert process.poll() is None, process.communicate()[0]
        assert httpx.get(f"{url}/policies", headers={"Authorization": "Bearer s3cret"}).json() == []
        assert httpx.get(f"{url}/policies").status_code == 401
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "Uvicorn running on http://127.0.0.1" in output
