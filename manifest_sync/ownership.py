"""Ownership marks the controller puts on what it applies, and the content hash used to detect drift.

An object's *body* is everything except ``apiVersion``, ``kind``, ``metadata`` and ``status``: the spec of
a template, the data of a ConfigMap. The hash of the body as applied is stored in an annotation, so a
later sync can tell "git changed" (desired body hash differs from the annotation) from "someone edited the
live object" (live body hash differs from the annotation) without keeping any state of its own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "sparkhu-manifest-sync"
SOURCE_REPO = "sparkhu.io/source-repo"
SOURCE_PATH = "sparkhu.io/source-path"
SOURCE_REVISION = "sparkhu.io/source-revision"
APPLIED_HASH = "sparkhu.io/applied-hash"
PRUNE = "sparkhu.io/prune"
PRUNE_DISABLED = "disabled"
OWN_ANNOTATIONS = frozenset({SOURCE_REPO, SOURCE_PATH, SOURCE_REVISION, APPLIED_HASH})
NON_BODY_KEYS = frozenset({"apiVersion", "kind", "metadata", "status"})


@dataclass(frozen=True)
class Source:
    """Where the desired state comes from: the repository URL and the folder in it."""

    repo: str
    path: str


def body(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without its identity, metadata and status: what drift detection compares."""
    return {key: value for key, value in obj.items() if key not in NON_BODY_KEYS}


def body_hash(obj: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of :func:`body` (key order and whitespace do not matter)."""
    canonical = json.dumps(body(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    """The object's labels (empty when none)."""
    return dict((obj.get("metadata") or {}).get("labels") or {})


def annotations_of(obj: dict[str, Any]) -> dict[str, str]:
    """The object's annotations (empty when none)."""
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def is_managed(obj: dict[str, Any], source: Source) -> bool:
    """True when the object carries our managed-by label and came from this repository folder.

    Checked on the client because some API servers (and the test emulator) ignore label selectors; the
    source check keeps two controllers that sync different folders into one namespace from pruning each
    other's objects.
    """
    notes = annotations_of(obj)
    return (
        labels_of(obj).get(MANAGED_BY_LABEL) == MANAGED_BY
        and notes.get(SOURCE_REPO) == source.repo
        and notes.get(SOURCE_PATH) == source.path
    )


def prune_disabled(obj: dict[str, Any]) -> bool:
    """True when the object opts out of pruning with ``sparkhu.io/prune: disabled``."""
    return annotations_of(obj).get(PRUNE, "").strip().lower() == PRUNE_DISABLED


def ownership_metadata(desired: dict[str, Any], source: Source, revision: str) -> dict[str, Any]:
    """Labels and annotations to write: the ones from git plus our ownership marks."""
    return {
        "labels": {**labels_of(desired), MANAGED_BY_LABEL: MANAGED_BY},
        "annotations": {
            **annotations_of(desired),
            SOURCE_REPO: source.repo,
            SOURCE_PATH: source.path,
            SOURCE_REVISION: revision,
            APPLIED_HASH: body_hash(desired),
        },
    }


def metadata_matches(desired: dict[str, Any], live: dict[str, Any], source: Source) -> bool:
    """True when every label and annotation from git, and our ownership marks, are set on the live object.

    Extra labels or annotations other tools add to the live object are left alone and do not count.
    """
    want = ownership_metadata(desired, source, revision="")
    have_labels, have_notes = labels_of(live), annotations_of(live)
    notes = {k: v for k, v in want["annotations"].items() if k != SOURCE_REVISION}
    return all(have_labels.get(k) == v for k, v in want["labels"].items()) and all(
        have_notes.get(k) == v for k, v in notes.items()
    )


def merge_patch(live: Any, desired: Any) -> Any:
    """The RFC 7386 merge patch that turns ``live`` into ``desired`` (None removes a key).

    Lists and scalars are replaced whole; nested mappings are patched key by key.
    """
    if not isinstance(live, dict) or not isinstance(desired, dict):
        return desired
    patch: dict[str, Any] = {key: None for key in live if key not in desired}
    for key, value in desired.items():
        if key not in live:
            patch[key] = value
        elif live[key] != value:
            patch[key] = merge_patch(live[key], value)
    return patch
