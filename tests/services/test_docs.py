"""docs/retention.md's Service section: its endpoint table is exactly the OpenAPI document's operations
(with the right scopes), and its curl examples run against a live service."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from services.retention.app import create_app
from sparkhu.config import Settings
from tests.services.conftest import ADMIN

DOCS = Path(__file__).resolve().parents[2] / "docs" / "retention.md"
ROW = re.compile(r"^\| `(GET|PUT|POST|DELETE) (/[^`]*)` \| (none|read|admin) \|", re.MULTILINE)


def service_section() -> str:
    return DOCS.read_text(encoding="utf-8").split("\n## Service\n", 1)[1].split("\n## ", 1)[0]


def documented() -> dict[tuple[str, str], str]:
    """(method, path template) -> scope, from the endpoint table (``{id}`` as the schema names it)."""
    return {(method, path): scope for method, path, scope in ROW.findall(service_section())}


def test_the_endpoint_table_lists_exactly_the_operations_of_the_schema(settings: Settings) -> None:
    schema = create_app(settings).openapi()
    operations = {(method.upper(), re.sub(r"\{\w+\}", "{id}", path)): operation
                  for path, item in schema["paths"].items() for method, operation in item.items()}
    table = {(method, re.sub(r"\{\w+\}", "{id}", path)): scope for (method, path), scope in documented().items()}
    assert sorted(table) == sorted(operations)
    for key, scope in table.items():
        secured = bool(operations[key].get("security"))
        assert secured == (scope != "none"), key
        assert (scope == "admin") == (key[0] != "GET"), key  # every change needs admin, every read read


@pytest.mark.skipif(shutil.which("curl") is None, reason="the examples use curl")
def test_the_curl_examples_run_against_a_live_service(api: httpx.Client) -> None:
    [block] = re.findall(r"With `URL`.*?```bash\n(.*?)```", service_section(), re.DOTALL)
    env = {**os.environ, "URL": str(api.base_url).rstrip("/"), "TOKEN": ADMIN,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'sparkhu_retention_rows_total{action="deleted"}' in result.stdout
    assert '"name":"raw-90d"' in result.stdout
