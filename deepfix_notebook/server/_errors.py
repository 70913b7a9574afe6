"""Errors as the contract's envelope (CONTRACT.md §4): `ApiError` and the app's handlers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from deepfix_notebook.contract import HTTP_STATUS, ErrorCode, ErrorResponse
from deepfix_notebook.server._jobs import JOB_STORE_SETTING, JobStoreUnavailable
from deepfix_notebook.server._logging import current_request_id, get_logger

log = get_logger(__name__)

_PARAM_SOURCES = frozenset({"body"})  # location prefixes FastAPI adds that users never wrote


class ApiError(Exception):
    """An answer other than 2xx: the envelope, its HTTP status and extra headers."""

    def __init__(
        self,
        envelope: ErrorResponse,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(envelope.message)
        self.envelope = envelope
        self.status = status if status is not None else HTTP_STATUS[envelope.error]
        self.headers = dict(headers or {})

    @classmethod
    def of(
        cls,
        code: ErrorCode,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> ApiError:
        envelope = ErrorResponse(error=code, message=message, details=details or {})
        return cls(envelope, headers=headers)


def envelope_response(
    envelope: ErrorResponse, status: int | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        content=envelope.model_dump_json(),
        status_code=status if status is not None else HTTP_STATUS[envelope.error],
        media_type="application/json",
        headers=dict(headers or {}),
    )


def internal_error() -> ErrorResponse:
    """The 500 envelope: no exception text, only the id to find it in the logs."""
    request_id = current_request_id()
    return ErrorResponse(
        error=ErrorCode.INTERNAL_SERVER_ERROR,
        message="The server hit an unexpected error; it was logged. Try again, and report the "
        "request id if it persists.",
        details={"request_id": request_id} if request_id else {},
    )


def validation_envelope(exc: RequestValidationError) -> ErrorResponse:
    """FastAPI's validation errors as the contract's VALIDATION_ERROR (field paths as sent)."""
    details: list[InitErrorDetails] = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if loc and loc[0] in _PARAM_SOURCES:
            loc = loc[1:]
        message = str(error.get("msg", "invalid value"))
        given = error.get("input")
        if error.get("type") == "json_invalid":  # loc is (body, character position)
            reason = (error.get("ctx") or {}).get("error")
            where = f" at character {loc[0]}" if loc else ""
            message = f"The body is not valid JSON{where}" + (f" ({reason})" if reason else "")
            loc, given = (), None
        elif error.get("type") == "missing" and not loc:
            message = "A JSON request body is required"
        details.append(
            {
                # The message is data, not a template: it may contain braces.
                "type": PydanticCustomError(
                    str(error.get("type", "value_error")), "{message}", {"message": message}
                ),
                "loc": loc,
                "input": given,
            }
        )
    validation = ValidationError.from_exception_data("request", details)
    return ErrorResponse.from_validation_error(validation)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if exc.status >= 500:
        log.warning("%s: %s", exc.envelope.error.value, exc.envelope.message)
    return envelope_response(exc.envelope, exc.status, exc.headers)


async def _job_store_unavailable(request: Request, exc: Exception) -> Response:
    """503 + Retry-After: the job store took no write, so nothing was accepted (the contract's
    retryable server-side code, answered 503 as for a broker that is down)."""
    assert isinstance(exc, JobStoreUnavailable)
    log.warning("request refused: %s", exc)
    retry = request.app.state.services.settings.retry_after_seconds
    state = "is full (no space left on its disk)" if exc.full else "cannot be written now"
    envelope = ErrorResponse(
        error=ErrorCode.INTERNAL_SERVER_ERROR,
        message=f"This server's job store {state}, so the request was not accepted: nothing "
        f"was queued. Retry in {retry} s"
        + ("; the server's operator must free space on its disk." if exc.full else "."),
        details={
            "reason": "job_store_full" if exc.full else "job_store_unavailable",
            "job_store": exc.store,
            "setting": JOB_STORE_SETTING,
            "retry_after": retry,
        },
    )
    return envelope_response(envelope, 503, {"Retry-After": str(retry)})


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return envelope_response(validation_envelope(exc))


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown path or method) in the envelope."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        code = ErrorCode.REQUEST_NOT_FOUND
        message = f"Nothing at {request.method} {request.url.path}; the API is under /api/v1."
    elif exc.status_code >= 500:
        code, message = ErrorCode.INTERNAL_SERVER_ERROR, internal_error().message
    else:
        code = ErrorCode.VALIDATION_ERROR
        message = f"{request.method} {request.url.path}: {exc.detail}."
    envelope = ErrorResponse(error=code, message=message, details={"path": request.url.path})
    return envelope_response(envelope, exc.status_code, exc.headers)


def install_handlers(app: FastAPI) -> None:
    """Every error the app raises becomes the envelope; the 500 catch-all is the middleware's."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(JobStoreUnavailable, _job_store_unavailable)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
