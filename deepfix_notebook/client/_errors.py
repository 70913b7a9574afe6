"""What the client raises: the server's error envelope, an unreachable server, a job that took
too long (CONTRACT.md §4-5)."""

from __future__ import annotations

from typing import Any

from deepfix_notebook.contract import ErrorCode, JobStatus


class DeepFixClientError(Exception):
    """Base of every error the DeepFix client raises.

    ``correlation_id`` is the ``X-Request-ID`` of the exchange: the one the server answered
    with, else the one the client sent.
    """

    def __init__(self, message: str, *, correlation_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.correlation_id = correlation_id

    def __str__(self) -> str:
        return self.message


class DeepFixError(DeepFixClientError):
    """The server answered with an error (its ``{error, message, details}`` envelope), or the
    request was rejected before it left the process (``status_code`` None)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        details: dict[str, Any] | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
        *,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, correlation_id=correlation_id)
        self.code = code
        self.details: dict[str, Any] = dict(details or {})
        self.status_code = status_code
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f"HTTP {self.status_code} " if self.status_code is not None else ""
        return f"{where}{self.code.value}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code.value!r}, message={self.message!r}, "
            f"status_code={self.status_code!r}, retry_after={self.retry_after!r})"
        )


class DeepFixConnectionError(DeepFixClientError, ConnectionError):
    """The server could not be reached (refused, reset, timed out) even after the retries."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        attempts: int = 1,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, correlation_id=correlation_id)
        self.url = url
        self.attempts = attempts

    def __str__(self) -> str:
        tries = f" (tried {self.attempts} times)" if self.attempts > 1 else ""
        return f"Cannot reach the DeepFix server at {self.url}: {self.message}{tries}"


class DeepFixTimeoutError(DeepFixClientError, TimeoutError):
    """Polling gave up: the job was not finished within ``max_wait_time`` seconds."""

    def __init__(
        self,
        message: str,
        *,
        request_id: str,
        waited: float,
        last_status: JobStatus | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, correlation_id=correlation_id)
        self.request_id = request_id
        self.waited = waited
        self.last_status = last_status


class ValidationError(DeepFixError):
    """The request is invalid (400, 413), found before sending or by the server: fix it."""


class AuthenticationError(DeepFixError):
    """The server needs an API key, or another one (401)."""


class NotFoundError(DeepFixError):
    """The run, its artifacts or the job does not exist (404)."""


class RateLimitError(DeepFixError):
    """The server is running its limit of analyses (429), still after the retries."""


class AnalysisError(DeepFixError):
    """The analysis could not be done: invalid artifacts, MLflow unreachable from the server,
    nothing finished in time, or a server fault (422, 5xx)."""


class ServerUnavailableError(DeepFixConnectionError):
    """The DeepFix server could not be reached, even after the retries."""


_BY_CODE: dict[ErrorCode, type[DeepFixError]] = {
    ErrorCode.VALIDATION_ERROR: ValidationError,
    ErrorCode.PAYLOAD_TOO_LARGE: ValidationError,
    ErrorCode.UNAUTHORIZED: AuthenticationError,
    ErrorCode.RUN_NOT_FOUND: NotFoundError,
    ErrorCode.ARTIFACT_NOT_FOUND: NotFoundError,
    ErrorCode.REQUEST_NOT_FOUND: NotFoundError,
    ErrorCode.RATE_LIMIT_EXCEEDED: RateLimitError,
    ErrorCode.ARTIFACT_INVALID: AnalysisError,
    ErrorCode.MLFLOW_CONNECTION_ERROR: AnalysisError,
    ErrorCode.ANALYSIS_TIMEOUT: AnalysisError,
    ErrorCode.INTERNAL_SERVER_ERROR: AnalysisError,
}


def error_for(code: ErrorCode) -> type[DeepFixError]:
    """The exception class raised for an envelope with ``code``."""
    return _BY_CODE.get(code, DeepFixError)
