"""A small JSON client for the Kubernetes REST API, on top of the official client's connection handling.

The typed ``kubernetes`` API classes cover the built-in kinds but treat custom resources differently and
cannot count or retry writes uniformly; every call the controller makes goes through :class:`KubeApi`
instead: JSON in, JSON out, merge-patch for updates, retries on transient failures, and a tally of
requests per HTTP method (how the "a no-change sync writes nothing" promise is measured).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config

from manifest_sync.retry import RetryPolicy, call_with_retries

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MERGE_PATCH = "application/merge-patch+json"


class KubeApiError(Exception):
    """An API call answered with an error status (``status`` 0: no answer at all)."""

    def __init__(self, status: int, method: str, path: str, message: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {message}")
        self.status = status
        self.method = method
        self.path = path
        self.message = message


def is_transient(error: BaseException) -> bool:
    """True for errors worth retrying: throttling, server errors and connection failures."""
    if isinstance(error, KubeApiError):
        return error.status in RETRYABLE_STATUS or error.status == 0
    return isinstance(error, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError)


class KubeApi:
    """JSON requests against one API server, with retries and a per-method request tally.

    Args:
        api_client: A configured ``kubernetes.client.ApiClient`` (host, credentials, TLS).
        retry: Backoff policy for transient failures.
        sleep: Waits between retries (replaced in tests).
        timeout: Per-request timeout in seconds.
    """

    def __init__(
        self,
        api_client: client.ApiClient,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
    ) -> None:
        self._client = api_client
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._timeout = timeout
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()

    @property
    def writes(self) -> int:
        """Number of write requests (POST, PUT, PATCH, DELETE) sent so far, retries included."""
        with self._lock:
            return sum(n for method, n in self.requests.items() if method in WRITE_METHODS)

    def get(self, path: str) -> dict[str, Any] | None:
        """The object at ``path``, or None when it does not exist."""
        try:
            return self._request("GET", path)
        except KubeApiError as error:
            if error.status == 404:
                return None
            raise

    def list(self, path: str) -> list[dict[str, Any]]:
        """The items of the collection at ``path`` (a 404 means the kind is not installed: an error)."""
        items = self._request("GET", path).get("items") or []
        return [item for item in items if isinstance(item, dict)]

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to the collection at ``path``."""
        return self._request("POST", path, body)

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """JSON-merge-patch (RFC 7386) the object at ``path``: keys set to None are removed."""
        return self._request("PATCH", path, body, MERGE_PATCH)

    def delete(self, path: str) -> bool:
        """Delete the object at ``path``; False when it was already gone."""
        try:
            self._request("DELETE", path)
        except KubeApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, content_type: str = "application/json"
    ) -> dict[str, Any]:
        """One call with retries; returns the decoded JSON answer."""
        return call_with_retries(
            lambda: self._send(method, path, body, content_type),
            is_transient,
            self._retry,
            self._sleep,
            what=f"{method} {path}",
        )

    def _send(self, method: str, path: str, body: dict[str, Any] | None, content_type: str) -> dict[str, Any]:
        """One HTTP request, without retries."""
        headers = {"Accept": "application/json", "Content-Type": content_type}
        verb, url, headers, payload, _ = self._client.param_serialize(
            method, path, header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        with self._lock:
            self.requests[method] += 1
        response = self._client.call_api(verb, url, headers, payload, _request_timeout=self._timeout)
        data = response.read() or b"{}"
        if not 200 <= response.status < 300:
            raise KubeApiError(response.status, method, path, _error_message(data))
        decoded = json.loads(data)
        return decoded if isinstance(decoded, dict) else {}


def _error_message(data: bytes) -> str:
    """The ``message`` of a Kubernetes Status answer, or the raw text."""
    try:
        status = json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")[:500]
    return str(status.get("message") or status.get("reason") or status) if isinstance(status, dict) else str(status)


def api_client_from(kubeconfig: Path | None = None, context: str | None = None) -> client.ApiClient:
    """An ``ApiClient`` for a kubeconfig file, the in-cluster service account, or the default kubeconfig.

    Args:
        kubeconfig: A kubeconfig file; None picks in-cluster credentials when running in a pod, else
            ``$KUBECONFIG`` / ``~/.kube/config``.
        context: A context name in the kubeconfig (its current context when None).
    """
    if kubeconfig is not None:
        return config.new_client_from_config(config_file=str(kubeconfig), context=context)
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration)
    return config.new_client_from_config(context=context)
