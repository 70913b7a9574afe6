"""DeepFix's mime bundles: its JSON type, self-contained HTML and plain text, from results alone.

The JSON types are drawn by the JupyterLab extension (also in a saved notebook, with no kernel);
other frontends fall back to the HTML. The notebook's display objects and the training
integration both build their outputs here, so a result looks the same wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# The static curves are the analysis view's charts on their own: `_html`'s chart builder and
# root element, shared within `views`.
from deepfix_notebook.views._html import (
    _charts,
    _view,
    analysis_html,
    comparison_html,
    knowledge_html,
)
from deepfix_notebook.views._markup import html
from deepfix_notebook.views._payload import curves_payload
from deepfix_notebook.views._text import render_analysis, render_comparison, render_knowledge

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import MetricsTable
    from deepfix_notebook.contract import AnalysisResult, KnowledgeResponse

MIME_ANALYSIS = "application/vnd.deepfix.analysis+json"
MIME_COMPARISON = "application/vnd.deepfix.comparison+json"
MIME_KNOWLEDGE = "application/vnd.deepfix.knowledge+json"
PAYLOAD_VERSION = 1


def analysis_payload(
    result: AnalysisResult,
    table: MetricsTable | None = None,
    *,
    max_points: int = 1000,
    run_name: str | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """``{"version", "result", "curves"}``: the result and its run's downsampled curves; with
    ``run_name``, the views name the run by it (its id on hover); a ``notice`` opens the view
    (why this analysis is not the one asked for)."""
    payload: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "result": result.model_dump(mode="json"),
        "curves": None if table is None else curves_payload(table, max_points),
    }
    if run_name:
        payload["run_name"] = run_name
    if notice:
        payload["notice"] = notice
    return payload


def analysis_bundle(
    result: AnalysisResult,
    table: MetricsTable | None = None,
    *,
    max_points: int = 1000,
    run_name: str | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """An analysis as DeepFix JSON, HTML (with charts when ``table`` is given) and text, each
    opening with ``notice`` when given."""
    text = render_analysis(result)
    return {
        MIME_ANALYSIS: analysis_payload(
            result, table, max_points=max_points, run_name=run_name, notice=notice
        ),
        "text/html": analysis_html(result, table, run_name=run_name, notice=notice),
        "text/plain": f"{notice}\n\n{text}" if notice else text,
    }


def comparison_payload(
    results: Mapping[str, AnalysisResult],
    tables: Mapping[str, MetricsTable],
    params: Mapping[str, Mapping[str, Any]],
    *,
    metric: str = "val_loss",
    align: str = "step",
    max_points: int = 500,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Several runs' results, parameters and their ``metric`` and train-loss curves; ``names``
    (run names by result key, where known) name the runs in the views."""
    payload: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "metric": metric,
        "align": align,
        "results": {k: r.model_dump(mode="json") for k, r in results.items()},
        "params": {k: dict(v) for k, v in params.items()},
        "curves": {
            k: curves_payload(t, max_points, only=[metric, "train_loss"]) for k, t in tables.items()
        },
    }
    known = {k: n for k, n in (names or {}).items() if k in results and n}
    if known:
        payload["names"] = known
    return payload


def comparison_bundle(
    results: Mapping[str, AnalysisResult],
    tables: Mapping[str, MetricsTable],
    params: Mapping[str, Mapping[str, Any]],
    *,
    metric: str = "val_loss",
    align: str = "step",
    max_points: int = 500,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Runs side by side as DeepFix JSON, HTML and text."""
    payload = comparison_payload(
        results, tables, params, metric=metric, align=align, max_points=max_points, names=names
    )
    return {
        MIME_COMPARISON: payload,
        "text/html": comparison_html(
            results, tables, params, metric=metric, align=align, names=names
        ),
        "text/plain": render_comparison(results, params),
    }


def knowledge_bundle(response: KnowledgeResponse) -> dict[str, Any]:
    """Knowledge search results as DeepFix JSON (the contract's response as is), HTML, text."""
    return {
        MIME_KNOWLEDGE: response.model_dump(mode="json"),
        "text/html": knowledge_html(response),
        "text/plain": render_knowledge(response),
    }


def curves_bundle(
    table: MetricsTable,
    result: AnalysisResult,
    *,
    title: str,
    status: str,
    max_points: int = 400,
) -> dict[str, Any]:
    """A run's curves with ``result``'s findings shaded, as static HTML (inline SVG) and text.

    What a finished training run leaves in a notebook when no analysis is shown in its place:
    it renders in any frontend, without a kernel, a widget or plotly.js.
    """
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    head = html('<h3>{}</h3><p class="df-meta">{}</p>', title, status)
    return {
        "text/html": str(_view("curves", [head, _charts(result, table, max_points)])),
        "text/plain": f"{title}: {status}",
    }
