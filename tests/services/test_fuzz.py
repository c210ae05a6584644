"""Schemathesis fuzzes every operation of the OpenAPI schema (admin token, real install): no 5xx, ever.

Valid and invalid requests, a bounded number per operation, reach the app in-process (ASGI); then valid
requests again with the path naming objects that exist (a policy, its plan, a hold), so that the queries
and bodies are fuzzed past the 404s too. Schemathesis' pytest loader for fixtures does not run under
pytest 9, so the cases are drawn with its strategies here.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import hypothesis.errors
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from services.retention.app import create_app
from sparkhu.config import Settings
from sparkhu.retention.policy import load_policies
from sparkhu.retention_engine.control import add_hold, save_policies
from sparkhu.retention_engine.engine import Engine
from sparkhu.storage.lake import Lake
from tests.services.conftest import ADMIN, bearer

EXAMPLES = 12
"""Generated cases per operation and round (the whole schema in well under a minute)."""
OPERATIONS = 13
POLICY = {"name": "raw-90d", "scope": {"store": "lake", "table": "validated"}, "rules": {"older_than": "90d"},
          "actions": ["archive", "delete"]}


@hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
def _no_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=bearer(ADMIN), checks=[not_a_server_error])


def _existing(settings: Settings) -> dict[str, Any]:
    """Path parameters naming a stored policy, a fresh plan of it and a hold (made again for each operation)."""
    save_policies(settings, load_policies([POLICY]), actor="fuzz")
    [plan] = Engine(settings, actor="fuzz").plan("raw-90d")
    hold = add_hold(settings, "series", "not-in-the-lake", "fuzz", actor="fuzz")
    return {"name": "raw-90d", "plan_id": plan.id, "hold_id": hold["id"]}


def _fuzz(operation: Any, mode: GenerationMode, path: dict[str, Any] | None = None) -> str | None:
    """Run one round on one operation; the failure, if any."""
    try:
        hypothesis.given(case=operation.as_strategy(mode, path_parameters=path))(_no_server_error)()
    except hypothesis.errors.Unsatisfiable:
        assert mode == GenerationMode.NEGATIVE and not operation.path_parameters  # nothing to get wrong
    except Exception as error:  # every operation is tried, and every failure reported
        return f"{operation.label} ({mode.value}{', existing objects' if path else ''}): {error}"
    return None


def test_no_operation_answers_a_server_error(settings: Settings, lake: Lake) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) == OPERATIONS  # every operation's schema loads
    failures = []
    for operation in operations:
        failures += [_fuzz(operation, GenerationMode.POSITIVE), _fuzz(operation, GenerationMode.NEGATIVE)]
        if operation.path_parameters:
            existing = _existing(settings)
            path = {parameter.name: existing[parameter.name] for parameter in operation.path_parameters}
            failures.append(_fuzz(operation, GenerationMode.POSITIVE, path))
    assert [failure for failure in failures if failure] == []
