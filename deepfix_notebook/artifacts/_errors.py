"""`ArtifactError`: a broken artifact rule, with a contract error code and a fix to make."""

from __future__ import annotations

from typing import Any

from deepfix_notebook.contract import ErrorCode, ErrorResponse


class ArtifactError(Exception):
    """A run's artifacts could not be read or break a rule of CONTRACT.md §1.

    ``code`` is one of ``ARTIFACT_NOT_FOUND``, ``ARTIFACT_INVALID``, ``RUN_NOT_FOUND`` or
    ``MLFLOW_CONNECTION_ERROR``; ``file`` and ``field`` say where, ``message`` says what to do.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        file: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.file = file
        self.field = field
        self.details = dict(details or {})

    def __str__(self) -> str:
        where = ":".join(part for part in (self.file, self.field) if part)
        return f"{self.code.value}: {where + ': ' if where else ''}{self.message}"

    def to_response(self) -> ErrorResponse:
        """The contract's error envelope for this error."""
        details = {"file": self.file, "field": self.field, **self.details}
        return ErrorResponse(
            error=self.code,
            message=self.message,
            details={k: v for k, v in details.items() if v is not None},
        )


def too_many_rows(max_rows: int, *, file: str, read: int) -> ArtifactError:
    """``ARTIFACT_INVALID``: the metrics have more than ``max_rows`` rows (steps); reading
    stopped after ``read`` rows, so the rest was never loaded."""
    return ArtifactError(
        ErrorCode.ARTIFACT_INVALID,
        f"The run's metrics have more than {max_rows:,} rows (steps), the most this analysis "
        "reads; log every Nth step, or raise the limit.",
        file=file,
        field="metrics",
        details={"max_rows": max_rows, "rows_read": read},
    )


def invalid(message: str, *, file: str, field: str | None = None, **details: Any) -> ArtifactError:
    """An ``ARTIFACT_INVALID`` error."""
    return ArtifactError(
        ErrorCode.ARTIFACT_INVALID, message, file=file, field=field, details=details
    )
