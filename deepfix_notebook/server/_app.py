"""`create_app`: the FastAPI app of CONTRACT.md §2. Routes are thin: parse, call a use case,
format; the work is in `_usecases`, `_executor` and `_jobs`."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from deepfix_notebook._version import __version__
from deepfix_notebook.contract import (
    HTTP_STATUS,
    AcceptedJob,
    AnalysisRequest,
    AnalysisResult,
    ErrorCode,
    ErrorResponse,
    HealthResponse,
    JobStatus,
    KnowledgeQuery,
    KnowledgeResponse,
)
from deepfix_notebook.engine import Engine
from deepfix_notebook.server._errors import ApiError, install_handlers
from deepfix_notebook.server._executor import JobExecutor, JobKeeper, JobRunner
from deepfix_notebook.server._fetch import guarded_loader
from deepfix_notebook.server._jobs import JobStore, SqlJobStore, new_owner
from deepfix_notebook.server._logging import current_request_id, get_logger
from deepfix_notebook.server._metrics import CONTENT_TYPE, Metrics
from deepfix_notebook.server._middleware import RequestContextMiddleware
from deepfix_notebook.server._services import build_engine, build_executor
from deepfix_notebook.server._settings import Settings
from deepfix_notebook.server._usecases import (
    AnalysisSubmitter,
    AnalysisWaiter,
    HealthChecker,
    JobFinder,
    KnowledgeSearcher,
    Services,
    StatusFinder,
    outcome,
)

log = get_logger(__name__)

DESCRIPTION = (
    "Diagnoses ML training runs logged to MLflow (CONTRACT.md §2). Every non-2xx answer is "
    "the error envelope `{error, message, details, timestamp}`. When the server has an API key, "
    "every route but health needs `Authorization: Bearer <key>`."
)
_bearer = HTTPBearer(auto_error=False, description="The server's API key (DEEPFIX_API_KEY).")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _require_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> None:
    expected = _services(request).settings.api_key
    if not expected:
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError.of(
            ErrorCode.UNAUTHORIZED,
            "Missing or wrong API key; send it as `Authorization: Bearer <key>`.",
            {"header": "Authorization", "scheme": "Bearer"},
            headers={"WWW-Authenticate": "Bearer"},
        )


ServicesDep = Annotated[Services, Depends(_services)]


def _json(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        content=model.model_dump_json(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}
_LOCATION = {"Location": {"description": "The job's status URL", "schema": {"type": "string"}}}


def _errors(*codes: ErrorCode) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of the given errors (and the 500 every route may give)."""
    by_status: dict[int, list[str]] = {}
    for code in (*codes, ErrorCode.INTERNAL_SERVER_ERROR):
        by_status.setdefault(HTTP_STATUS[code], []).append(code.value)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, names in sorted(by_status.items()):
        response: dict[str, Any] = {"model": ErrorResponse, "description": " or ".join(names)}
        if status in (429, 503):
            response["headers"] = _RETRY_AFTER
        responses[status] = response
    return responses


def _wants_async(prefer: str | None) -> bool:
    """Whether a ``Prefer`` header (RFC 7240) asks for ``respond-async``."""
    if not prefer:
        return False
    tokens = (part.split("=")[0].strip().lower() for part in prefer.replace(";", ",").split(","))
    return "respond-async" in tokens


def _backend(request: Request, services: Services) -> str:
    return services.settings.public_url or str(request.base_url).rstrip("/")


def _strict(model: type[BaseModel]) -> Any:
    """A dependency refusing bodies that FastAPI's lax validation would coerce (``false`` or
    ``"5"`` for a number, ``"yes"`` for a boolean): values must have the document's JSON types."""

    async def check(request: Request) -> None:
        raw = await request.body()
        try:
            model.model_validate_json(raw, strict=True)
        except ValidationError as strict:
            try:
                model.model_validate_json(raw)
            except ValidationError:
                return  # invalid either way: FastAPI's own validation reports it
            errors = [
                {**error, "loc": ("body", *error["loc"])}
                for error in strict.errors()
                if not _integral_float(error)
            ]
            if errors:
                raise RequestValidationError(errors) from None

    return Depends(check)


def _integral_float(error: Any) -> bool:
    """``5.0`` for an integer: an integer to JSON Schema, refused by pydantic's strict mode."""
    given = error.get("input")
    return error.get("type") == "int_type" and isinstance(given, float) and given.is_integer()


_AUTH = [Depends(_require_key)]
api = APIRouter(prefix="/api/v1")


@api.post(
    "/analyze",
    name="analyze",
    summary="Analyse one run",
    description="Synchronous by default (200 `AnalysisResult`). With `Prefer: respond-async` the "
    "job is queued and answered 202 with its URLs and a `Location` header. An identical analysis "
    "already queued or running is returned instead of a new one.",
    response_model=AnalysisResult,
    dependencies=[*_AUTH, _strict(AnalysisRequest)],
    responses={
        202: {
            "model": AcceptedJob,
            "description": "Accepted (with `Prefer: respond-async`)",
            "headers": _LOCATION,
        },
        **_errors(
            ErrorCode.VALIDATION_ERROR,
            ErrorCode.UNAUTHORIZED,
            ErrorCode.RUN_NOT_FOUND,
            ErrorCode.ARTIFACT_NOT_FOUND,
            ErrorCode.PAYLOAD_TOO_LARGE,
            ErrorCode.ARTIFACT_INVALID,
            ErrorCode.RATE_LIMIT_EXCEEDED,
            ErrorCode.MLFLOW_CONNECTION_ERROR,
            ErrorCode.ANALYSIS_TIMEOUT,
        ),
    },
)
async def analyze(
    body: AnalysisRequest,
    request: Request,
    services: ServicesDep,
    prefer: Annotated[str | None, Header(description="`respond-async` queues the job")] = None,
) -> Response:
    asynchronous = _wants_async(prefer)
    submitter = AnalysisSubmitter(
        services.settings, services.store, services.executor, services.owner
    )
    job, _ = await asyncio.to_thread(
        submitter.execute,
        body,
        correlation_id=current_request_id(),
        backend=_backend(request, services),
        reject_when_busy=not asynchronous,
    )
    if asynchronous:
        status_url = str(request.url_for("job_status", request_id=job.request_id))
        result_url = str(request.url_for("job_result", request_id=job.request_id))
        accepted = AcceptedJob(
            request_id=job.request_id,
            status=job.status,
            status_url=status_url,
            result_url=result_url,
        )
        headers = {"Location": status_url, "Preference-Applied": "respond-async"}
        return _json(accepted, 202, headers)
    waiter = AnalysisWaiter(services.settings, services.store, services.executor)
    return _json(await waiter.execute(job))


@api.get(
    "/status/{request_id}",
    name="job_status",
    summary="State of an analysis job",
    response_model=JobStatus,
    dependencies=_AUTH,
    responses=_errors(ErrorCode.UNAUTHORIZED, ErrorCode.REQUEST_NOT_FOUND),
)
def job_status(request_id: str, services: ServicesDep) -> Response:
    return _json(StatusFinder(services.store).execute(request_id))


@api.get(
    "/result/{request_id}",
    name="job_result",
    summary="Result of an analysis job",
    description="200 with the result once finished; 202 with the job's status and `Retry-After` "
    "while it is queued or running; a failed job answers its error envelope and status.",
    response_model=AnalysisResult,
    dependencies=_AUTH,
    responses={
        202: {
            "model": JobStatus,
            "description": "Still queued or running",
            "headers": _RETRY_AFTER,
        },
        **_errors(
            ErrorCode.UNAUTHORIZED,
            ErrorCode.REQUEST_NOT_FOUND,
            ErrorCode.RUN_NOT_FOUND,
            ErrorCode.ARTIFACT_NOT_FOUND,
            ErrorCode.ARTIFACT_INVALID,
            ErrorCode.MLFLOW_CONNECTION_ERROR,
            ErrorCode.ANALYSIS_TIMEOUT,
        ),
    },
)
def job_result(request_id: str, services: ServicesDep) -> Response:
    job = JobFinder(services.store).execute(request_id)
    if not job.finished:
        retry = str(services.settings.poll_after_seconds)
        return _json(job.to_status(), 202, {"Retry-After": retry})
    return _json(outcome(job, retry_after=services.settings.retry_after_seconds))


@api.post(
    "/knowledge/query",
    name="knowledge_query",
    summary="Search the knowledge base",
    response_model=KnowledgeResponse,
    dependencies=[*_AUTH, _strict(KnowledgeQuery)],
    responses=_errors(ErrorCode.VALIDATION_ERROR, ErrorCode.UNAUTHORIZED),
)
def knowledge_query(body: KnowledgeQuery, services: ServicesDep) -> Response:
    return _json(KnowledgeSearcher(services.engine).execute(body))


@api.get(
    "/health",
    name="health",
    summary="Liveness and readiness",
    response_model=HealthResponse,
    responses=_errors(),
)
def health(services: ServicesDep) -> Response:
    return _json(HealthChecker(services.store, services.executor).execute())


def _metrics_route(app: FastAPI, metrics: Metrics) -> None:
    @app.get(
        "/metrics",
        name="metrics",
        summary="Prometheus metrics",
        dependencies=_AUTH,
        response_class=Response,
        responses={
            200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}},
            **_errors(ErrorCode.UNAUTHORIZED),
        },
    )
    def prometheus_metrics() -> Response:
        return Response(content=metrics.render(), media_type=CONTENT_TYPE)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document without its 422 answers: validation errors are 400 envelopes here."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = FastAPI.openapi(app)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if "HTTPValidationError" in str(responses.get("422")):
                del responses["422"]
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    app.openapi_schema = schema
    return schema


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    store: JobStore | None = None,
    executor: JobExecutor | None = None,
) -> FastAPI:
    """The DeepFix server. Nothing is opened until the app starts (its lifespan).

    ``store`` and ``executor`` default to a SQL job store at ``settings.job_store_url`` and
    a thread pool of ``settings.max_concurrent`` threads, or Celery workers when
    ``settings.broker_url`` is set.
    """
    settings = settings or Settings()
    engine = engine or build_engine(settings)
    store = store or SqlJobStore(settings.job_store_url)
    executor = executor or build_executor(settings, store)
    owner = new_owner()
    metrics = Metrics(store, executor, lambda: engine.knowledge)
    runner = JobRunner(
        store, engine, owner, loader=guarded_loader(settings), on_finished=metrics.analysis_done
    )
    keeper = JobKeeper(
        store,
        executor,
        owner,
        heartbeat_seconds=settings.heartbeat_seconds,
        ttl_seconds=settings.result_ttl_seconds,
    )

    def start() -> None:
        store.open()
        executor.start(runner)
        engine.knowledge.warm()
        keeper.start()
        extra = {
            "owner": owner,
            "job_store": store.kind,
            "executor": executor.kind,
            "capacity": settings.max_concurrent,
        }
        log.info("server started", extra=extra)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(start)
        try:
            yield
        finally:
            keeper.stop()
            runner.stop()
            executor.shutdown()
            store.close()
            log.info("server stopped", extra={"owner": owner})

    app = FastAPI(
        title="DeepFix",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.services = Services(settings, store, executor, engine, owner)
    app.state.metrics = metrics
    install_handlers(app)
    app.add_middleware(
        RequestContextMiddleware, metrics=metrics, max_body_bytes=settings.max_body_bytes
    )
    app.include_router(api)
    _metrics_route(app, metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
