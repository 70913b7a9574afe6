"""`AnalysisBackend`: what the notebook, the report and the CLI ask of an analysis service.

Callers never ask which backend they hold: whatever differs (where a run is read, whether an
analysis costs a server job) is answered by the protocol itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from deepfix_notebook.contract import (
    AnalysisContext,
    AnalysisOptions,
    AnalysisResult,
    HealthResponse,
    JobStatus,
    KnowledgeQuery,
    KnowledgeResponse,
)

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import ArtifactBundle
    from deepfix_notebook.artifacts._mlflow_runs import RunSummary

Progress = Callable[[JobStatus], None]


@dataclass(frozen=True)
class AnalysedRun:
    """An analysis and the run it is about, as this process could read it (to draw curves,
    show params): ``bundle`` is None when it could not, and ``note`` says why."""

    result: AnalysisResult
    bundle: ArtifactBundle | None
    note: str | None = None


@runtime_checkable
class AnalysisBackend(Protocol):
    """An analysis service: the embedded engine, or a DeepFix server behind HTTP.

    A ``source`` is anything `deepfix_notebook.artifacts.run_ref` accepts (a `RunRef`, a run
    id or name, ``runs:/ID``, an MLflow run object, a directory, a DataFrame, a bundle).
    """

    tracking_uri: str | None
    """The MLflow store runs are read from (None: the configured default)."""

    @property
    def name(self) -> str:
        """``"local"`` or the server's URL."""
        ...

    @property
    def in_process(self) -> bool:
        """Whether analyses run in this process (free and private); False: each one is a job
        on a shared server."""
        ...

    def analyze(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
        *,
        on_progress: Progress | None = None,
    ) -> AnalysisResult:
        """Analyse ``source`` and wait for it."""
        ...

    def analyze_run(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
        *,
        on_progress: Progress | None = None,
        read: bool = True,
    ) -> AnalysedRun:
        """`analyze`, and the run's bundle to draw it with (``read=False``: no bundle). The run
        is read once: by the engine in-process, or by the server while this process reads it
        for display at the same time."""
        ...

    def submit(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
    ) -> str:
        """Queue an analysis; returns its request id at once."""
        ...

    def status(self, request_id: str) -> JobStatus: ...

    def result(self, request_id: str, *, timeout: float | None = None) -> AnalysisResult:
        """The finished result, waiting up to ``timeout`` seconds (None: as long as it takes)."""
        ...

    def jobs(self) -> list[JobStatus]:
        """The analyses this backend was asked for in this process (recent ones), oldest first."""
        ...

    def runs(self, *, experiment: str | None = None, limit: int = 50) -> list[RunSummary]:
        """The newest runs of the store this backend reads (of ``experiment`` when given)."""
        ...

    def query_knowledge(self, query: KnowledgeQuery) -> KnowledgeResponse: ...

    def health(self) -> HealthResponse: ...

    def close(self) -> None: ...
