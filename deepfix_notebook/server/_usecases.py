"""What the routes do, one use case per action (seed 003): routes parse, call, format.

Each use case takes its ports (job store, executor, engine) in its constructor and has one
public method, ``execute``.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from deepfix_notebook._version import __version__
from deepfix_notebook.artifacts import redact_uri
from deepfix_notebook.contract import (
    AnalysisRequest,
    AnalysisResult,
    ErrorCode,
    ErrorResponse,
    HealthResponse,
    JobState,
    JobStatus,
    KnowledgeQuery,
    KnowledgeResponse,
    utc_now,
)
from deepfix_notebook.engine import Engine
from deepfix_notebook.server._errors import ApiError
from deepfix_notebook.server._executor import ExecutorUnavailable, JobExecutor
from deepfix_notebook.server._jobs import Job, JobStore, analysis_key
from deepfix_notebook.server._logging import get_logger
from deepfix_notebook.server._settings import Settings

log = get_logger(__name__)

POLL_START_S = 0.05
POLL_MAX_S = 1.0


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex[:16]}"


def _not_found(request_id: str) -> ApiError:
    return ApiError.of(
        ErrorCode.REQUEST_NOT_FOUND,
        f"No analysis job {request_id!r}: it never existed or its result expired.",
        {"request_id": request_id},
    )


class AnalysisSubmitter:
    """Records an analysis job and hands it to the executor; an identical in-flight job is
    returned instead of a new one."""

    def __init__(
        self, settings: Settings, store: JobStore, executor: JobExecutor, owner: str
    ) -> None:
        self.settings = settings
        self.store = store
        self.executor = executor
        self.owner = owner

    def execute(
        self,
        request: AnalysisRequest,
        *,
        correlation_id: str | None,
        backend: str,
        reject_when_busy: bool,
    ) -> tuple[Job, bool]:
        """``(job, created)``. ``reject_when_busy``: 429 rather than queue a new job."""
        tracking_uri = self._allowed(request.mlflow_tracking_uri)
        key = analysis_key(request, tracking_uri)
        existing = self.store.find_in_flight(key)
        if existing is not None:
            return existing, False
        reserved = False
        if reject_when_busy:
            if not self.executor.try_reserve():
                raise self._busy()
            reserved = True
        try:
            job, created = self.store.create(
                Job(
                    request_id=new_request_id(),
                    run_id=request.run_id,
                    tracking_uri=tracking_uri,
                    request=request,
                    status=JobState.QUEUED,
                    submitted_at=utc_now(),
                    correlation_id=correlation_id,
                    backend=backend,
                    owner=self.owner,
                ),
                key,
            )
        except BaseException:
            if reserved:
                self.executor.release()
            raise
        if not created:
            if reserved:
                self.executor.release()
            return job, False
        try:
            self.executor.submit(job.request_id, reserved=reserved)
        except ExecutorUnavailable as exc:
            self.store.discard(job.request_id)  # nothing is accepted that cannot run
            log.error("job queue unavailable: %s", exc, extra={"job_id": job.request_id})
            raise self._unavailable(exc) from exc
        log.info("analysis accepted", extra={"job_id": job.request_id, "run_id": job.run_id})
        return job, True

    def _allowed(self, uri: str) -> str:
        allowed = self.settings.allowed_uri(uri)
        if allowed is None:
            listed = [redact_uri(entry) for entry in self.settings.allowed_tracking_uris]
            raise ApiError.of(
                ErrorCode.VALIDATION_ERROR,
                "mlflow_tracking_uri: this server does not read runs from "
                f"{uri!r}; use one of its allowed tracking URIs"
                + (f" ({', '.join(listed)})." if listed else " (none are configured)."),
                {
                    "field": "mlflow_tracking_uri",
                    "provided": uri,
                    "constraint": "must be one of the server's allowed tracking URIs "
                    "(DEEPFIX_ALLOWED_TRACKING_URIS)",
                    "allowed": listed,
                },
            )
        return allowed

    def _unavailable(self, exc: ExecutorUnavailable) -> ApiError:
        retry = self.settings.retry_after_seconds
        envelope = ErrorResponse(
            error=ErrorCode.INTERNAL_SERVER_ERROR,
            message=f"{exc} Nothing was queued; retry in {retry} s.",
            details={**exc.details, "retry_after": retry},
        )
        return ApiError(envelope, status=503, headers={"Retry-After": str(retry)})

    def _busy(self) -> ApiError:
        capacity = self.executor.stats().capacity
        return ApiError.of(
            ErrorCode.RATE_LIMIT_EXCEEDED,
            f"The server is running its limit of {capacity} analyses; retry later, or send "
            "the request with `Prefer: respond-async` to wait in the queue.",
            {"max_concurrent": capacity, "retry_after": self.settings.retry_after_seconds},
            headers={"Retry-After": str(self.settings.retry_after_seconds)},
        )


class AnalysisWaiter:
    """Waits for a job to finish (a synchronous analyze) and gives its result or its error."""

    def __init__(self, settings: Settings, store: JobStore, executor: JobExecutor) -> None:
        self.settings = settings
        self.store = store
        self.executor = executor

    async def execute(self, job: Job) -> AnalysisResult:
        timeout = job.request.analysis_options.max_analysis_time
        timeout += self.settings.load_timeout_seconds
        finished = await self._wait(job.request_id, timeout)
        if finished is None:
            raise ApiError.of(
                ErrorCode.ANALYSIS_TIMEOUT,
                f"The analysis did not finish within {timeout:g} s; it goes on, fetch it later "
                f"with GET /api/v1/result/{job.request_id}.",
                {"request_id": job.request_id, "waited_seconds": timeout},
            )
        return outcome(finished, retry_after=self.settings.retry_after_seconds)

    async def _wait(self, request_id: str, timeout: float) -> Job | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        future = self.executor.future(request_id)
        if future is not None:
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)
            except TimeoutError:
                pass
            except asyncio.CancelledError:
                if not future.cancelled():  # our request was cancelled, not the job's future
                    raise
        delay = POLL_START_S
        while True:  # another server's job, or the store's word after ours finished
            job = await asyncio.to_thread(self.store.get, request_id)
            if job is None:
                raise _not_found(request_id)
            if job.finished:
                return job
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, POLL_MAX_S)


def outcome(job: Job, *, retry_after: int | None = None) -> AnalysisResult:
    """The result of a finished job, or its error envelope raised as an `ApiError`."""
    if job.result is not None:
        return job.result
    if job.error is None:  # cannot happen for a finished job, but never answer nothing
        raise ApiError.of(ErrorCode.INTERNAL_SERVER_ERROR, "The job finished without a result.")
    headers = {}
    if retry_after is not None and job.error.error is ErrorCode.MLFLOW_CONNECTION_ERROR:
        headers["Retry-After"] = str(retry_after)
    raise ApiError(job.error, headers=headers)


class StatusFinder:
    """The state of a job."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def execute(self, request_id: str) -> JobStatus:
        job = self.store.get(request_id)
        if job is None:
            raise _not_found(request_id)
        return job.to_status()


class JobFinder:
    """A job, for its result: finished or not."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def execute(self, request_id: str) -> Job:
        job = self.store.get(request_id)
        if job is None:
            raise _not_found(request_id)
        return job


class KnowledgeSearcher:
    """A search of the knowledge base."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def execute(self, query: KnowledgeQuery) -> KnowledgeResponse:
        return self.engine.knowledge.query(query)


class HealthChecker:
    """Liveness and readiness: the job store answers, the executor takes jobs."""

    def __init__(self, store: JobStore, executor: JobExecutor) -> None:
        self.store = store
        self.executor = executor

    def execute(self) -> HealthResponse:
        try:
            self.store.ping()
            job_store = f"{self.store.kind}: ok"
        except Exception as exc:
            log.warning("job store unavailable: %s", type(exc).__name__)
            job_store = f"{self.store.kind}: unavailable"
        try:
            self.executor.ping()
            stats = self.executor.stats()
            queue = (
                f"{self.executor.kind}: {stats.running} running, {stats.queued} queued, "
                f"{stats.capacity} at once"
            )
            queue_ok = True
        except Exception as exc:
            log.warning("job queue unavailable: %s", type(exc).__name__)
            queue, queue_ok = f"{self.executor.kind}: unavailable", False
        return HealthResponse(
            status="ok" if job_store.endswith(": ok") and queue_ok else "degraded",
            version=__version__,
            engine="embedded",
            job_store=job_store,
            queue=queue,
        )


@dataclass(frozen=True)
class Services:
    """The app's adapters, wired once by `create_app`, from which routes build use cases."""

    settings: Settings
    store: JobStore
    executor: JobExecutor
    engine: Engine
    owner: str
