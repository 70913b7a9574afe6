"""What both clients share and that does no I/O: URLs, headers, request validation, decoding
answers and errors, correlation ids, and the tenacity settings of the retry policy."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, retry_if_exception

from deepfix_notebook.client._errors import (
    AnalysisError,
    DeepFixConnectionError,
    DeepFixError,
    ServerUnavailableError,
    error_for,
)
from deepfix_notebook.client._policy import RetryConfig, parse_retry_after
from deepfix_notebook.contract import (
    AnalysisContext,
    AnalysisOptions,
    AnalysisRequest,
    ErrorCode,
    ErrorResponse,
    JobState,
    JobStatus,
    KnowledgeQuery,
)

log = logging.getLogger("deepfix_notebook.client")

API_PREFIX = "/api/v1"
CORRELATION_HEADER = "X-Request-ID"
PREFER_ASYNC = {"Prefer": "respond-async"}
TERMINAL_STATES = frozenset({JobState.COMPLETED, JobState.PARTIAL, JobState.FAILED})
SYNC_ANALYSIS_MARGIN_S = 30.0  # read timeout of a synchronous analyze beyond max_analysis_time

# What a non-2xx answer without a DeepFix envelope (a proxy's page, a bare 502) is taken for.
_CODE_BY_STATUS = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.REQUEST_NOT_FOUND,
    408: ErrorCode.ANALYSIS_TIMEOUT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMIT_EXCEEDED,
    504: ErrorCode.ANALYSIS_TIMEOUT,
}

ModelT = TypeVar("ModelT", bound=BaseModel)
Options = AnalysisOptions | Mapping[str, Any] | None
Context = AnalysisContext | Mapping[str, Any] | None


# --------------------------------------------------------------------------- requests


AsyncSleep = Callable[[float], Awaitable[None]]
Sleep = Callable[[float], None]
asleep = asyncio.sleep  # the clients' default waits: unasync maps the first to the second
sleep = time.sleep


async def anotify(callback: Callable[[JobStatus], object], status: JobStatus) -> None:
    """Call an ``on_status`` callback, awaiting what it returns when that is awaitable."""
    outcome = callback(status)
    if inspect.isawaitable(outcome):
        await outcome


def notify(callback: Callable[[JobStatus], object], status: JobStatus) -> None:
    """Call an ``on_status`` callback."""
    callback(status)


def normalize_base_url(url: str) -> str:
    """``url`` without a trailing slash or ``/api/v1``; ValueError unless http(s) with a host."""
    text = (url or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"DeepFix server URL must be http(s)://host[:port], such as http://localhost:8000; "
            f"got {url!r}"
        )
    if text.endswith(API_PREFIX):
        text = text[: -len(API_PREFIX)]
    return text


@functools.cache
def user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"deepfix-notebook/{version('deepfix-notebook')}"
    except PackageNotFoundError:
        return "deepfix-notebook"


def default_headers(api_key: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": user_agent()}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def job_path(kind: str, request_id: str) -> str:
    """``/api/v1/{kind}/{request_id}``, the id escaped; ValueError for an empty id."""
    if not isinstance(request_id, str) or not request_id.strip():
        raise ValueError(f"request_id must be a non-empty string, got {request_id!r}")
    return f"{API_PREFIX}/{kind}/{quote(request_id.strip(), safe='')}"


def validated(model: type[ModelT], data: Any) -> ModelT:
    """``data`` as ``model``; a DeepFixError VALIDATION_ERROR (nothing sent) when invalid."""
    if isinstance(data, model):
        data = data.model_dump()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        envelope = ErrorResponse.from_validation_error(exc)
        raise error_for(envelope.error)(
            envelope.error, f"Request not sent: {envelope.message}", envelope.details
        ) from exc


def analysis_request(
    run_id: str,
    mlflow_tracking_uri: str | None,
    analysis_options: AnalysisOptions | Mapping[str, Any] | None,
    context: AnalysisContext | Mapping[str, Any] | None,
    *,
    mlflow_uri: str | None = None,
) -> AnalysisRequest:
    """The validated body of ``POST /api/v1/analyze``; ``mlflow_uri`` is seed 001's spelling."""
    if None not in (mlflow_uri, mlflow_tracking_uri) and mlflow_uri != mlflow_tracking_uri:
        raise ValueError("give mlflow_tracking_uri or its alias mlflow_uri, not both")
    data: dict[str, Any] = {
        "run_id": run_id,
        "mlflow_tracking_uri": mlflow_tracking_uri if mlflow_uri is None else mlflow_uri,
    }
    if analysis_options is not None:
        data["analysis_options"] = _as_data(analysis_options)
    if context is not None:
        data["context"] = _as_data(context)
    return validated(AnalysisRequest, data)


def knowledge_query(
    query: str | KnowledgeQuery,
    domain: str | None,
    query_type: str,
    max_results: int,
    min_confidence: float,
) -> KnowledgeQuery:
    """The validated body of ``POST /api/v1/knowledge/query``."""
    if isinstance(query, KnowledgeQuery):
        return validated(KnowledgeQuery, query)
    return validated(
        KnowledgeQuery,
        {
            "query": query,
            "domain": domain,
            "query_type": query_type,
            "max_results": max_results,
            "min_confidence": min_confidence,
        },
    )


def request_headers(
    cid: str, extra: Mapping[str, str] | None, *, json_body: bool
) -> dict[str, str]:
    headers = {CORRELATION_HEADER: cid, **(extra or {})}
    if json_body:
        headers["Content-Type"] = "application/json"
    return headers


def body(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def _as_data(value: BaseModel | Mapping[str, Any]) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else dict(value)


# --------------------------------------------------------------------------- answers


def answered_id(response: httpx.Response, sent: str) -> str:
    """The correlation id the server answered with, else the one sent."""
    return response.headers.get(CORRELATION_HEADER) or sent


def decode(response: httpx.Response, model: type[ModelT], sent_id: str) -> ModelT:
    """A 2xx answer's body as ``model``; a DeepFixError when it does not fit the contract."""
    cid = answered_id(response, sent_id)
    try:
        value = model.model_validate_json(response.content)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        request = response.request
        raise AnalysisError(
            ErrorCode.INTERNAL_SERVER_ERROR,
            f"The server's answer to {request.method} {request.url.path} is not a valid "
            f"{model.__name__} ({where}: {first['msg']}); is {request.url.host} a DeepFix server "
            "of a compatible version?",
            {"status": response.status_code, "errors": exc.errors(include_url=False)[:5]},
            response.status_code,
            correlation_id=cid,
        ) from exc
    return remember(value, cid)


def error_from_response(response: httpx.Response, sent_id: str) -> DeepFixError:
    """The DeepFixError a non-2xx answer stands for, from its envelope when it has one."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    code = _CODE_BY_STATUS.get(
        status, ErrorCode.INTERNAL_SERVER_ERROR if status >= 500 else ErrorCode.VALIDATION_ERROR
    )
    message = ""
    details: dict[str, Any] = {}
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        raw = payload.get("error")
        try:
            code = ErrorCode(raw) if raw is not None else code
        except ValueError:  # a newer server's code: keep it, branch on the status
            details["error"] = raw
        if isinstance(payload.get("message"), str):
            message = payload["message"]
        elif "detail" in payload:  # a framework's own error body
            message = str(payload["detail"])
        if isinstance(payload.get("details"), dict):
            details = {**payload["details"], **details}
    if not message:
        text = response.text.strip()[:200] if response.content else ""
        message = (
            f"{response.request.method} {response.request.url.path} answered "
            f"{status} {response.reason_phrase}" + (f": {text}" if text else "")
        )
    return error_for(code)(
        code, message, details, status, retry_after, correlation_id=answered_id(response, sent_id)
    )


def connection_error(
    exc: httpx.TransportError, base_url: str, request: httpx.Request, sent_id: str
) -> ServerUnavailableError:
    reason = str(exc) or type(exc).__name__
    return ServerUnavailableError(
        f"{request.method} {request.url.path} failed: {type(exc).__name__}: {reason}",
        url=base_url,
        correlation_id=sent_id,
    )


# --------------------------------------------------------------------------- correlation ids

_correlation: dict[int, str] = {}


def remember(value: ModelT, cid: str) -> ModelT:
    """Note ``cid`` as the correlation id of ``value`` (for as long as ``value`` lives)."""
    key = id(value)
    if key not in _correlation:
        weakref.finalize(value, _correlation.pop, key, None)
    _correlation[key] = cid
    return value


def correlation_id(value: object) -> str | None:
    """The ``X-Request-ID`` the server answered with for a value the client returned, or for a
    client error; None for anything else."""
    if isinstance(value, BaseException):
        return getattr(value, "correlation_id", None)
    return _correlation.get(id(value))


# --------------------------------------------------------------------------- retries


def retryable(policy: RetryConfig) -> Callable[[BaseException], bool]:
    def check(exc: BaseException) -> bool:
        if isinstance(exc, DeepFixConnectionError):
            return True
        return isinstance(exc, DeepFixError) and exc.status_code in policy.retry_statuses

    return check


def retry_options(
    policy: RetryConfig, sleep: Callable[[float], Any], clock: Callable[[], float]
) -> dict[str, Any]:
    """Keyword arguments of `tenacity.Retrying` / `AsyncRetrying` for ``policy``, for one request
    starting now by ``clock``."""
    start = clock()

    def wait(state: RetryCallState) -> float:
        return policy.delay(state.attempt_number - 1, _retry_after(state))

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number > policy.max_retries:
            return True
        retry_after = _retry_after(state)
        if retry_after is not None and retry_after > policy.max_retry_after:
            return True
        # tenacity computes the wait before asking: never sleep past the budget, which counts
        # the attempts' own time too (a hung upstream makes each one slow).
        return clock() - start + (state.upcoming_sleep or 0.0) > policy.max_total_wait

    def after(state: RetryCallState) -> None:
        exc = _exception(state)
        if isinstance(exc, DeepFixConnectionError):
            exc.attempts = state.attempt_number

    def before_sleep(state: RetryCallState) -> None:
        log.info(
            "DeepFix server: %s; retry %d of %d in %.2f s",
            _exception(state),
            state.attempt_number,
            policy.max_retries,
            state.upcoming_sleep,
        )

    return {
        "sleep": sleep,
        "wait": wait,
        "stop": stop,
        "retry": retry_if_exception(retryable(policy)),
        "after": after,
        "before_sleep": before_sleep,
        "reraise": True,
    }


def _exception(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


def _retry_after(state: RetryCallState) -> float | None:
    exc = _exception(state)
    return exc.retry_after if isinstance(exc, DeepFixError) else None


# --------------------------------------------------------------------------- calls


def analyze_timeout(request: AnalysisRequest, timeout: float | None, *, wait: bool) -> float | None:
    """A synchronous analysis may take ``max_analysis_time``: never time out before it ends."""
    if not wait or timeout is None:
        return timeout
    return max(timeout, request.analysis_options.max_analysis_time + SYNC_ANALYSIS_MARGIN_S)


def timeout_message(request_id: str, state: str, waited: float, limit: float) -> str:
    return (
        f"Analysis {request_id} is still {state} after {waited:.1f} s (max_wait_time "
        f"{limit:g} s). It goes on on the server: fetch it later with result({request_id!r}) "
        "or wait with a larger max_wait_time."
    )
