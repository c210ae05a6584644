"""The HTTP side of the controller: health, readiness, status, Prometheus metrics and the git webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from manifest_sync import webhook
from manifest_sync.controller import Controller


def create_app(
    controller: Controller,
    secret_file: Path | None = None,
    alive: Callable[[], bool] = lambda: True,
    on_shutdown: Callable[[], None] = lambda: None,
) -> FastAPI:
    """The FastAPI application serving one controller.

    Args:
        controller: The controller whose state is served and which the webhook triggers.
        secret_file: File with the webhook secret (default: ``$SPARKHU_SYNC_WEBHOOK_SECRET_FILE``).
        alive: Liveness probe of the sync loop; ``/healthz`` fails once it returns False.
        on_shutdown: Called when the server stops gracefully (stops the loops, releases the Lease).
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Runs inside uvicorn's graceful shutdown: code after uvicorn.run() may never run, because
        # uvicorn re-raises the SIGTERM it caught once the server has stopped.
        yield
        on_shutdown()

    app = FastAPI(title="sparkhu manifest-sync", docs_url=None, redoc_url=None, lifespan=lifespan)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        ok = alive()
        return JSONResponse({"status": "ok" if ok else "sync loop stopped"}, status_code=200 if ok else 503)

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        ready = controller.status.ready
        reason = "ready" if ready else "no successful sync yet"
        return JSONResponse({"ready": ready, "reason": reason}, status_code=200 if ready else 503)

    @app.get("/status")
    def status() -> dict[str, Any]:
        config = controller.config
        source = {"repo": config.repo, "branch": config.branch, "path": config.path}
        return {"source": source, "mode": str(config.mode), "prune": config.prune, **controller.status.snapshot()}

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(controller.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/webhook")
    async def hook(request: Request) -> JSONResponse:
        secret = webhook.read_secret(secret_file)
        if secret is None:
            return JSONResponse({"error": "the webhook secret is not configured"}, status_code=503)
        body = await request.body()
        if not webhook.authentic(request.headers, body, secret):
            return JSONResponse({"error": "missing or invalid webhook signature"}, status_code=401)
        branch = webhook.pushed_branch(body)
        if branch is not None and branch != controller.config.branch:
            return JSONResponse(
                {"triggered": False, "reason": f"push to {branch!r}, tracking {controller.config.branch!r}"},
                status_code=202,
            )
        controller.trigger()
        return JSONResponse({"triggered": True}, status_code=202)

    return app
