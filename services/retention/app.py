"""The retention service: policies, plans, applies, legal holds and the audit log over HTTP.

``create_app`` builds the FastAPI application for one install (``sparkhu retention serve`` runs it under
uvicorn). Every endpoint but ``/healthz`` needs a bearer token (:mod:`services.auth`): ``read`` for the
GETs, ``admin`` for every change. Planning is a dry run; ``POST /plans/{id}/apply`` is the only endpoint
that changes data, and it applies a stored plan only while the engine still accepts it.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations at definition time,
# and they name dependencies local to each router builder.
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from services.auth import Authenticator, Principal, TokenSource
from services.retention.metrics import ServiceMetrics
from services.retention.models import (
    MAX_TTL_S,
    POLICY_EXAMPLE,
    AuditRecord,
    Health,
    Hold,
    HoldRequest,
    PlanDocument,
    PlanRequest,
    PolicySaved,
    Problem,
)
from sparkhu import __version__
from sparkhu.config import Settings, get_settings, variable_name
from sparkhu.durations import parse_duration
from sparkhu.retention.plan import DEFAULT_TTL_S
from sparkhu.retention.policy import Policy, PolicyError, load_policies
from sparkhu.retention.store import StoreError
from sparkhu.retention_engine.control import (
    ControlError,
    add_hold,
    delete_policy,
    get_policy,
    list_holds,
    list_policies,
    remove_hold,
    save_policies,
)
from sparkhu.retention_engine.engine import Engine, PlanRefused

REALM = "sparkhu-retention"
TAGS = [
    {"name": "policies", "description": "Retention policies (validated with their guards when saved)."},
    {"name": "plans", "description": "Dry runs, and the one endpoint that applies them."},
    {"name": "holds", "description": "Legal holds: while one exists, no delete touches what it covers."},
    {"name": "audit", "description": "Every apply and every change of policies and holds."},
    {"name": "service", "description": "Health and metrics."},
]
PolicyName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f/]+$",
                                 examples=["raw-90d"], description="the policy's name")]
PlanId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,40}$", examples=["p-0123456789ab"],
                             description="the id a plan returned")]
HoldId = Annotated[int, Path(ge=1, le=2**31 - 1, examples=[1], description="the hold's id")]


class ApiError(Exception):
    """A refused request: its status, one line, and the reasons (rendered as :class:`Problem`)."""

    def __init__(self, status: int, detail: str, reasons: list[str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.reasons = reasons or []


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of the refusals an endpoint may answer."""
    meaning = {401: "no token, or an unknown one", 403: "the token lacks the admin scope",
               404: "no such policy, plan or hold", 409: "the engine refuses (the reason says why)",
               422: "invalid request (every reason listed)", 500: "a store failed during the apply"}
    return {status: {"model": Problem, "description": meaning[status]} for status in statuses}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The retention service for one install (``settings``: default the environment's).

    Raises:
        services.auth.TokenConfigError: No token is configured, or the configuration is malformed.
    """
    settings = settings or get_settings()
    metrics = ServiceMetrics()
    source = TokenSource(settings.retention_tokens, settings.retention_tokens_file,
                         (variable_name("retention_tokens"), variable_name("retention_tokens_file")))
    auth = Authenticator(source, REALM, on_refusal=lambda reason: metrics.refused.labels(reason=reason).inc())
    app = FastAPI(title="sparkhu retention", version=__version__, description=__doc__, openapi_tags=TAGS,
                  docs_url=None, redoc_url=None, separate_input_output_schemas=False)
    _add_error_handlers(app)
    app.add_middleware(_Metered, metrics=metrics)
    app.include_router(_service_routes(metrics, auth))
    app.include_router(_policy_routes(settings, auth))
    app.include_router(_plan_routes(settings, auth, metrics))
    app.include_router(_hold_routes(settings, auth))
    return app


def _problem(status: int, detail: str, reasons: list[str] | None = None,
             headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = Problem(detail=detail, reasons=reasons or []).model_dump()
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def _add_error_handlers(app: FastAPI) -> None:
    """Every refusal is a :class:`Problem`; a metadata database that fails is a 503."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return _problem(error.status, error.detail, error.reasons)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        return _problem(error.status_code, str(error.detail), headers=error.headers)

    for status in (404, 405):  # the router's own refusals (no such path, method not allowed)
        app.add_exception_handler(status, http_error)  # type: ignore[arg-type]

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        reasons = [f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()]
        return _problem(422, "invalid request", reasons)

    @app.exception_handler(SQLAlchemyError)
    async def database_error(_: Request, error: SQLAlchemyError) -> JSONResponse:
        return _problem(503, "the metadata database failed; retry later", [type(error).__name__])


class _Metered:
    """ASGI middleware counting every request by method, route template and status."""

    def __init__(self, app: Callable[..., Awaitable[None]], metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe_request(scope["method"], route, status, time.perf_counter() - started)


def _service_routes(metrics: ServiceMetrics, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["service"])
    read = auth.require("read")

    @router.get("/healthz", summary="Liveness (no token needed)")
    def healthz() -> Health:
        """The process serves requests."""
        return Health(version=__version__)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response, responses={
        200: {"content": {"text/plain": {"example": "sparkhu_retention_applies_total{result=\"ok\"} 1.0"}}},
        **_problems(401)})
    def prometheus(_: Annotated[Principal, Depends(read)]) -> Response:
        """Requests, token refusals, plans, applies and the rows they archived, downsampled and deleted."""
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def _policy_routes(settings: Settings, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/policies", tags=["policies"])
    read, admin = auth.require("read"), auth.require("admin")

    @router.get("", summary="List the policies", responses=_problems(401))
    def policies(_: Annotated[Principal, Depends(read)]) -> list[Policy]:
        """Every stored policy, by name."""
        return list_policies(settings)

    @router.get("/{name}", summary="Get one policy", responses=_problems(401, 404, 422))
    def policy(name: PolicyName, _: Annotated[Principal, Depends(read)]) -> Policy:
        """The stored policy ``name``."""
        try:
            return get_policy(settings, name)
        except ControlError as error:
            raise ApiError(404, str(error)) from error

    @router.put("/{name}", summary="Add or replace one policy",
                responses={201: {"model": PolicySaved, "description": "a new policy"}, **_problems(401, 403, 422)},
                openapi_extra={"requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Policy"}}}}})
    def put(name: PolicyName, response: Response, principal: Annotated[Principal, Depends(admin)],
            document: Annotated[Any, Body(openapi_examples={"archive then delete": {
                "summary": "archive, then delete what is older than 90 days", "value": POLICY_EXAMPLE}})]
            ) -> PolicySaved:
        """Validate the document with the policy guards and store it under ``name``.

        The guards: strict fields, the 168 h minimum age of a delete, copy before delete. An invalid document
        writes nothing and lists every problem. Durations may be written ``90d`` / ``36h`` / ``PT12H`` or in
        seconds, actions as ``"delete"`` or ``{"downsample": {...}}``. The answer is 201 when the policy is new.
        """
        valid = _validated(name, document)
        changes = save_policies(settings, [valid], actor=principal.name)
        change = "added" if changes.added else "updated" if changes.updated else "unchanged"
        response.status_code = 201 if change == "added" else 200
        return PolicySaved(policy=valid, change=change)

    @router.delete("/{name}", summary="Remove one policy", status_code=204, response_class=Response,
                   responses=_problems(401, 403, 404, 422))
    def remove(name: PolicyName, principal: Annotated[Principal, Depends(admin)]) -> Response:
        """Remove the policy (its plans can no longer be applied); audited."""
        try:
            delete_policy(settings, name, principal.name)
        except ControlError as error:
            raise ApiError(404, str(error)) from error
        return Response(status_code=204)

    return router


def _validated(name: str, document: Any) -> Policy:
    """The policy a PUT body describes, named by the path.

    Raises:
        ApiError: 422 with every problem the policy module found.
    """
    if not isinstance(document, dict):
        raise ApiError(422, "invalid policy, nothing was written", ["the body must be a JSON object"])
    if document.get("name", name) != name:
        raise ApiError(422, "invalid policy, nothing was written",
                       [f"the document is named {document['name']!r}, the path {name!r}"])
    try:
        [valid] = load_policies([{**document, "name": name}], source="request")
    except PolicyError as error:
        raise ApiError(422, "invalid policy, nothing was written", error.problems) from error
    return valid


def _ttl(query: str | None, body: PlanRequest | None) -> float:
    """Seconds a plan stays applicable: the query's or the body's TTL (not both), default one hour.

    Raises:
        ApiError: 422 for both, an unparsable duration, or one beyond :data:`MAX_TTL_S`.
    """
    given = [value for value in (query, body.ttl if body else None) if value is not None]
    if len(given) > 1:
        raise ApiError(422, "invalid request", ["give ttl as a query parameter or in the body, not both"])
    if not given:
        return DEFAULT_TTL_S
    try:
        seconds = parse_duration(given[0])
    except ValueError as error:
        raise ApiError(422, "invalid request", [f"ttl: {error}"]) from error
    if seconds > MAX_TTL_S:
        raise ApiError(422, "invalid request", [f"ttl: at most {MAX_TTL_S / 86400:g} days"])
    return seconds


def _plan_routes(settings: Settings, auth: Authenticator, metrics: ServiceMetrics) -> APIRouter:
    router = APIRouter(tags=["plans"])
    read, admin = auth.require("read"), auth.require("admin")
    applying = threading.Lock()  # one apply at a time in this process

    @router.post("/policies/{name}/plan", summary="Plan one policy (dry run)", status_code=201,
                 responses=_problems(401, 403, 404, 409, 422))
    def plan(name: PolicyName, principal: Annotated[Principal, Depends(admin)],
             ttl: Annotated[str | None, Query(description="how long the plan may be applied: 1h, 30m, PT6H, or "
                                                          "seconds (default 1h, at most 7 days)",
                                              examples=["1h"], max_length=40)] = None,
             options: Annotated[PlanRequest | None, Body()] = None) -> PlanDocument:
        """Dry run: what the policy would archive, downsample and delete, stored as a plan.

        The plan lists each unit with its actions, and the totals per action. Nothing else changes: apply
        it with ``POST /plans/{id}/apply`` before it expires.
        """
        seconds = _ttl(ttl, options)
        try:
            [made] = Engine(settings, actor=principal.name).plan(name, ttl_s=seconds)
        except LookupError as error:
            raise ApiError(404, str(error)) from error
        except (StoreError, ValueError) as error:
            raise ApiError(409, f"cannot plan policy {name!r}", [str(error)]) from error
        metrics.plans.inc()
        return PlanDocument.of_plan(made, "planned")

    @router.get("/plans/{plan_id}", summary="Get one plan", responses=_problems(401, 404, 422))
    def stored(plan_id: PlanId, principal: Annotated[Principal, Depends(read)]) -> PlanDocument:
        """A stored plan and its state (``planned``, ``applying`` or ``applied``)."""
        try:
            found, state = Engine(settings, actor=principal.name).stored_plan(plan_id)
        except PlanRefused as error:
            raise ApiError(404, str(error)) from error
        return PlanDocument.of_plan(found, state)

    @router.post("/plans/{plan_id}/apply", summary="Apply a plan (the only endpoint that changes data)",
                 responses=_problems(401, 403, 404, 409, 422, 500))
    def apply(plan_id: PlanId, principal: Annotated[Principal, Depends(admin)]) -> AuditRecord:
        """Apply a stored plan while it is valid, and return its audit record.

        Valid: not expired, its policy and the holds unchanged since. Units that changed since the plan are
        skipped. An interrupted apply resumes, and applying an applied plan changes nothing.
        """
        engine = Engine(settings, actor=principal.name)
        with applying:
            try:
                _, state = engine.stored_plan(plan_id)
            except PlanRefused as error:
                raise ApiError(404, str(error)) from error
            record = _applied(engine, plan_id, metrics)
        if state != "applied":
            metrics.observe_apply(record)
        return AuditRecord.of(record)

    @router.get("/audit", summary="The audit log", tags=["audit"], responses=_problems(401, 422))
    def audit(principal: Annotated[Principal, Depends(read)],
              limit: Annotated[int, Query(ge=1, le=1000, description="newest records to return")] = 100,
              plan_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,40}$",
                                                   description="only this plan's records")] = None,
              ) -> list[AuditRecord]:
        """Audit records, newest first, each with its actor (the token's name).

        Applies (rows, bytes and versions before and after, timings) and every change of policies and holds.
        """
        records = Engine(settings, actor=principal.name).audit(plan_id=plan_id, limit=limit)
        return [AuditRecord.of(record) for record in records]

    return router


def _applied(engine: Engine, plan_id: str, metrics: ServiceMetrics) -> dict[str, Any]:
    """The engine's apply, its refusals and failures as HTTP problems."""
    try:
        return engine.apply(plan_id)
    except PlanRefused as error:
        metrics.applies.labels(result="refused").inc()
        raise ApiError(409, f"plan {plan_id} refused", [str(error)]) from error
    except StoreError as error:
        metrics.applies.labels(result="error").inc()
        raise ApiError(500, "the apply stopped; nothing unverified was deleted (apply again to resume)",
                       [str(error)]) from error


def _hold_routes(settings: Settings, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/holds", tags=["holds"])
    read, admin = auth.require("read"), auth.require("admin")

    @router.get("", summary="List the legal holds", responses=_problems(401))
    def holds(_: Annotated[Principal, Depends(read)]) -> list[Hold]:
        """Every legal hold, oldest first."""
        return [Hold.of(hold) for hold in list_holds(settings)]

    @router.post("", summary="Place a legal hold", status_code=201,
                 responses={200: {"model": Hold, "description": "the hold existed"}, **_problems(401, 403, 422)})
    def place(request: Annotated[HoldRequest, Body(openapi_examples={"table": {
                  "summary": "hold every delete of a table",
                  "value": {"kind": "table", "target": "validated", "reason": "litigation 2026-17"}}})],
              response: Response, principal: Annotated[Principal, Depends(admin)]) -> Hold:
        """Place a hold (201); placing one that exists returns it unchanged (200).

        Plans made before it can no longer be applied: plan again.
        """
        known = {(hold["kind"], hold["target"]) for hold in list_holds(settings)}
        hold = add_hold(settings, request.kind, request.target, request.reason, principal.name)
        response.status_code = 200 if (request.kind, request.target) in known else 201
        return Hold.of(hold)

    @router.delete("/{hold_id}", summary="Lift a legal hold", responses=_problems(401, 403, 404, 422))
    def lift(hold_id: HoldId, principal: Annotated[Principal, Depends(admin)]) -> Hold:
        """Lift the hold and return it; audited."""
        try:
            return Hold.of(remove_hold(settings, principal.name, hold_id=hold_id))
        except ControlError as error:
            raise ApiError(404, str(error)) from error

    return router
