"""The DeepFix REST client (CONTRACT.md §2, §5), written once as `AsyncDeepFixClient`;
`DeepFixClient` (`_sync.py`) is generated from it by `scripts/generate_sync_client.py`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Literal, Self, overload

import httpx
from tenacity import AsyncRetrying

from deepfix_notebook.client import _wire
from deepfix_notebook.client._errors import AnalysisError, DeepFixClientError, DeepFixTimeoutError
from deepfix_notebook.client._offline import ClientOfflineMode, check_mode, fallback_result
from deepfix_notebook.client._policy import PollingConfig, RetryConfig
from deepfix_notebook.contract import (
    AcceptedJob,
    AnalysisResult,
    ErrorCode,
    HealthResponse,
    JobState,
    JobStatus,
    KnowledgeQuery,
    KnowledgeResponse,
)

Options = _wire.Options
Context = _wire.Context


class AsyncDeepFixClient:
    """Talks to a DeepFix server: analyse MLflow runs, follow jobs, search the knowledge base.

    Failed requests are retried per ``retry`` (408/429/5xx and network errors), jobs are polled
    per ``poll``. ``transport`` is httpx's transport (e.g. ``httpx.MockTransport``); ``sleep`` and
    ``clock`` are the waiting and time source of retries and polling. ``server_url`` is seed
    001's name for ``base_url``. `AsyncDeepFixClient` and `DeepFixClient` have the same methods
    and policies; the first awaits them.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float | None = 60.0,
        retry: RetryConfig | None = None,
        polling: PollingConfig | None = None,
        offline_mode: ClientOfflineMode = "fallback",
        poll: PollingConfig | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        server_url: str | None = None,
        sleep: _wire.AsyncSleep = _wire.asleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        url = base_url if base_url is not None else server_url
        if url is None:
            raise TypeError(
                f"{type(self).__name__} needs the server's URL, e.g. http://localhost:8000"
            )
        self.base_url = _wire.normalize_base_url(url)
        self.timeout = timeout
        self.retry = retry or RetryConfig()
        self.polling = polling or poll or PollingConfig()
        self.offline_mode: ClientOfflineMode = check_mode(offline_mode)
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=_wire.default_headers(api_key),
            timeout=timeout,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    # ------------------------------------------------------------------ analysis

    @overload
    async def analyze(
        self,
        run_id: str,
        mlflow_tracking_uri: str | None = None,
        analysis_options: Options = None,
        context: Context = None,
        *,
        wait: Literal[True] = True,
        mlflow_uri: str | None = None,
        correlation_id: str | None = None,
        offline_mode: ClientOfflineMode | None = None,
    ) -> AnalysisResult: ...

    @overload
    async def analyze(
        self,
        run_id: str,
        mlflow_tracking_uri: str | None = None,
        analysis_options: Options = None,
        context: Context = None,
        *,
        wait: Literal[False],
        mlflow_uri: str | None = None,
        correlation_id: str | None = None,
        offline_mode: ClientOfflineMode | None = None,
    ) -> AcceptedJob: ...

    async def analyze(
        self,
        run_id: str,
        mlflow_tracking_uri: str | None = None,
        analysis_options: Options = None,
        context: Context = None,
        *,
        wait: bool = True,
        mlflow_uri: str | None = None,
        correlation_id: str | None = None,
        offline_mode: ClientOfflineMode | None = None,
    ) -> AnalysisResult | AcceptedJob:
        """Analyse MLflow run ``run_id`` of the store at ``mlflow_tracking_uri``.

        ``wait=True``: the server analyses while the request waits (200) and the result is
        returned (a 202 is followed by polling). ``wait=False``: the job is queued
        (``Prefer: respond-async``) and its `AcceptedJob` returned at once.

        When the server cannot be reached (no answer, or 5xx/429 after the retries) an analysis
        with ``wait=True`` follows ``offline_mode`` (default: the client's): ``strict`` raises,
        ``fallback`` warns (`ServerUnreachableWarning`) and returns a ``failed`` result saying
        so. ``wait=False`` raises in every mode: there is no job to return.
        """
        mode = check_mode(offline_mode, self.offline_mode)
        try:
            return await self._analyze(
                run_id,
                mlflow_tracking_uri,
                analysis_options,
                context,
                wait=wait,
                mlflow_uri=mlflow_uri,
                correlation_id=correlation_id,
            )
        except DeepFixClientError as exc:
            return fallback_result(exc, mode if wait else "strict", self.base_url, run_id)

    async def analyze_async(
        self,
        run_id: str,
        mlflow_tracking_uri: str | None = None,
        analysis_options: Options = None,
        context: Context = None,
        *,
        max_wait_time: float | None = None,
        on_status: Callable[[JobStatus], object] | None = None,
        mlflow_uri: str | None = None,
        correlation_id: str | None = None,
        offline_mode: ClientOfflineMode | None = None,
    ) -> AnalysisResult:
        """Submit the analysis as a job, poll it (``polling``) and return its result: for runs
        whose analysis outlasts a request. Offline modes as for `analyze`."""
        mode = check_mode(offline_mode, self.offline_mode)
        cid = correlation_id or _wire.new_correlation_id()
        try:
            job = await self.submit(
                run_id,
                mlflow_tracking_uri,
                analysis_options,
                context,
                mlflow_uri=mlflow_uri,
                correlation_id=cid,
            )
            return await self.wait(
                job.request_id,
                max_wait_time=max_wait_time,
                on_status=on_status,
                correlation_id=cid,
            )
        except DeepFixClientError as exc:
            return fallback_result(exc, mode, self.base_url, run_id)

    async def _analyze(
        self,
        run_id: str,
        mlflow_tracking_uri: str | None,
        analysis_options: Options,
        context: Context,
        *,
        wait: bool,
        mlflow_uri: str | None,
        correlation_id: str | None,
    ) -> AnalysisResult | AcceptedJob:
        request = _wire.analysis_request(
            run_id, mlflow_tracking_uri, analysis_options, context, mlflow_uri=mlflow_uri
        )
        cid = correlation_id or _wire.new_correlation_id()
        response = await self._send(
            "POST",
            f"{_wire.API_PREFIX}/analyze",
            cid,
            content=_wire.body(request),
            headers=None if wait else _wire.PREFER_ASYNC,
            timeout=_wire.analyze_timeout(request, self.timeout, wait=wait),
        )
        if response.status_code == 202:
            job = _wire.decode(response, AcceptedJob, cid)
            return await self.wait(job.request_id, correlation_id=cid) if wait else job
        if not wait:
            raise AnalysisError(
                ErrorCode.INTERNAL_SERVER_ERROR,
                f"The server answered {response.status_code} to an asynchronous analysis "
                "request (Prefer: respond-async); it should answer 202 with the job.",
                status_code=response.status_code,
                correlation_id=_wire.answered_id(response, cid),
            )
        return _wire.decode(response, AnalysisResult, cid)

    async def submit(
        self,
        run_id: str,
        mlflow_tracking_uri: str | None = None,
        analysis_options: Options = None,
        context: Context = None,
        *,
        mlflow_uri: str | None = None,
        correlation_id: str | None = None,
    ) -> AcceptedJob:
        """Queue an analysis and return at once: ``analyze(..., wait=False)``."""
        return await self.analyze(
            run_id,
            mlflow_tracking_uri,
            analysis_options,
            context,
            wait=False,
            mlflow_uri=mlflow_uri,
            correlation_id=correlation_id,
        )

    async def get_status(self, request_id: str, *, correlation_id: str | None = None) -> JobStatus:
        """Where job ``request_id`` stands."""
        cid = correlation_id or _wire.new_correlation_id()
        response = await self._send("GET", _wire.job_path("status", request_id), cid)
        return _wire.decode(response, JobStatus, cid)

    async def get_result(
        self, request_id: str, *, correlation_id: str | None = None
    ) -> AnalysisResult | None:
        """The result of job ``request_id``; None while it is queued or running (202)."""
        cid = correlation_id or _wire.new_correlation_id()
        return await self._result(request_id, cid, retry=True)

    status = get_status  # the backend protocol's names
    result = get_result

    async def wait(
        self,
        request_id: str,
        *,
        max_wait_time: float | None = None,
        on_status: Callable[[JobStatus], object] | None = None,
        correlation_id: str | None = None,
    ) -> AnalysisResult:
        """Poll job ``request_id`` until it ends and return its result.

        Polls at once, then after 1, 1.5, 2.25, ... s (``polling``), calling ``on_status`` with
        every status seen; DeepFixTimeoutError after ``max_wait_time`` (default
        ``polling.max_wait_time``) seconds.
        """
        limit = self.polling.max_wait_time if max_wait_time is None else max_wait_time
        cid = correlation_id or _wire.new_correlation_id()
        start = self._clock()
        intervals = self.polling.intervals()
        while True:
            status = await self.get_status(request_id, correlation_id=cid)
            if on_status is not None:
                await _wire.anotify(on_status, status)
            if status.status in _wire.TERMINAL_STATES:
                # A failed job answers its stored error: sending again would not change it.
                retry = status.status is not JobState.FAILED
                result = await self._result(request_id, cid, retry=retry)
                if result is not None:
                    return result
            waited = self._clock() - start
            if waited >= limit:
                raise DeepFixTimeoutError(
                    _wire.timeout_message(request_id, status.status.value, waited, limit),
                    request_id=request_id,
                    waited=waited,
                    last_status=status,
                    correlation_id=cid,
                )
            await self._sleep(min(next(intervals), limit - waited))

    # ------------------------------------------------------------------ knowledge, health

    async def query_knowledge(
        self,
        query: str | KnowledgeQuery,
        domain: str | None = None,
        query_type: str = "best_practice",
        max_results: int = 5,
        min_confidence: float = 0.7,
        *,
        correlation_id: str | None = None,
    ) -> KnowledgeResponse:
        """Search the server's knowledge base (``query`` may be a whole `KnowledgeQuery`)."""
        body = _wire.knowledge_query(query, domain, query_type, max_results, min_confidence)
        cid = correlation_id or _wire.new_correlation_id()
        response = await self._send(
            "POST", f"{_wire.API_PREFIX}/knowledge/query", cid, content=_wire.body(body)
        )
        return _wire.decode(response, KnowledgeResponse, cid)

    async def health(self, *, correlation_id: str | None = None) -> HealthResponse:
        """The server's liveness and readiness."""
        cid = correlation_id or _wire.new_correlation_id()
        response = await self._send("GET", f"{_wire.API_PREFIX}/health", cid)
        return _wire.decode(response, HealthResponse, cid)

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ transport

    async def _result(self, request_id: str, cid: str, *, retry: bool) -> AnalysisResult | None:
        path = _wire.job_path("result", request_id)
        response = await self._send("GET", path, cid, retry=retry)
        if response.status_code == 202:
            return None
        return _wire.decode(response, AnalysisResult, cid)

    async def _send(
        self,
        method: str,
        path: str,
        cid: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send one request, retried per the policy unless ``retry`` is false; a 2xx response
        or a client error. ``timeout`` None: the client's own.
        """
        request = self._http.build_request(
            method,
            path,
            content=content,
            headers=_wire.request_headers(cid, headers, json_body=content is not None),
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )

        async def attempt() -> httpx.Response:
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                raise _wire.connection_error(exc, self.base_url, request, cid) from exc
            if response.is_error:
                raise _wire.error_from_response(response, cid)
            return response

        if not retry:
            return await attempt()
        options = _wire.retry_options(self.retry, self._sleep, self._clock)
        return await AsyncRetrying(**options)(attempt)
