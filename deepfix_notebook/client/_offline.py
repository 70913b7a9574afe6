"""What happens when the server cannot be reached (CONTRACT.md §5 offline modes).

The client knows ``strict`` (raise) and ``fallback`` (warn, and answer a ``failed`` result so a
training loop goes on without analysis). `RemoteBackend` (what ``connect`` and the notebook use)
asks the embedded engine first in ``fallback``, and adds ``local`` (the embedded engine, its
error raised when it cannot read the run either).
A server answering ``MLFLOW_CONNECTION_ERROR`` counts too, and the warning names MLflow.
"""

from __future__ import annotations

import uuid
import warnings
from dataclasses import dataclass
from typing import Literal

from deepfix_notebook.client._errors import (
    DeepFixClientError,
    DeepFixConnectionError,
    DeepFixError,
)
from deepfix_notebook.contract import AnalysisResult, AnalysisStatus, ErrorCode

ClientOfflineMode = Literal["strict", "fallback"]
CLIENT_OFFLINE_MODES: tuple[str, ...] = ("strict", "fallback")


class ServerUnreachableWarning(RuntimeWarning):
    """The DeepFix server (or the MLflow behind it) could not be reached; the offline mode took
    over."""


@dataclass(frozen=True)
class Outage:
    """What could not be reached, and why: the DeepFix ``server``, or MLflow behind it
    (``mlflow``: the server answered ``MLFLOW_CONNECTION_ERROR``)."""

    server: str
    reason: str
    mlflow: bool = False

    def __str__(self) -> str:
        if self.mlflow:
            return f"MLflow unreachable from the DeepFix server {self.server} ({self.reason})."
        return f"DeepFix server {self.server} unreachable ({self.reason})."

    @property
    def notice(self) -> str:
        """One line: the embedded engine answered instead."""
        if self.mlflow:
            return (
                f"MLflow unreachable from the DeepFix server {self.server}; analysed by the "
                "embedded engine in this process."
            )
        return f"Server {self.server} unreachable; analysed by the embedded engine in this process."

    @property
    def neither(self) -> str:
        """The summary when the embedded engine could not read the run either."""
        side = "could not reach MLflow" if self.mlflow else "could not be reached"
        again = "MLflow is back" if self.mlflow else "the server is back"
        return (
            f"Not analysed: the DeepFix server {self.server} {side}, and this process could not "
            f"read the run to analyse it itself (see below). Analyse it again once {again}, or "
            "point --tracking-uri (connect(tracking_uri=...)) at a store this process can read."
        )

    @property
    def summary(self) -> str:
        if self.mlflow:
            return (
                f"Not analysed: the DeepFix server {self.server} could not reach MLflow. The run "
                "is unchanged in MLflow; analyse it once MLflow is back."
            )
        return (
            f"Not analysed: the DeepFix server {self.server} could not be reached. The run is "
            "unchanged in MLflow; analyse it later, or with connect('local')."
        )


def offline_reason(exc: BaseException, server: str) -> Outage | None:
    """The `Outage` ``exc`` stands for (no answer, or 5xx/429 after the retries); None when it
    is an answer no other server would change (400, 401, 404, 422, ...)."""
    if isinstance(exc, DeepFixConnectionError):
        return Outage(server, str(exc))
    if not isinstance(exc, DeepFixError) or exc.status_code is None:
        return None
    if exc.status_code >= 500 or exc.status_code == 429:
        return Outage(server, str(exc), mlflow=exc.code is ErrorCode.MLFLOW_CONNECTION_ERROR)
    return None


def skipped_result(run_id: str, outage: Outage, *, stacklevel: int = 3) -> AnalysisResult:
    """Warn, and answer the ``failed`` result of an analysis that could not be done."""
    message = f"{outage} Continuing without analysis."
    warnings.warn(message, ServerUnreachableWarning, stacklevel=stacklevel)
    return unanalysed_result(run_id, outage, [message])


def unanalysed_result(
    run_id: str, outage: Outage, notes: list[str], *, engine_tried: bool = False
) -> AnalysisResult:
    """The ``failed`` result of a run nothing analysed: ``notes`` are its warnings (the
    reasons); ``engine_tried``: the embedded engine could not read the run either."""
    summary = outage.neither if engine_tried else outage.summary
    return AnalysisResult(
        request_id=f"offline_{uuid.uuid4().hex[:16]}",
        run_id=run_id,
        status=AnalysisStatus.FAILED,
        summary=summary,
        agent_results=[],
        execution_time=0.0,
        warnings=notes,
        backend=f"{outage.server} (unreachable)",
    )


def fallback_result(
    exc: DeepFixClientError, mode: ClientOfflineMode, server: str, run_id: str
) -> AnalysisResult:
    """The ``failed`` result standing in for an analysis ``exc`` prevented when ``mode`` is
    ``fallback`` and the server (or its MLflow) is unreachable; ``exc`` is raised again
    otherwise."""
    outage = offline_reason(exc, server) if mode == "fallback" else None
    if outage is None:
        raise exc
    return skipped_result(run_id, outage, stacklevel=4)


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
