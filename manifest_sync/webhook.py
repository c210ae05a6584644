"""Webhook authentication and payload reading for GitHub and GitLab push events.

GitHub signs the raw body with HMAC-SHA256 of the shared secret (``X-Hub-Signature-256: sha256=<hex>``);
GitLab sends the shared secret itself in ``X-Gitlab-Token``. Both are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from pathlib import Path

SECRET_FILE_ENV = "SPARKHU_SYNC_WEBHOOK_SECRET_FILE"
GITHUB_SIGNATURE = "x-hub-signature-256"
GITLAB_TOKEN = "x-gitlab-token"


def read_secret(path: Path | None = None) -> bytes | None:
    """The webhook secret from ``path`` (default ``$SPARKHU_SYNC_WEBHOOK_SECRET_FILE``); None when unset.

    Read on every request, so a rotated secret takes effect without a restart.
    """
    if path is None:
        configured = os.environ.get(SECRET_FILE_ENV, "").strip()
        path = Path(configured) if configured else None
    if path is None or not path.is_file():
        return None
    secret = path.read_bytes().strip()
    return secret or None


def github_signature(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def authentic(headers: Mapping[str, str], body: bytes, secret: bytes) -> bool:
    """True when the request carries a valid GitHub signature or GitLab token for ``secret``.

    Args:
        headers: Request headers (case-insensitive mapping, or lower-case keys).
        body: The raw request body, exactly as received.
        secret: The shared secret.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    signature = lowered.get(GITHUB_SIGNATURE)
    if signature:
        return hmac.compare_digest(signature.strip().encode(), github_signature(secret, body).encode())
    token = lowered.get(GITLAB_TOKEN)
    if token:
        return hmac.compare_digest(token.strip().encode(), secret)
    return False


def pushed_branch(body: bytes) -> str | None:
    """The branch a push payload is about (``ref: refs/heads/<branch>``), or None when it says none."""
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return None
    ref = payload.get("ref") if isinstance(payload, dict) else None
    if isinstance(ref, str) and ref.startswith("refs/heads/"):
        return ref.removeprefix("refs/heads/")
    return None
