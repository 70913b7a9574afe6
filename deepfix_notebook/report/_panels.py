"""Panel components of the web report, built from results, tables and runs. No I/O.

Panel is imported inside each function, so importing this module is cheap. The components wrap
the views: HTML fragments (escaped `Markup`) from `views`, figures from `views.figures`. Strings
that came from a run reach the page escaped (HTML panes), as plain text (table cells, select
options) or as Plotly data (trace names, hover text); never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from deepfix_notebook.views._html import analysis_html, knowledge_html, parameters_html
from deepfix_notebook.views._report_html import (
    BADGE_CSS,
    NOTICE_CSS,
    HealthBadge,
    NoticeKind,
    artifacts_html,
    health_html,
    health_legend_html,
    notice_html,
    run_header_html,
)

if TYPE_CHECKING:
    import pandas as pd
    from panel.layout import Column
    from panel.pane import HTML, Plotly
    from panel.widgets import Tabulator

    from deepfix_notebook.artifacts import MetricsTable
    from deepfix_notebook.contract import AnalysisResult, KnowledgeResponse

__all__ = [
    "BADGE_CSS",
    "FIGURE_MARGIN_PX",
    "NOTICE_CSS",
    "PANEL_HEIGHT_PX",
    "PLOTLY_CONFIG",
    "RUN_COLUMNS",
    "HealthBadge",
    "NoticeKind",
    "analysis_panel",
    "artifacts_html",
    "comparison_panel",
    "curves_pane",
    "health_html",
    "health_legend",
    "health_legend_html",
    "html_pane",
    "knowledge_pane",
    "notice",
    "run_header_html",
    "run_labels",
    "runs_formatters",
    "runs_table",
]

PANEL_HEIGHT_PX = 230  # per stacked panel of a run figure
FIGURE_MARGIN_PX = 90
RUN_COLUMNS = ("run", "status", "experiment", "started", "health")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


# --------------------------------------------------------------------------- runs table


def health_legend(*, backend: str, computed: bool, exported: bool = False) -> HTML:
    """A pane of `health_legend_html`, styled like the table's badges."""
    import panel as pn

    return pn.pane.HTML(
        health_legend_html(backend=backend, computed=computed, exported=exported),
        stylesheets=[NOTICE_CSS, BADGE_CSS],
        sizing_mode="stretch_width",
        css_classes=["deepfix-health-legend"],
    )


def runs_table(
    frame: pd.DataFrame,
    *,
    page_size: int = 25,
    pagination: Literal["local", "remote"] = "remote",
    selectable: bool | Literal["row"] = True,
) -> Tabulator:
    """The runs as a paginated table; the ``health`` column is `health_html` (built here, not
    from run data), every other cell is plain text. ``selectable``: checkboxes (True), none, or
    one row selected by clicking it (``"row"``)."""
    import panel as pn

    return pn.widgets.Tabulator(
        frame,
        pagination=pagination,
        page_size=page_size,
        disabled=True,
        show_index=False,
        selectable=1 if selectable == "row" else "checkbox" if selectable else False,
        formatters=runs_formatters(frame),
        header_align="left",
        sortable={"health": False},  # badges: sorting their HTML would mean nothing
        layout="fit_data_stretch",
        sizing_mode="stretch_width",
        stylesheets=[BADGE_CSS],
        css_classes=["deepfix-runs-table"],
    )


def runs_formatters(frame: pd.DataFrame) -> dict[str, Any]:
    """Cell formatters of `runs_table` for ``frame``: HTML health, metric values rounded.

    Set them again when the table's value gets other metric columns.
    """
    from bokeh.models.widgets.tables import NumberFormatter

    formatters: dict[str, Any] = {"health": {"type": "html"}}
    for column in frame.columns:
        if column not in RUN_COLUMNS and frame[column].dtype.kind == "f":
            formatters[column] = NumberFormatter(format="0.[0000]", text_align="right")
    return formatters


# --------------------------------------------------------------------------- notices


def notice(text: str, kind: NoticeKind = "info", *, title: str | None = None) -> HTML:
    """A one-paragraph message (`notice_html`: ``text`` is escaped)."""
    import panel as pn

    return pn.pane.HTML(
        notice_html(text, kind, title=title),
        stylesheets=[NOTICE_CSS],
        sizing_mode="stretch_width",
        css_classes=[f"deepfix-notice-{kind}"],
    )


def html_pane(fragment: str, **params: Any) -> HTML:
    """An HTML pane for a fragment built (and escaped) by the views."""
    import panel as pn

    return pn.pane.HTML(fragment, stylesheets=[NOTICE_CSS], **params)


# --------------------------------------------------------------------------- one run


def curves_pane(
    table: MetricsTable, result: AnalysisResult | None = None, *, max_points: int = 1000
) -> Plotly:
    """The run's curves with the findings' regions shaded (`figures.run_figure`)."""
    import panel as pn

    from deepfix_notebook.views.figures import run_figure

    figure = run_figure(table, result, max_points=max_points)
    rows = sum(1 for key in figure.to_dict()["layout"] if key.startswith("yaxis"))
    figure.update_layout(autosize=True)
    return pn.pane.Plotly(
        figure,
        config=PLOTLY_CONFIG,
        height=PANEL_HEIGHT_PX * max(rows, 1) + FIGURE_MARGIN_PX,
        sizing_mode="stretch_width",
        css_classes=["deepfix-curves"],
    )


def analysis_panel(
    result: AnalysisResult,
    table: MetricsTable | None,
    *,
    max_points: int = 1000,
    run_name: str | None = None,
) -> Column:
    """Findings, plan and warnings (`analysis_html`, the run by ``run_name`` when given), beside
    the annotated curves when given."""
    import panel as pn

    findings = pn.pane.HTML(
        analysis_html(result, run_name=run_name),
        sizing_mode="stretch_width",
        css_classes=["deepfix-findings"],
    )
    if table is None:
        return pn.Column(findings, sizing_mode="stretch_width")
    curves = curves_pane(table, result, max_points=max_points)
    return pn.Column(
        pn.Row(curves, sizing_mode="stretch_width"), findings, sizing_mode="stretch_width"
    )


# --------------------------------------------------------------------------- several runs


def comparison_panel(
    results: Mapping[str, AnalysisResult],
    tables: Mapping[str, MetricsTable],
    params: Mapping[str, Mapping[str, object]],
    *,
    metric: str = "val_loss",
    align: Literal["step", "epoch"] = "step",
    max_points: int = 1000,
) -> Column:
    """Overlaid curves of ``tables``, the findings matrix of ``results``, differing ``params``."""
    import panel as pn

    from deepfix_notebook.views.figures import comparison_figure, findings_matrix

    parts: list[Any] = []
    if tables:
        overlay = comparison_figure(tables, metric=metric, align=align, max_points=max_points)
        overlay.update_layout(autosize=True)
        parts.append(
            pn.pane.Plotly(
                overlay,
                config=PLOTLY_CONFIG,
                height=420,
                sizing_mode="stretch_width",
                css_classes=["deepfix-compare-curves"],
            )
        )
    if results:
        matrix = findings_matrix(results)
        matrix.update_layout(autosize=True)
        parts.append(
            pn.pane.Plotly(
                matrix,
                config=PLOTLY_CONFIG,
                height=int(matrix.layout.height or 300),
                sizing_mode="stretch_width",
                css_classes=["deepfix-compare-matrix"],
            )
        )
    if params:
        parts.append(
            pn.pane.HTML(
                parameters_html(params),
                sizing_mode="stretch_width",
                css_classes=["deepfix-compare-params"],
            )
        )
    return pn.Column(*parts, sizing_mode="stretch_width")


def knowledge_pane(response: KnowledgeResponse) -> HTML:
    """A knowledge search's results (`knowledge_html`)."""
    import panel as pn

    return pn.pane.HTML(
        knowledge_html(response), sizing_mode="stretch_width", css_classes=["deepfix-knowledge"]
    )


def run_labels(rows: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Select options ``{label: run_id}`` for ``(run_id, name)`` pairs; labels are unique."""
    options: dict[str, str] = {}
    for run_id, name in rows:
        label = f"{name} ({run_id[:8]})"
        while label in options:
            label += "'"
        options[label] = run_id
    return options
