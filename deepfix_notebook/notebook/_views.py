"""Display objects: results that render as rich output wherever they are shown.

Each implements ``_repr_mimebundle_`` with the DeepFix JSON type (the JupyterLab extension
renders it even in a saved notebook), self-contained escaped HTML, and plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.contract import AnalysisResult, KnowledgeResponse

MIME_ANALYSIS = "application/vnd.deepfix.analysis+json"
MIME_COMPARISON = "application/vnd.deepfix.comparison+json"
MIME_KNOWLEDGE = "application/vnd.deepfix.knowledge+json"
PAYLOAD_VERSION = 1


@dataclass
class AnalysisView:
    """An analysis result with the run's curves; ``result`` is the contract's object."""

    result: AnalysisResult
    table: MetricsTable | None = None
    max_points: int = 1000

    def payload(self) -> dict[str, Any]:
        from deepfix_notebook.views import curves_payload

        return {
            "version": PAYLOAD_VERSION,
            "result": self.result.model_dump(mode="json"),
            "curves": None if self.table is None else curves_payload(self.table, self.max_points),
        }

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from deepfix_notebook.views import analysis_html, render_analysis

        return {
            MIME_ANALYSIS: self.payload(),
            "text/html": analysis_html(self.result, self.table),
            "text/plain": render_analysis(self.result),
        }

    def figure(self, highlight: int | None = None) -> Any:
        """The run's curves as a Plotly figure with every finding's region shaded."""
        from deepfix_notebook.views.figures import run_figure

        if self.table is None:
            raise ValueError("This result has no curves: analyse a run with metrics.")
        return run_figure(self.table, self.result, highlight=highlight)


@dataclass
class ComparisonView:
    """Several analysed runs side by side."""

    results: Mapping[str, AnalysisResult]
    tables: Mapping[str, MetricsTable] = field(default_factory=dict)
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    metric: str = "val_loss"
    align: str = "step"
    max_points: int = 500

    def payload(self) -> dict[str, Any]:
        from deepfix_notebook.views import curves_payload

        return {
            "version": PAYLOAD_VERSION,
            "metric": self.metric,
            "align": self.align,
            "results": {k: r.model_dump(mode="json") for k, r in self.results.items()},
            "params": {k: dict(v) for k, v in self.params.items()},
            "curves": {
                k: curves_payload(t, self.max_points, only=[self.metric, "train_loss"])
                for k, t in self.tables.items()
            },
        }

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from deepfix_notebook.views import comparison_html, render_comparison

        return {
            MIME_COMPARISON: self.payload(),
            "text/html": comparison_html(
                self.results, self.tables, self.params, metric=self.metric, align=self.align
            ),
            "text/plain": render_comparison(self.results, self.params),
        }


@dataclass
class KnowledgeView:
    """Knowledge search results."""

    response: KnowledgeResponse

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from deepfix_notebook.views import knowledge_html, render_knowledge

        return {
            MIME_KNOWLEDGE: self.response.model_dump(mode="json"),
            "text/html": knowledge_html(self.response),
            "text/plain": render_knowledge(self.response),
        }
