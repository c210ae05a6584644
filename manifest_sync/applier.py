"""Executes a plan against the cluster: create, merge-patch, prune — never delete-then-create.

Updating in place keeps an object's identity (uid, creation time, the Argo UI's history and every
Workflow that references the template) which a delete-and-recreate would break.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from manifest_sync import ownership
from manifest_sync.kube import KubeApi, KubeApiError, is_transient
from manifest_sync.planner import Action, Change, Plan
from manifest_sync.status import ObjectResult

log = logging.getLogger(__name__)
WRITES = {Action.CREATE: "applied", Action.UPDATE: "applied", Action.DRIFT: "corrected", Action.PRUNE: "pruned"}


class ApplyAborted(Exception):
    """Writing stopped early: the API became unavailable or this replica lost the leadership."""


def creation_body(desired: dict[str, Any], source: ownership.Source, revision: str) -> dict[str, Any]:
    """The object to POST: as in git, plus our labels and annotations."""
    meta = dict(desired["metadata"])
    meta.update(ownership.ownership_metadata(desired, source, revision))
    return {**desired, "metadata": meta}


def update_patch(
    desired: dict[str, Any], live: dict[str, Any], source: ownership.Source, revision: str
) -> dict[str, Any]:
    """The merge patch that makes the live body equal the desired one and stamps ownership.

    The live ``resourceVersion`` is included, so a real API server rejects the patch (409) when someone
    changed the object since it was read, instead of overwriting that change unseen.
    """
    patch = ownership.merge_patch(ownership.body(live), ownership.body(desired))
    meta: dict[str, Any] = ownership.ownership_metadata(desired, source, revision)
    version = (live.get("metadata") or {}).get("resourceVersion")
    if version:
        meta["resourceVersion"] = version
    return {**patch, "metadata": meta}


def apply_plan(
    api: KubeApi,
    plan: Plan,
    source: ownership.Source,
    correct_drift: bool,
    may_write: Callable[[], bool] = lambda: True,
) -> list[ObjectResult]:
    """Carry out every change of ``plan`` and report each object's result.

    Args:
        api: The cluster.
        plan: What to do.
        source: Repository and folder, stamped on what is applied.
        correct_drift: False in detect-only mode: drifted objects are reported, not patched.
        may_write: Asked before every write; False (leadership lost) stops the sync.

    Returns:
        One result per object. Objects after an abort are reported as ``skipped``.
    """
    results: list[ObjectResult] = []
    aborted = ""
    for change in plan.changes:
        if aborted and change.action in WRITES:
            results.append(_result(change, "skipped", aborted))
            continue
        try:
            results.append(_execute(api, change, plan.revision, source, correct_drift, may_write))
        except ApplyAborted as error:
            aborted = str(error)
            results.append(_result(change, "skipped", aborted))
        except KubeApiError as error:
            results.append(_result(change, "failed", str(error)))
        except Exception as error:
            if not is_transient(error):
                raise
            aborted = f"API unavailable: {error}"
            results.append(_result(change, "failed", aborted))
    return results


def _execute(
    api: KubeApi,
    change: Change,
    revision: str,
    source: ownership.Source,
    correct_drift: bool,
    may_write: Callable[[], bool],
) -> ObjectResult:
    """One change; raises ApplyAborted when a write is no longer allowed."""
    if change.action == Action.DRIFT and not correct_drift:
        return _result(change, "detected", "edited in the cluster; not corrected (detect-only mode)")
    if change.action not in WRITES:
        return _result(change, "kept" if change.action == Action.KEEP else "unchanged", change.reason)
    if not may_write():
        raise ApplyAborted("this replica is no longer the leader")
    _write(api, change, revision, source)
    log.info(
        "%s %s", change.action, change.ref, extra={"fields": {"object": str(change.ref), "action": str(change.action)}}
    )
    return _result(change, WRITES[change.action], change.reason)


def _write(api: KubeApi, change: Change, revision: str, source: ownership.Source) -> None:
    """The API call for one create, update, drift correction or prune."""
    ref = change.ref
    if change.action == Action.PRUNE:
        api.delete(ref.path)
    elif change.action == Action.CREATE:
        assert change.desired is not None
        _create(api, change, revision, source)
    else:
        assert change.desired is not None and change.live is not None
        api.patch(ref.path, update_patch(change.desired, change.live, source, revision))


def _create(api: KubeApi, change: Change, revision: str, source: ownership.Source) -> None:
    """POST the object; if it exists after all, patch it instead.

    A 409 happens when a create that timed out or got a 5xx did reach the server and the retry finds the
    object, or when someone created it since the live state was read: either way, update it in place.
    """
    assert change.desired is not None
    ref = change.ref
    try:
        api.create(ref.resource.collection_path(ref.namespace), creation_body(change.desired, source, revision))
    except KubeApiError as error:
        live = api.get(ref.path) if error.status == 409 else None
        if live is None:
            raise
        if ownership.body_hash(change.desired) != ownership.annotations_of(live).get(ownership.APPLIED_HASH):
            api.patch(ref.path, update_patch(change.desired, live, source, revision))


def _result(change: Change, result: str, message: str) -> ObjectResult:
    """The status line of one object."""
    return ObjectResult(str(change.ref), str(change.action), result, message, change.origin)
