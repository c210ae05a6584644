"""Checks every rendered document before anything touches the cluster.

A sync is all-or-nothing at this stage: every problem in every file is collected and reported together,
and a single one blocks the whole sync, so a half-valid commit never half-applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from manifest_sync.kinds import KNOWN_KINDS, ObjectRef
from manifest_sync.render import Document
from manifest_sync.schema import ArgoSchema

# RFC 1123 subdomain: what Kubernetes accepts as the name of these kinds.
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class ValidationFailed(Exception):
    """At least one document is invalid; ``problems`` lists every one as ``origin: reason``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} invalid manifest(s): " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Policy:
    """What the controller is allowed to manage.

    Attributes:
        kinds: Allowed kinds (a subset of :data:`manifest_sync.kinds.KNOWN_KINDS`).
        namespaces: Allowed namespaces for namespaced kinds.
        default_namespace: Namespace given to namespaced objects that name none.
    """

    kinds: frozenset[str]
    namespaces: frozenset[str]
    default_namespace: str


@dataclass(frozen=True)
class Desired:
    """A validated object to apply, with its identity and origin."""

    ref: ObjectRef
    origin: str
    obj: dict[str, Any]


def validate(documents: list[Document], policy: Policy, schema: ArgoSchema | None) -> list[Desired]:
    """The documents as objects to apply, namespaces defaulted.

    Raises:
        ValidationFailed: Any document breaks a rule (all problems are reported at once).
    """
    problems: list[str] = []
    desired: list[Desired] = []
    seen: dict[ObjectRef, str] = {}
    for document in documents:
        found = _document_problems(document.obj, policy, schema)
        if found:
            problems.extend(f"{document.origin}: {problem}" for problem in found)
            continue
        item = _normalised(document, policy)
        if item.ref in seen:
            problems.append(f"{document.origin}: {item.ref} is also defined in {seen[item.ref]}")
            continue
        seen[item.ref] = document.origin
        desired.append(item)
    if problems:
        raise ValidationFailed(problems)
    return desired


def _document_problems(obj: Any, policy: Policy, schema: ArgoSchema | None) -> list[str]:
    """Everything wrong with one document; the checks stop early when later ones would be noise."""
    if not isinstance(obj, dict):
        return [f"expected a Kubernetes object (a mapping), got {type(obj).__name__}"]
    kind = obj.get("kind")
    if kind not in policy.kinds:
        return [f"kind {kind!r} is not allowed (allowed: {', '.join(sorted(policy.kinds))})"]
    problems = _identity_problems(obj, kind, policy)
    if not problems and schema is not None and schema.covers(kind):
        problems = [f"schema: {error}" for error in schema.errors(obj)]
    return problems


def _identity_problems(obj: dict[str, Any], kind: str, policy: Policy) -> list[str]:
    """API version, name and namespace rules."""
    resource = KNOWN_KINDS[kind]
    problems: list[str] = []
    if obj.get("apiVersion") != resource.api_version:
        problems.append(f"{kind} needs apiVersion {resource.api_version!r}, got {obj.get('apiVersion')!r}")
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return [*problems, "metadata is missing"]
    problems.extend(_name_problems(meta))
    namespace = meta.get("namespace")
    if not resource.namespaced and namespace:
        problems.append(f"{kind} is cluster-scoped and cannot have a namespace ({namespace!r})")
    if resource.namespaced and (namespace or policy.default_namespace) not in policy.namespaces:
        allowed = ", ".join(sorted(policy.namespaces))
        problems.append(f"namespace {namespace or policy.default_namespace!r} is not allowed (allowed: {allowed})")
    return problems


def _name_problems(meta: dict[str, Any]) -> list[str]:
    """metadata.name is required, stable (no generateName) and a valid DNS subdomain."""
    name = meta.get("name")
    if not name:
        hint = " (generateName is not supported: a synced object needs a stable name)" if "generateName" in meta else ""
        return [f"metadata.name is required{hint}"]
    if not isinstance(name, str) or len(name) > 253 or not NAME_RE.match(name):
        return [f"metadata.name {name!r} is not a valid name (lower-case letters, digits, '-' and '.')"]
    return []


def _normalised(document: Document, policy: Policy) -> Desired:
    """The object with its namespace filled in (namespaced kinds) and its reference."""
    obj = dict(document.obj)
    meta = dict(obj["metadata"])
    if KNOWN_KINDS[obj["kind"]].namespaced:
        meta["namespace"] = meta.get("namespace") or policy.default_namespace
    obj["metadata"] = meta
    return Desired(ObjectRef.of(obj), document.origin, obj)
