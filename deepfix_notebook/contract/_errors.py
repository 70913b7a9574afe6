"""The error envelope of every non-2xx answer (CONTRACT.md §4)."""

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Self

from pydantic import Field, ValidationError
from pydantic_core import to_jsonable_python

from deepfix_notebook.contract._types import ContractModel, NonEmptyStr, UtcDateTime, utc_now


class ErrorCode(StrEnum):
    """What went wrong, in a word a program can branch on."""

    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNAUTHORIZED = "UNAUTHORIZED"
    RUN_NOT_FOUND = "RUN_NOT_FOUND"
    ARTIFACT_NOT_FOUND = "ARTIFACT_NOT_FOUND"
    REQUEST_NOT_FOUND = "REQUEST_NOT_FOUND"
    ARTIFACT_INVALID = "ARTIFACT_INVALID"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    MLFLOW_CONNECTION_ERROR = "MLFLOW_CONNECTION_ERROR"
    ANALYSIS_TIMEOUT = "ANALYSIS_TIMEOUT"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.RUN_NOT_FOUND: 404,
    ErrorCode.ARTIFACT_NOT_FOUND: 404,
    ErrorCode.REQUEST_NOT_FOUND: 404,
    ErrorCode.ARTIFACT_INVALID: 422,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.RATE_LIMIT_EXCEEDED: 429,
    ErrorCode.INTERNAL_SERVER_ERROR: 500,
    ErrorCode.MLFLOW_CONNECTION_ERROR: 503,
    ErrorCode.ANALYSIS_TIMEOUT: 504,
}
"""The HTTP status each error is sent with."""

RETRYABLE: frozenset[ErrorCode] = frozenset(
    {
        ErrorCode.RATE_LIMIT_EXCEEDED,
        ErrorCode.INTERNAL_SERVER_ERROR,
        ErrorCode.MLFLOW_CONNECTION_ERROR,
        # CONTRACT.md says "maybe": nothing finished in time, which a less loaded server may
        # fix; the client retries 504 anyway (§5) and its retry budget bounds the cost.
        ErrorCode.ANALYSIS_TIMEOUT,
    }
)
"""Errors worth sending the same request again for."""

_MAX_PROVIDED_CHARS = 200  # a rejected body can be large; details carry a preview only
_MAX_SHOWN_CHARS = 60


def _dotted(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _truncated(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _provided(value: Any) -> Any:
    """The rejected value as JSON-ready data, or a truncated JSON text when it is long."""
    try:
        data = to_jsonable_python(value, fallback=repr)
    except ValueError:  # e.g. a circular structure
        data = repr(value)
    if isinstance(data, str):
        return _truncated(data, _MAX_PROVIDED_CHARS)
    text = json.dumps(data, ensure_ascii=False, default=repr)
    return data if len(text) <= _MAX_PROVIDED_CHARS else _truncated(text, _MAX_PROVIDED_CHARS)


def _shown(value: Any) -> str:
    return _truncated(json.dumps(value, ensure_ascii=False, default=repr), _MAX_SHOWN_CHARS)


class ErrorResponse(ContractModel):
    """Body of every non-2xx answer."""

    error: ErrorCode
    message: NonEmptyStr
    details: dict[str, Any] = Field(default_factory=dict)
    timestamp: UtcDateTime = Field(default_factory=utc_now)

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> Self:
        """A VALIDATION_ERROR describing the first problem of `exc` and listing all of them.

        `details` has `field` (dotted path), `provided` (the value given), `constraint` (what
        it broke) and `errors` (every problem, as loc/msg/type), as in the seeds' example.
        """
        errors = exc.errors(include_url=False, include_context=False)
        if not errors:
            return cls(error=ErrorCode.VALIDATION_ERROR, message="The request is invalid.")
        first = errors[0]
        field = _dotted(first["loc"]) or None
        missing = first["type"] == "missing"
        # For a missing field pydantic's input is the whole enclosing object: not "the value".
        provided = None if missing else _provided(first["input"])
        constraint = "required" if missing else first["msg"]

        message = f"{field}: {first['msg']}" if field else first["msg"]
        if not missing:
            message += f" (got {_shown(provided)})"
        if len(errors) > 1:
            others = len(errors) - 1
            message += f"; {others} more problem{'s' if others > 1 else ''} in details.errors"
        return cls(
            error=ErrorCode.VALIDATION_ERROR,
            message=message.rstrip(".") + ".",
            details={
                "field": field,
                "provided": provided,
                "constraint": constraint,
                "errors": [
                    {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
                    for error in errors
                ],
            },
        )
