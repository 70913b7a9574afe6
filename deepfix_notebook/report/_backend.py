"""The analysis backend of the report: which one, whether it answers, running one analysis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from deepfix_notebook.contract import AnalysisStatus, JobState, JobStatus

if TYPE_CHECKING:
    from deepfix_notebook.backends import AnalysisBackend
    from deepfix_notebook.contract import AnalysisResult

POLL_S = 0.25
MAX_WAIT_S = 600.0
_DONE = frozenset({JobState.COMPLETED, JobState.PARTIAL, JobState.FAILED})


class AnalysisFailed(Exception):
    """An analysis did not produce a result; the message says why."""


def open_backend(target: str, tracking_uri: str) -> AnalysisBackend:
    """``"local"`` (the embedded engine) or a DeepFix server URL reading ``tracking_uri``.

    The report's own backend: the process's current one (`connect`) is left as it is. A server
    is used in ``strict`` offline mode: when it is down, the report says so instead of quietly
    analysing elsewhere.
    """
    from deepfix_notebook.backends import LocalBackend, RemoteBackend

    if target == "local":
        return LocalBackend(tracking_uri=tracking_uri)
    if not target.startswith(("http://", "https://")):
        raise ValueError(f"give 'local' or the http(s) URL of a DeepFix server, not {target!r}")
    return RemoteBackend(target.rstrip("/"), tracking_uri=tracking_uri, offline="strict")


def backend_problem(backend: AnalysisBackend) -> str | None:
    """Why ``backend`` cannot analyse right now, or None when it answers ``ok``."""
    try:
        health = backend.health()
    except Exception as error:  # whatever the transport raised: the banner shows it
        return f"{type(error).__name__}: {error}"
    if health.status == "ok":
        return None
    return f"it reports {health.status} ({health.engine})"


async def run_analysis(
    backend: AnalysisBackend,
    source: Any,
    on_status: Callable[[JobStatus], None],
    *,
    poll: float = POLL_S,
    max_wait: float = MAX_WAIT_S,
) -> AnalysisResult:
    """Submit ``source`` and poll until it is done, reporting each status; the event loop stays
    free (the backend's blocking calls run in threads). Raises `AnalysisFailed`."""
    try:
        request_id = await asyncio.to_thread(backend.submit, source)
        deadline = time.monotonic() + max_wait
        while True:
            status = await asyncio.to_thread(backend.status, request_id)
            on_status(status)
            if status.status in _DONE:
                break
            if time.monotonic() > deadline:
                raise AnalysisFailed(f"no result after {max_wait:.0f} s (job {request_id})")
            await asyncio.sleep(poll)
        if status.status is JobState.FAILED:
            raise AnalysisFailed(status.error or "the analysis failed")
        result = await asyncio.to_thread(backend.result, request_id, timeout=max_wait)
    except AnalysisFailed:
        raise
    except Exception as error:  # connection errors, artifact errors raised by the job, ...
        raise AnalysisFailed(_reason(error)) from error
    if result.status is AnalysisStatus.FAILED and not result.agent_results:
        raise AnalysisFailed(result.summary or "the backend did not analyse the run")
    return result


def _reason(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error)
    return f"{type(error).__name__}: {message}"
