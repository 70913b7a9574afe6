"""`AnalysisBackend`: what the notebook, the report and the CLI ask of an analysis service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from deepfix_notebook.contract import (
    AnalysisContext,
    AnalysisOptions,
    AnalysisResult,
    HealthResponse,
    JobStatus,
    KnowledgeQuery,
    KnowledgeResponse,
)

Progress = Callable[[JobStatus], None]


@runtime_checkable
class AnalysisBackend(Protocol):
    """An analysis service: the embedded engine, or a DeepFix server behind HTTP."""

    @property
    def name(self) -> str:
        """``"local"`` or the server's URL."""
        ...

    def analyze(
        self,
        source: Any,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
        *,
        on_progress: Progress | None = None,
    ) -> AnalysisResult:
        """Analyse ``source`` (run id, run directory, bundle, DataFrame) and wait for it."""
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

    def query_knowledge(self, query: KnowledgeQuery) -> KnowledgeResponse: ...

    def health(self) -> HealthResponse: ...

    def close(self) -> None: ...
