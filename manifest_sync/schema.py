"""The Argo Workflows JSON schema, used to check Argo objects before they reach the cluster.

The Argo Workflows v4.1.2 schema is bundled with this package (``manifest_sync/schemas/``, Apache-2.0,
see the NOTICE file there), so every clone, wheel and container image checks Argo objects with it.
``SPARKHU_SYNC_ARGO_SCHEMA`` (or ``--schema``) points at another file, e.g. for a newer Argo release.
"""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_ENV = "SPARKHU_SYNC_ARGO_SCHEMA"
BUNDLED_SCHEMA = Path(__file__).resolve().parent / "schemas" / "argo-workflows.schema.json"
"""The Argo Workflows v4.1.2 JSON schema shipped as package data."""
ARGO_DEFINITION = "io.argoproj.workflow.v1alpha1.{kind}"
log = logging.getLogger(__name__)


def default_schema_path() -> Path:
    """``$SPARKHU_SYNC_ARGO_SCHEMA`` when set, else the schema bundled with this package."""
    configured = os.environ.get(SCHEMA_ENV, "").strip()
    if configured:
        return Path(configured)
    return BUNDLED_SCHEMA


class ArgoSchema:
    """Validators for the Argo kinds of one schema file.

    Args:
        definitions: The ``definitions`` section of the Argo JSON schema.
    """

    def __init__(self, definitions: dict[str, Any]) -> None:
        self._definitions = definitions
        self._validators: dict[str, jsonschema.protocols.Validator] = {}

    def covers(self, kind: str) -> bool:
        """True when the schema defines ``kind``."""
        return ARGO_DEFINITION.format(kind=kind) in self._definitions

    def errors(self, obj: dict[str, Any]) -> list[str]:
        """Schema violations of ``obj`` as ``field/path: message`` strings (empty when valid)."""
        validator = self._validator(str(obj.get("kind")))
        found = sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in found]

    def _validator(self, kind: str) -> jsonschema.protocols.Validator:
        """A cached validator for one kind (building one resolves the large schema once)."""
        if kind not in self._validators:
            schema = {"$ref": f"#/definitions/{ARGO_DEFINITION.format(kind=kind)}", "definitions": self._definitions}
            self._validators[kind] = jsonschema.Draft202012Validator(schema)
        return self._validators[kind]


@lru_cache(maxsize=4)
def load_schema(path: Path | None) -> ArgoSchema | None:
    """The schema at ``path``, or None (with a warning) when there is no such file.

    Raises:
        ValueError: The file exists but is not an Argo JSON schema.
    """
    if path is None or not path.is_file():
        log.warning("Argo schema not found; Argo objects are not schema-checked", extra={"fields": {"path": str(path)}})
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    definitions = document.get("definitions") if isinstance(document, dict) else None
    if not isinstance(definitions, dict):
        raise ValueError(f"{path} has no 'definitions': not an Argo Workflows JSON schema")
    return ArgoSchema(definitions)
