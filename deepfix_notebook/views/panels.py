"""Panel components of the web report, built from results, tables and runs. No I/O.

Panel is imported inside each function, so importing this module is cheap. The components reuse
the other views: HTML fragments from `_html` (escaped), figures from `figures`. Strings that came
from a run reach the page escaped (HTML panes), as plain text (table cells, select options) or as
Plotly data (trace names, hover text); never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any, Literal

from deepfix_notebook.views._html import analysis_html, knowledge_html, parameters_html
from deepfix_notebook.views._theme import SEVERITY_COLOURS

if TYPE_CHECKING:
    import pandas as pd
    from panel.layout import Column
    from panel.pane import HTML, Plotly
    from panel.widgets import Tabulator

    from deepfix_notebook.artifacts import ArtifactBundle, MetricsTable
    from deepfix_notebook.contract import AnalysisResult, KnowledgeResponse

NoticeKind = Literal["info", "warning", "error"]
HealthBadge = Literal[
    "logged", "computed", "reading", "analysing", "not-analysed", "no-artifacts", "error"
]
_HEALTH_WORDS: dict[str, tuple[str, str]] = {
    "reading": ("…", "Reading the run."),
    "analysing": (
        "analysing…",
        "No analysis logged with the run: the local engine is analysing it for display "
        "(nothing is written to the run).",
    ),
    "not-analysed": (
        "not analysed",
        "No analysis logged with the run. Open it and press Analyze on the Run page: the "
        "backend analyses it and the result is saved to the run.",
    ),
    "no-artifacts": ("no artifacts", "Nothing DeepFix can analyse was logged with this run."),
    "error": ("error", "No health: the run could not be read or analysed."),
}

PANEL_HEIGHT_PX = 230  # per stacked panel of a run figure
FIGURE_MARGIN_PX = 90
RUN_COLUMNS = ("run", "status", "experiment", "started", "health")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

_NOTICE_COLOURS = {"info": "#0969da", "warning": SEVERITY_COLOURS["medium"], "error": "#cf222e"}
_GREY = "#6e7781"

BADGE_CSS = (
    ".df-badge{display:inline-block;color:#fff;border-radius:9px;padding:0 7px;margin-right:4px;"
    "font-size:0.85em;font-weight:600;line-height:1.6;white-space:nowrap;"
    "border:1.5px solid var(--df-colour);background:var(--df-colour)}"
    f".df-high{{--df-colour:{SEVERITY_COLOURS['high']}}}"
    f".df-medium{{--df-colour:{SEVERITY_COLOURS['medium']}}}"
    f".df-zero{{--df-colour:{_GREY}}}"
    # Computed for display, not logged: outlined, so the two never look alike.
    ".df-computed .df-badge{background:#fff;color:var(--df-colour);border-style:dashed}"
    ".df-none{color:#6e7781;white-space:nowrap}"
    ".df-legend{font-family:system-ui,sans-serif;font-size:13px;color:#59636e;line-height:1.9}"
)
"""Styles of the health badges: given to the runs table (its cells live in its shadow root)."""

NOTICE_CSS = (
    ".df-notice{border-left:4px solid var(--df-colour);background:#f6f8fa;color:#1f2328;"
    "padding:8px 12px;border-radius:4px;font-family:system-ui,sans-serif;font-size:14px;"
    "overflow-wrap:anywhere}"
    ".df-notice code,.df-help code{font-family:ui-monospace,monospace;background:#eaeef2;"
    "border-radius:3px;padding:0 3px}"
    ".df-help{font-family:system-ui,sans-serif;font-size:14px;color:#1f2328;overflow-wrap:anywhere}"
    ".df-help pre{background:#f6f8fa;border:1px solid #d1d9e0;border-radius:4px;padding:6px 8px;"
    "white-space:pre-wrap}"
    ".df-help dt{font-weight:600;margin-top:6px}.df-help dd{margin:2px 0 6px 16px}"
    ".df-muted{color:#59636e}"
)


# --------------------------------------------------------------------------- runs table


def health_html(
    state: HealthBadge, counts: Mapping[str, int] | None = None, *, note: str | None = None
) -> str:
    """The health cell of a run: badges counting its high and medium findings, solid for an
    analysis logged with the run, outlined for one computed for display only; otherwise a word
    saying why there are none. ``note`` (escaped) is added to the tooltip."""
    if state in {"logged", "computed"}:
        if counts is None:
            raise ValueError(f"a {state!r} health cell needs the counts of findings")
        origin = (
            "from the analysis logged with the run (deepfix/analysis.json)"
            if state == "logged"
            else "computed for display, not saved to the run"
        )
        title = escape(f"{_counts_text(counts)}, {origin}" + (f". {note}" if note else ""))
        badges = []
        for severity in ("high", "medium"):
            count = int(counts.get(severity, 0))
            kind = severity if count else "zero"
            badges.append(f'<span class="df-badge df-{kind}">{count} {severity}</span>')
        return f'<span class="df-{state}" title="{title}">{"".join(badges)}</span>'
    word, tip = _HEALTH_WORDS[state]
    if note:
        tip = f"{tip} {note}"
    return f'<span class="df-none df-{state}" title="{escape(tip)}">{word}</span>'


def health_legend(*, backend: str, computed: bool, exported: bool = False) -> HTML:
    """A pane of `health_legend_html`, styled like the table's badges."""
    import panel as pn

    return pn.pane.HTML(
        health_legend_html(backend=backend, computed=computed, exported=exported),
        stylesheets=[NOTICE_CSS, BADGE_CSS],
        sizing_mode="stretch_width",
        css_classes=["deepfix-health-legend"],
    )


def health_legend_html(*, backend: str, computed: bool, exported: bool = False) -> str:
    """What the health column shows: which badges come from an analysis logged with the run and
    which from one computed for display (``computed``: by ``backend``, the local engine of a
    served report, or whatever analysed an ``exported`` file's runs), and what the words mean."""
    logged = health_html("logged", {"high": 1, "medium": 2})
    display = health_html("computed", {"high": 0, "medium": 1})
    parts = [f"Health: findings of high and medium severity. {logged} logged with the run"]
    where = f"<code>{escape(backend)}</code>"
    if computed and exported:
        parts.append(f"{display} analysed by {where} for this file, not saved to the run")
    elif computed:
        parts.append(
            f"{display} computed for display by the local engine, not saved: Analyze on the "
            "Run page saves it. <i>analysing…</i>: being computed"
        )
    elif not exported:
        parts.append(
            f"<i>not analysed</i>: no analysis logged; open the run and press Analyze (it runs "
            f"on {where} and is saved to the run)"
        )
    return f"<div class='df-legend'>{' · '.join(parts)}.</div>"


def _counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(
        f"{int(counts.get(severity, 0))} {severity}-severity finding(s)"
        for severity in ("high", "medium", "low")
    )


def runs_table(
    frame: pd.DataFrame,
    *,
    page_size: int = 25,
    pagination: Literal["local", "remote"] = "remote",
    selectable: bool = True,
) -> Tabulator:
    """The runs as a paginated table; the ``health`` column is `health_html` (built here, not
    from run data), every other cell is plain text."""
    import panel as pn

    return pn.widgets.Tabulator(
        frame,
        pagination=pagination,
        page_size=page_size,
        disabled=True,
        show_index=False,
        selectable="checkbox" if selectable else False,
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
    """A one-paragraph message (``text`` is escaped)."""
    import panel as pn

    head = f"<b>{escape(title)}</b> " if title else ""
    return pn.pane.HTML(
        f'<div class="df-notice df-{kind}" role="{"alert" if kind == "error" else "status"}" '
        f'style="--df-colour:{_NOTICE_COLOURS[kind]}">{head}{escape(text)}</div>',
        stylesheets=[NOTICE_CSS],
        sizing_mode="stretch_width",
        css_classes=[f"deepfix-notice-{kind}"],
    )


def html_pane(fragment: str, **params: Any) -> HTML:
    """An HTML pane for a fragment built (and escaped) by the views."""
    import panel as pn

    return pn.pane.HTML(fragment, stylesheets=[NOTICE_CSS], **params)


# --------------------------------------------------------------------------- one run


def run_header_html(
    name: str,
    run_id: str,
    *,
    experiment: str | None = None,
    status: str | None = None,
    started: str | None = None,
    params: Mapping[str, object] | None = None,
    source: str | None = None,
) -> str:
    """A run's name, id, experiment, status, parameters, and where its analysis came from."""
    facts = [f"<code>{escape(run_id)}</code>"]
    facts += [escape(v) for v in (experiment, status, started) if v]
    out = [f"<h2 style='margin:0'>{escape(name)}</h2><p class='df-muted'>{' · '.join(facts)}</p>"]
    if params:
        shown = [f"<code>{escape(str(k))}={escape(str(v))}</code>" for k, v in params.items()]
        out.append(f"<p>Parameters: {' '.join(shown)}</p>")
    if source:
        out.append(f"<p class='df-muted'>{escape(source)}</p>")
    return f"<div class='df-help'>{''.join(out)}</div>"


def artifacts_html(
    run_id: str, bundle: ArtifactBundle | None, error: str | None = None
) -> str | None:
    """What a run lacks for a diagnosis and how to log it; None when nothing important is missing.

    ``error`` is the message of a run that could not be read at all.
    """
    missing: list[tuple[str, str]] = []
    rid = escape(run_id)
    if bundle is None or bundle.metrics is None:
        missing.append(
            (
                "Metrics per step or epoch (training_artifacts/metrics.csv or MLflow metric "
                "history): needed for any training diagnosis.",
                "import deepfix_notebook as dfx\n"
                f'dfx.log_run(metrics={{"step": [...], "train_loss": [...], "val_loss": [...]}},'
                f' run_id="{rid}")\n'
                '# or, during training: mlflow.log_metric("train_loss", value, step=step)',
            )
        )
    if bundle is None or bundle.params is None:
        missing.append(
            (
                "Hyperparameters (training_artifacts/params.yaml or MLflow params): they turn "
                "advice into numbers (e.g. a learning rate to try).",
                'mlflow.log_params({"learning_rate": 1e-3, "batch_size": 32, "optimizer": "adam"})',
            )
        )
    if bundle is None or bundle.dataset is None:
        missing.append(
            (
                "Dataset metadata (dataset/metadata.yaml): sizes and class counts, for the "
                "dataset checks.",
                'dfx.log_run(metrics=..., run_id="' + rid + '", dataset={"dataset_name": '
                '"my-data", "num_train_samples": 1000, "num_classes": 3})\n'
                '# or, in a tracked run: run.log_dataset(y_train, name="my-data")',
            )
        )
    if not missing and error is None:
        return None
    out = []
    if error is not None:
        out.append(f"<p><b>This run cannot be read:</b> {escape(error)}</p>")
    if missing:
        out.append("<p><b>Missing for a full diagnosis:</b></p><dl>")
        for what, how in missing:
            out.append(f"<dt>{escape(what)}</dt><dd><pre>{how}</pre></dd>")
        out.append("</dl>")
    return f"<div class='df-help deepfix-missing'>{''.join(out)}</div>"


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
    result: AnalysisResult, table: MetricsTable | None, *, max_points: int = 1000
) -> Column:
    """Findings, plan and warnings (`analysis_html`), beside the annotated curves when given."""
    import panel as pn

    findings = pn.pane.HTML(
        analysis_html(result), sizing_mode="stretch_width", css_classes=["deepfix-findings"]
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
