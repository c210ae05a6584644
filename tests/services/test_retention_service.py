"""The retention service over real HTTP (uvicorn on 127.0.0.1) on a real install: tokens and scopes, policy
validation, plan → apply deleting exactly the planned rows, idempotent applies, holds, audit and metrics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pandas as pd
import pytest
from deltalake import DeltaTable

from services.retention.models import AuditRecord, Hold, PlanDocument
from sparkhu.config import Settings
from sparkhu.retention.plan import Plan
from sparkhu.retention_engine.control import list_holds
from sparkhu.retention_engine.engine import Engine
from sparkhu.storage.lake import Lake, Slice
from tests.services.conftest import ADMIN, READ, bearer

POLICY: dict[str, Any] = {"scope": {"store": "lake", "table": "validated"}, "rules": {"older_than": "90d"},
                          "actions": ["archive", "delete"]}
ADMIN_CALLS = [
    ("PUT", "/policies/v90", POLICY), ("DELETE", "/policies/v90", None), ("POST", "/policies/v90/plan", None),
    ("POST", "/plans/p-000000000000/apply", None),
    ("POST", "/holds", {"kind": "table", "target": "validated", "reason": "x"}), ("DELETE", "/holds/1", None),
]  # fmt: skip
READ_CALLS = ["/policies", "/policies/v90", "/plans/p-000000000000", "/audit", "/holds", "/metrics"]


def call(api: httpx.Client, method: str, path: str, body: Any = None, token: str = ADMIN,
         **params: Any) -> httpx.Response:
    return api.request(method, path, json=body, headers=bearer(token), params=params or None)


def declare(api: httpx.Client, name: str = "v90", document: dict[str, Any] = POLICY) -> None:
    response = call(api, "PUT", f"/policies/{name}", document)
    assert response.status_code in (200, 201), response.text


def plan(api: httpx.Client, name: str = "v90", **params: Any) -> dict[str, Any]:
    response = call(api, "POST", f"/policies/{name}/plan", **params)
    assert response.status_code == 201, response.text
    return dict(response.json())


def apply(api: httpx.Client, plan_id: str) -> dict[str, Any]:
    response = call(api, "POST", f"/plans/{plan_id}/apply")
    assert response.status_code == 200, response.text
    return dict(response.json())


def archived_rows(settings: Settings) -> int:
    return len(DeltaTable(f"{settings.lake}/_archive/validated").to_pandas())


def test_health_needs_no_token(api: httpx.Client) -> None:
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("headers", [{}, bearer("not-a-known-token"), {"Authorization": f"Basic {ADMIN}"},
                                     {"Authorization": "Bearer"}])
def test_no_valid_token_is_401_with_a_bearer_challenge(api: httpx.Client, headers: dict[str, str]) -> None:
    for path in READ_CALLS:
        response = api.get(path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="sparkhu-retention"')
        assert set(response.json()) == {"detail", "reasons"}
    unknown = api.get("/policies", headers=bearer("not-a-known-token"))
    assert 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]


def test_a_read_token_reads_but_every_change_is_403(api: httpx.Client) -> None:
    for path in READ_CALLS:
        assert call(api, "GET", path, token=READ).status_code in (200, 404), path
    for method, path, body in ADMIN_CALLS:
        response = call(api, method, path, body, token=READ)
        assert response.status_code == 403, (method, path, response.text)
        assert 'error="insufficient_scope", scope="admin"' in response.headers["WWW-Authenticate"]
        assert "viewer" in response.json()["detail"]
    assert call(api, "GET", "/policies", token=READ).json() == []  # the refused PUT wrote nothing


def test_an_invalid_policy_is_422_with_every_reason_and_writes_nothing(api: httpx.Client) -> None:
    young = {**POLICY, "rules": {"older_than": "1h"}, "colour": "red"}
    response = call(api, "PUT", "/policies/young", young)
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == "invalid policy, nothing was written"
    assert any("unknown field" in reason and "colour" in reason for reason in problem["reasons"])
    young.pop("colour")
    reasons = call(api, "PUT", "/policies/young", young).json()["reasons"]
    assert any("older_than 1h is below the minimum age of 168 h" in reason for reason in reasons), reasons
    assert call(api, "GET", "/policies/young").status_code == 404
    renamed = call(api, "PUT", "/policies/young", {**POLICY, "name": "other"})
    assert renamed.status_code == 422 and "'other'" in renamed.json()["reasons"][0]
    assert call(api, "PUT", "/policies/young", ["not", "an", "object"]).status_code == 422


def test_policies_are_upserted_read_and_removed(api: httpx.Client) -> None:
    added = call(api, "PUT", "/policies/v90", POLICY)
    assert (added.status_code, added.json()["change"]) == (201, "added")
    assert added.json()["policy"]["rules"]["older_than"] == 90 * 86400
    assert call(api, "PUT", "/policies/v90", POLICY).json()["change"] == "unchanged"
    updated = call(api, "PUT", "/policies/v90", {**POLICY, "description": "ninety days"})
    assert (updated.status_code, updated.json()["change"]) == (200, "updated")
    assert [policy["name"] for policy in call(api, "GET", "/policies").json()] == ["v90"]
    assert call(api, "GET", "/policies/v90").json()["description"] == "ninety days"
    assert call(api, "DELETE", "/policies/v90").status_code == 204
    for method in ("GET", "DELETE"):
        missing = call(api, method, "/policies/v90")
        assert missing.status_code == 404 and "v90" in missing.json()["detail"]
    actions = [record["action"] for record in call(api, "GET", "/audit").json()]
    assert actions == ["policy-delete", "policies-save", "policies-save"]


def test_plan_is_a_dry_run_and_apply_deletes_exactly_the_planned_rows(
    api: httpx.Client, settings: Settings, lake: Lake
) -> None:
    before = lake.read("validated")
    declare(api)
    planned = plan(api, ttl="2h")
    cutoff = datetime.fromisoformat(planned["cutoff"])
    old = before[before["ts"] < cutoff]
    assert planned["id"].startswith("p-") and planned["state"] == "planned"
    assert planned["totals"]["delete"]["rows"] == planned["totals"]["archive"]["rows"] == len(old) > 0
    assert datetime.fromisoformat(planned["expires_at"]) - datetime.fromisoformat(planned["created_at"]) \
        == timedelta(hours=2)
    assert lake.count("validated") == len(before)  # planning changed nothing
    assert call(api, "GET", f"/plans/{planned['id']}").json() == planned

    record = apply(api, planned["id"])
    after = lake.read("validated")
    assert record["result"] == "ok" and record["actor"] == "ops" and record["plan_id"] == planned["id"]
    assert record["detail"]["rows"]["deleted"] == record["detail"]["rows"]["archived"] == len(old)
    assert len(after) == len(before) - len(old) and after["ts"].min() >= cutoff
    assert archived_rows(settings) == len(old)
    assert call(api, "GET", f"/plans/{planned['id']}").json()["state"] == "applied"
    audit = call(api, "GET", "/audit", plan_id=planned["id"], token=READ).json()
    assert [entry["id"] for entry in audit] == [record["id"]]


def test_rows_written_after_the_plan_are_not_deleted(api: httpx.Client, lake: Lake) -> None:
    declare(api)
    planned = plan(api)
    oldest = planned["units"][0]
    late = pd.DataFrame({"series_id": ["late"], "ts": [pd.Timestamp(oldest["newest"])], "value": [1.0]})
    lake.replace("validated", late, Slice(series=("late",)))  # into the oldest planned month, after the plan
    record = apply(api, planned["id"])
    assert record["result"] == "partial" and record["detail"]["units"]["skipped"] == 1
    assert record["detail"]["rows"]["deleted"] == planned["totals"]["delete"]["rows"] - oldest["rows"]
    assert (lake.read("validated")["series_id"] == "late").sum() == 1


def test_applying_twice_changes_nothing_the_second_time(api: httpx.Client, settings: Settings, lake: Lake) -> None:
    declare(api)
    planned = plan(api)
    first = apply(api, planned["id"])
    rows = lake.count("validated")
    second = apply(api, planned["id"])
    assert second == first
    assert lake.count("validated") == rows
    assert archived_rows(settings) == first["detail"]["rows"]["archived"]
    assert [entry["action"] for entry in call(api, "GET", "/audit").json()].count("apply") == 1


def test_a_table_hold_blocks_every_delete(api: httpx.Client, lake: Lake) -> None:
    rows = lake.count("validated")
    declare(api)
    placed = call(api, "POST", "/holds", {"kind": "table", "target": "validated", "reason": "litigation 17"})
    assert placed.status_code == 201 and placed.json()["created_by"] == "ops"
    again = call(api, "POST", "/holds", {"kind": "table", "target": "validated"})
    assert (again.status_code, again.json()["id"]) == (200, placed.json()["id"])
    planned = plan(api)
    assert "delete" not in planned["totals"] and planned["totals"]["blocked"]["rows"] > 0
    assert all(unit["blocked"] for unit in planned["units"])
    assert any("blocked" in note for note in planned["notes"])
    apply(api, planned["id"])
    assert lake.count("validated") == rows
    assert call(api, "GET", "/holds", token=READ).json() == [placed.json()]


def test_a_series_hold_keeps_that_series(api: httpx.Client, lake: Lake) -> None:
    before = lake.read("validated")
    declare(api)
    call(api, "POST", "/holds", {"kind": "series", "target": "a", "reason": "audit of sensor a"})
    planned = plan(api)
    assert "series held (kept): a" in planned["notes"]
    apply(api, planned["id"])
    after = lake.read("validated")
    kept = after[after["series_id"] == "a"]
    assert len(kept) == (before["series_id"] == "a").sum()
    assert len(after[after["series_id"] == "b"]) < (before["series_id"] == "b").sum()


def test_a_hold_placed_after_the_plan_refuses_the_apply_with_409(api: httpx.Client, lake: Lake) -> None:
    rows = lake.count("validated")
    declare(api)
    planned = plan(api)
    hold = call(api, "POST", "/holds", {"kind": "policy", "target": "v90"}).json()
    refused = call(api, "POST", f"/plans/{planned['id']}/apply")
    assert refused.status_code == 409
    assert "legal holds changed" in refused.json()["reasons"][0]
    assert lake.count("validated") == rows
    lifted = call(api, "DELETE", f"/holds/{hold['id']}")
    assert lifted.status_code == 200 and lifted.json() == hold
    assert call(api, "DELETE", f"/holds/{hold['id']}").status_code == 404


def test_unknown_policies_and_plans_are_404(api: httpx.Client) -> None:
    assert call(api, "POST", "/policies/nope/plan").status_code == 404
    assert call(api, "GET", "/plans/p-000000000000").status_code == 404
    missing = call(api, "POST", "/plans/p-000000000000/apply")
    assert missing.status_code == 404 and "p-000000000000" in missing.json()["detail"]


@pytest.mark.parametrize(("params", "body", "reason"), [
    ({"ttl": "1h"}, {"ttl": "2h"}, "not both"),
    ({"ttl": "forever"}, None, "ttl:"),
    ({}, {"ttl": "30d"}, "at most 7 days"),
    ({}, {"ttl": "1h", "colour": "red"}, "body.colour"),
])  # fmt: skip
def test_a_bad_ttl_is_422(api: httpx.Client, params: dict[str, str], body: Any, reason: str) -> None:
    declare(api)
    response = call(api, "POST", "/policies/v90/plan", body, **params)
    assert response.status_code == 422
    assert any(reason in line for line in response.json()["reasons"]), response.json()


def test_metrics_count_requests_refusals_plans_applies_and_rows(api: httpx.Client) -> None:
    api.get("/policies")
    declare(api)
    record = apply(api, plan(api)["id"])
    apply(api, record["plan_id"])  # a replay is not a second apply
    text = call(api, "GET", "/metrics", token=READ).text
    deleted = record["detail"]["rows"]["deleted"]
    assert 'sparkhu_retention_requests_total{method="PUT",route="/policies/{name}",status="201"} 1.0' in text
    assert 'sparkhu_retention_auth_refusals_total{reason="missing"} 1.0' in text
    assert "sparkhu_retention_plans_total 1.0" in text
    assert 'sparkhu_retention_applies_total{result="ok"} 1.0' in text
    assert f'sparkhu_retention_rows_total{{action="deleted"}} {float(deleted)}' in text


def test_the_responses_mirror_every_field_of_the_engine_documents(api: httpx.Client, settings: Settings) -> None:
    assert set(PlanDocument.model_fields) == set(Plan.model_fields) | {"totals", "state"}
    declare(api)
    apply(api, plan(api)["id"])
    call(api, "POST", "/holds", {"kind": "series", "target": "a"})
    assert set(Engine(settings, actor="test").audit(limit=1)[0]) == set(AuditRecord.model_fields)
    assert set(list_holds(settings)[0]) == set(Hold.model_fields)
