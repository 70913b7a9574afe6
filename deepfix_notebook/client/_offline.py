"""What happens when the server cannot be reached (CONTRACT.md §5 offline modes).

The client knows ``strict`` (raise) and ``fallback`` (warn, and answer a ``failed`` result so a
training loop goes on without analysis); `RemoteBackend` adds ``local`` (the embedded engine).
"""

from __future__ import annotations

import uuid
import warnings
from typing import Literal

from deepfix_notebook.client._errors import (
    DeepFixClientError,
    DeepFixConnectionError,
    DeepFixError,
)
from deepfix_notebook.contract import AnalysisResult, AnalysisStatus

ClientOfflineMode = Literal["strict", "fallback"]
CLIENT_OFFLINE_MODES: tuple[str, ...] = ("strict", "fallback")


class ServerUnreachableWarning(RuntimeWarning):
    """The DeepFix server could not be reached; the offline mode took over."""


def offline_reason(exc: BaseException) -> str | None:
    """Why ``exc`` means the server is unreachable (no answer, or 5xx/429 after the retries);
    None when it is an answer no other server would change (400, 401, 404, ...)."""
    if isinstance(exc, DeepFixConnectionError):
        return str(exc)
    status = exc.status_code if isinstance(exc, DeepFixError) else None
    if status is not None and (status >= 500 or status == 429):
        return str(exc)
    return None


def unreachable(server: str, reason: str) -> str:
    return f"DeepFix server {server} unreachable ({reason})."


def skipped_result(server: str, run_id: str, reason: str, *, stacklevel: int = 3) -> AnalysisResult:
    """Warn, and answer the ``failed`` result of an analysis that could not be done."""
    message = f"{unreachable(server, reason)} Continuing without analysis."
    warnings.warn(message, ServerUnreachableWarning, stacklevel=stacklevel)
    return AnalysisResult(
        request_id=f"offline_{uuid.uuid4().hex[:16]}",
        run_id=run_id,
        status=AnalysisStatus.FAILED,
        summary=(
            f"Not analysed: the DeepFix server {server} could not be reached. The run is "
            "unchanged in MLflow; analyse it later, or with connect('local')."
        ),
        agent_results=[],
        execution_time=0.0,
        warnings=[message],
        backend=f"{server} (unreachable)",
    )


def fallback_result(
    exc: DeepFixClientError, mode: ClientOfflineMode, server: str, run_id: str
) -> AnalysisResult:
    """The ``failed`` result standing in for an analysis ``exc`` prevented when ``mode`` is
    ``fallback`` and the server is unreachable; ``exc`` is raised again otherwise."""
    reason = offline_reason(exc) if mode == "fallback" else None
    if reason is None:
        raise exc
    return skipped_result(server, run_id, reason, stacklevel=4)


def check_mode(mode: str | None, default: ClientOfflineMode = "strict") -> ClientOfflineMode:
    """``mode``, or ``default`` when it is None; a clear error for an unknown mode."""
    if mode is None:
        return default
    if mode not in CLIENT_OFFLINE_MODES:
        raise ValueError(
            f"offline_mode must be 'strict' or 'fallback', got {mode!r} (the embedded engine "
            "as a fallback is RemoteBackend(offline='local') or connect(..., offline='local'))"
        )
    return mode  # type: ignore[return-value]
