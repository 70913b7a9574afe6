"""Display objects: results that render as rich output wherever they are shown.

Each implements ``_repr_mimebundle_`` with the bundle `views` builds: the DeepFix JSON type (the
JupyterLab extension renders it even in a saved notebook), self-contained escaped HTML, and plain
text, keeping only the formats IPython's ``include``/``exclude`` ask for. An analysis the embedded
engine made because the server was unreachable starts with a notice saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.backends import fallback_notice
from deepfix_notebook.contract import AnalysisResult, KnowledgeResponse
from deepfix_notebook.views import (
    MIME_ANALYSIS,
    MIME_COMPARISON,
    MIME_KNOWLEDGE,
    PAYLOAD_VERSION,
    analysis_bundle,
    analysis_payload,
    comparison_bundle,
    comparison_payload,
    knowledge_bundle,
)

__all__ = [
    "MIME_ANALYSIS",
    "MIME_COMPARISON",
    "MIME_KNOWLEDGE",
    "PAYLOAD_VERSION",
    "AnalysisView",
    "ComparisonView",
    "KnowledgeView",
]


@dataclass
class AnalysisView:
    """An analysis result with the run's curves; ``result`` is the contract's object."""

    result: AnalysisResult
    table: MetricsTable | None = None
    max_points: int = 1000
    run_name: str | None = None  # shown instead of the id, where known

    def payload(self) -> dict[str, Any]:
        return analysis_payload(
            self.result,
            self.table,
            max_points=self.max_points,
            run_name=self.run_name,
            notice=fallback_notice(self.result),
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = analysis_bundle(
            self.result,
            self.table,
            max_points=self.max_points,
            run_name=self.run_name,
            notice=fallback_notice(self.result),
        )
        return only(bundle, include, exclude)

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
    names: Mapping[str, str] = field(default_factory=dict)  # run names by result key

    def payload(self) -> dict[str, Any]:
        return comparison_payload(
            self.results,
            self.tables,
            self.params,
            metric=self.metric,
            align=self.align,
            max_points=self.max_points,
            names=self.names,
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = comparison_bundle(
            self.results,
            self.tables,
            self.params,
            metric=self.metric,
            align=self.align,
            max_points=self.max_points,
            names=self.names,
        )
        return only(bundle, include, exclude)


@dataclass
class KnowledgeView:
    """Knowledge search results."""

    response: KnowledgeResponse

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return only(knowledge_bundle(self.response), include, exclude)


def only(bundle: dict[str, Any], include: Any = None, exclude: Any = None) -> dict[str, Any]:
    """The formats of ``bundle`` in ``include`` (all when None) and not in ``exclude``."""
    return {
        mime: data
        for mime, data in bundle.items()
        if (not include or mime in include) and not (exclude and mime in exclude)
    }
