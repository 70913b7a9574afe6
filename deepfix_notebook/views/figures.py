"""Plotly figures of runs, comparisons and findings. Plotly is imported inside each function.

Every string that came from an artifact (metric, run and code names, finding descriptions) goes
into the figure as data (trace names, hover text, axis categories); Plotly renders it as text.
No HTML is built here.

``run_figure``'s ``x="auto"`` rule: the epoch axis when the table has epochs that tell its rows
apart (strictly increasing where logged) and every finding with a range has an ``epoch_range``;
the step axis otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from deepfix_notebook.views._downsample import downsample

if TYPE_CHECKING:
    from plotly.graph_objects import Figure  # type: ignore[import-untyped]

    from deepfix_notebook.artifacts import MetricsTable
    from deepfix_notebook.contract import AnalysisResult, Finding

XAxis = Literal["step", "epoch"]

LOSS_METRICS = ("train_loss", "val_loss", "test_loss")
SCORE_METRICS = tuple(
    f"{split}_{base}" for base in ("accuracy", "f1", "auc") for split in ("train", "val", "test")
)
ERROR_METRICS = tuple(
    f"{split}_{base}" for base in ("mae", "mse", "rmse") for split in ("train", "val", "test")
)
OPTIMISATION_METRICS = ("learning_rate", "grad_norm")
_KNOWN = frozenset(LOSS_METRICS + SCORE_METRICS + ERROR_METRICS + OPTIMISATION_METRICS)

NONFINITE_COLOR = "#d62728"
SEVERITY_COLORS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#7f7f7f"}
SEVERITY_LEVELS = {"low": 1, "medium": 2, "high": 3}
REGION_OPACITY = 0.15
HIGHLIGHT_OPACITY = 0.4
MIN_REGION_FRACTION = 0.005  # of the x span: a one-step finding stays visible
MARKER_HEADROOM = 0.05  # non-finite markers sit this far (of the y span) above the data
MAX_HOVER_DESCRIPTIONS = 5
MAX_DESCRIPTION_CHARS = 200


@dataclass(frozen=True)
class _Panel:
    key: str
    title: str
    metrics: tuple[str, ...]
    log: bool = False


# --------------------------------------------------------------------------- public


def ranged_findings(result: AnalysisResult | None) -> list[tuple[str, Finding]]:
    """``(agent_name, finding)`` with a ``step_range`` or ``epoch_range``, in result order.

    ``run_figure(..., highlight=i)`` indexes this list.
    """
    if result is None:
        return []
    return [
        (agent, analysis.findings)
        for agent, analysis in result.findings()
        if analysis.findings.step_range is not None or analysis.findings.epoch_range is not None
    ]


def run_figure(
    table: MetricsTable,
    result: AnalysisResult | None = None,
    *,
    x: Literal["step", "epoch", "auto"] = "auto",
    max_points: int = 1000,
    highlight: int | None = None,
    template: str | None = "plotly_white",
    uirevision: str | None = None,
) -> Figure:
    """Stacked panels (losses, scores, optimisation) sharing x, with the findings' regions shaded.

    Legend names are the names the run logged. Every series is downsampled to ``max_points``;
    NaN/Inf points are red ``x`` markers at the top of their panel. Each finding of
    `ranged_findings` shades its range on its metric's panel (all panels when the metric is not
    drawn), coloured by severity and labelled with its code; findings restating an
    already-drawn region (the advisor repeats the analyzers') share its shading.
    ``highlight`` (an index into `ranged_findings`) draws that region stronger.
    """
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    regions = ranged_findings(result)
    if highlight is not None and not 0 <= highlight < len(regions):
        raise IndexError(f"highlight={highlight} but there are {len(regions)} ranged findings")
    axis = _choose_axis(table, x, [finding for _, finding in regions])
    xs_all = table.step if axis == "step" else _epoch_axis(table)
    assert xs_all is not None  # _choose_axis checked it
    panels = _panels(table)

    fig = make_subplots(
        rows=max(len(panels), 1),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.45 if p.key == "loss" else 0.3 for p in panels] or None,
    )
    panel_rows: dict[str, int] = {}
    for row, panel in enumerate(panels, start=1):
        series = [_series(table, name, xs_all, max_points) for name in panel.metrics]
        _add_series(fig, series, axis, log=panel.log, row=row)
        fig.update_yaxes(title_text=panel.title, row=row, col=1)
        if panel.log:
            fig.update_yaxes(type="log", row=row, col=1)
        panel_rows.update((name, row) for name in panel.metrics)
    fig.update_xaxes(title_text=axis, row=max(len(panels), 1), col=1)

    span = _span(xs_all)
    epochs = _epoch_axis(table)
    if epochs is not None and np.any(np.diff(epochs) < 0):
        epochs = None  # epochs that go back cannot map ranges between the axes
    drawn: dict[tuple[Any, ...], int] = {}
    placed: list[tuple[float, float]] = []
    shape_of: list[int | None] = []
    for index, (_, finding) in enumerate(regions):
        bounds = _finding_bounds(finding, axis, table.step, epochs, span)
        if bounds is None:
            shape_of.append(None)
            continue
        key = (finding.code, finding.metric, bounds)
        if key not in drawn:
            drawn[key] = index
            rows = [panel_rows[finding.metric]] if finding.metric in panel_rows else None
            # Labels of regions that overlap stack downwards instead of printing over each other.
            lane = sum(1 for a, b in placed if a < bounds[1] and bounds[0] < b)
            placed.append(bounds)
            _add_region(fig, finding, bounds, rows, len(panels), index, lane)
        shape_of.append(drawn[key])
    if highlight is not None and shape_of[highlight] is not None:
        _highlight(fig, f"finding-{shape_of[highlight]}")

    fig.update_layout(
        template=template,
        uirevision=uirevision or _uirevision(table, axis),
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        legend={"groupclick": "togglegroup"},
        hovermode="closest",
    )
    return fig


def comparison_figure(
    tables: Mapping[str, MetricsTable],
    *,
    metric: str = "val_loss",
    align: XAxis = "step",
    max_points: int = 1000,
    template: str | None = "plotly_white",
) -> Figure:
    """``metric`` of every run on one axis, aligned by ``align``.

    A run without ``metric`` shows its train loss instead, marked "(fallback)" in the legend; a
    run with neither, or without epochs when aligning by epoch, is listed in a note.
    """
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    if align not in ("step", "epoch"):
        raise ValueError(f"align must be 'step' or 'epoch', got {align!r}")
    fig = go.Figure()
    series: list[_Series] = []
    left_out: list[str] = []
    for run, table in tables.items():
        name = _resolve(table, metric)
        fallback = name is None
        if fallback:
            name = _resolve(table, "train_loss")
        xs_all = table.step if align == "step" else _epoch_axis(table)
        if name is None or xs_all is None:
            reason = "no epochs" if name is not None else f"no {metric} or train_loss"
            left_out.append(f"{run} ({reason})")
            continue
        item = _series(table, name, xs_all, max_points)
        display = table.display_name(name)
        label = f"{run}: {display} (fallback)" if fallback else str(run)
        series.append(_Series(label, item.name, item.x, item.y))
    _add_series(fig, series, align, log=False, row=None)
    if left_out:
        fig.add_annotation(
            text="Not shown:\n" + "\n".join(left_out),
            xref="paper",
            yref="paper",
            x=1.0,
            y=1.0,
            xanchor="right",
            yanchor="bottom",
            showarrow=False,
            align="right",
            font={"size": 11},
        )
    fig.update_layout(
        template=template,
        xaxis_title=align,
        yaxis_title=metric,
        uirevision=f"deepfix-compare:{align}:{metric}",
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
    )
    return fig


def findings_matrix(
    results: Mapping[str, AnalysisResult], *, template: str | None = "plotly_white"
) -> Figure:
    """Heatmap of runs (rows) x problem codes that occur (columns): the highest severity.

    Cells are 0 (none), 1 (low), 2 (medium), 3 (high); hovering lists the findings' descriptions.
    Findings without a code are in the column "other".
    """
    import plotly.graph_objects as go

    from deepfix_notebook.contract import ProblemCode

    per_run: dict[str, dict[str, tuple[int, list[str]]]] = {}
    for run, result in results.items():
        cells: dict[str, tuple[int, list[str]]] = {}
        for _, analysis in result.findings():
            finding = analysis.findings
            code = finding.code.value if finding.code is not None else "other"
            level, texts = cells.get(code, (0, []))
            if finding.description not in texts:
                texts.append(finding.description)
            cells[code] = (max(level, SEVERITY_LEVELS[finding.severity.value]), texts)
        per_run[str(run)] = cells
    present = {code for cells in per_run.values() for code in cells}
    codes: list[str] = [code.value for code in ProblemCode if code.value in present]
    codes += ["other"] if "other" in present else []
    runs = list(per_run)

    fig = go.Figure()
    if codes and runs:
        z = [[per_run[run].get(code, (0, []))[0] for code in codes] for run in runs]
        text = [[_hover_list(per_run[run].get(code, (0, []))[1]) for code in codes] for run in runs]
        labels = ["none", "low", "medium", "high"]
        custom = [[labels[level] for level in row] for row in z]
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=codes,
                y=runs,
                text=text,
                customdata=custom,
                zmin=-0.5,
                zmax=3.5,
                colorscale=_severity_colorscale(),
                colorbar={"tickvals": [0, 1, 2, 3], "ticktext": labels, "title": "severity"},
                hovertemplate="%{y}<br>%{x}: %{customdata}<br>%{text}<extra></extra>",
                xgap=2,
                ygap=2,
            )
        )
    else:
        fig.add_annotation(text="No findings", showarrow=False, xref="paper", yref="paper")
    fig.update_layout(
        template=template,
        xaxis={"type": "category", "tickangle": -30},
        yaxis={"type": "category", "autorange": "reversed"},
        height=max(220, 120 + 32 * len(runs)),
        margin={"l": 120, "r": 20, "t": 20, "b": 100},
        uirevision="deepfix-findings-matrix",
    )
    return fig


def figure_size_bytes(fig: Figure) -> int:
    """Size of the figure's JSON (what a saved notebook stores), in bytes."""
    return len(fig.to_json().encode("utf-8"))


# --------------------------------------------------------------------------- series


@dataclass(frozen=True)
class _Series:
    label: str  # the legend name
    name: str  # the canonical metric name, used as legend group
    x: npt.NDArray[Any]
    y: npt.NDArray[np.float64]


def _panels(table: MetricsTable) -> list[_Panel]:
    names = [name for name in table.names if len(table.metrics[name]) > 0]
    losses = [
        n
        for n in names
        if n in LOSS_METRICS or (n not in _KNOWN and table.display_name(n).lower().endswith("loss"))
    ]
    scores = [n for n in names if n in SCORE_METRICS]
    errors = [n for n in names if n in ERROR_METRICS]
    optimisation = [n for n in names if n in OPTIMISATION_METRICS]
    score_title = " / ".join(
        t for t, present in (("score", scores), ("error (mae/mse/rmse)", errors)) if present
    )
    panels = [
        _Panel("loss", "loss", tuple(losses)),
        _Panel("score", score_title, tuple(scores + errors)),
        _Panel("optimisation", "lr / grad norm (log)", tuple(optimisation), log=True),
    ]
    return [panel for panel in panels if panel.metrics]


def _series(table: MetricsTable, name: str, xs_all: npt.NDArray[Any], n_out: int) -> _Series:
    metric = table.metrics[name]
    xs = xs_all if metric.rows is None else xs_all[metric.rows]
    x_out, y_out = downsample(xs, metric.values, n_out, max_nonfinite=n_out)
    return _Series(table.display_name(name), name, x_out, y_out)


def _add_series(
    fig: Figure, series: Sequence[_Series], axis: str, *, log: bool, row: int | None
) -> None:
    import plotly.graph_objects as go

    where = {} if row is None else {"row": row, "col": 1}
    for item in series:
        finite = np.isfinite(item.y)
        fig.add_trace(
            go.Scatter(
                x=item.x,
                y=np.where(finite, item.y, np.nan),
                name=item.label,
                legendgroup=item.label,
                mode="lines" if finite.sum() > 1 else "lines+markers",
            ),
            **where,
        )
    top = _marker_height((s.y for s in series), log=log)
    for item in series:
        bad = ~np.isfinite(item.y)
        if not bad.any():
            continue
        xs, ys = item.x[bad], item.y[bad]
        pairs = zip(xs.tolist(), ys.tolist(), strict=True)
        text = [f"{_kind(value)} at {axis} {_format_x(at)}" for at, value in pairs]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=np.full(xs.shape[0], top),
                name=f"{item.label} (NaN/Inf)",
                legendgroup=item.label,
                showlegend=False,
                mode="markers",
                marker={"symbol": "x", "color": NONFINITE_COLOR, "size": 8},
                hovertext=text,
                hoverinfo="text+name",
            ),
            **where,
        )


def _marker_height(values: Iterable[npt.NDArray[np.float64]], *, log: bool) -> float:
    """A y just above the panel's finite data: where NaN/Inf markers go."""
    finite = [v[np.isfinite(v) & ((v > 0) if log else True)] for v in values]
    data = np.concatenate(finite) if finite else np.empty(0)
    if data.shape[0] == 0:
        return 1.0 if log else 0.0
    low, high = float(data.min()), float(data.max())
    if log:
        decades = np.log10(high / low) if high > low else 1.0
        return float(high * 10 ** (MARKER_HEADROOM * decades))
    return high + MARKER_HEADROOM * ((high - low) or abs(high) or 1.0)


def _kind(value: float) -> str:
    if np.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def _format_x(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _resolve(table: MetricsTable, name: str) -> str | None:
    """The table's metric for ``name``: canonical name first, then a logged (source) name."""
    if name in table.metrics and len(table.metrics[name]) > 0:
        return name
    return next((n for n, m in table.metrics.items() if m.source_name == name and len(m) > 0), None)


# --------------------------------------------------------------------------- x axis


def _epoch_axis(table: MetricsTable) -> npt.NDArray[np.float64] | None:
    """Epoch per step, interpolated on steps where no epoch was logged; None without epochs."""
    if table.epoch is None:
        return None
    known = ~np.isnan(table.epoch)
    if not known.any():
        return None
    if known.all():
        return table.epoch
    step = table.step.astype(np.float64)
    return np.interp(step, step[known], table.epoch[known])


def _choose_axis(
    table: MetricsTable, x: Literal["step", "epoch", "auto"], findings: Sequence[Finding]
) -> XAxis:
    epochs = _epoch_axis(table)
    if x == "step":
        return "step"
    if x == "epoch":
        if epochs is None:
            raise ValueError("the table has no epoch column; use x='step'")
        return "epoch"
    if x != "auto":
        raise ValueError(f"x must be 'step', 'epoch' or 'auto', got {x!r}")
    if epochs is None or table.epoch is None:
        return "step"
    logged = table.epoch[~np.isnan(table.epoch)]
    distinct = bool(np.all(np.diff(logged) > 0))
    if distinct and all(f.epoch_range is not None for f in findings):
        return "epoch"
    return "step"


def _span(xs: npt.NDArray[Any]) -> float:
    return float(xs[-1] - xs[0]) if xs.shape[0] else 0.0


def _finding_bounds(
    finding: Finding,
    axis: XAxis,
    step: npt.NDArray[np.int64],
    epochs: npt.NDArray[np.float64] | None,
    span: float,
) -> tuple[float, float] | None:
    """The finding's [x0, x1] on ``axis``, widened to stay visible; None when not placeable.

    A finding with only the other axis's range is mapped through the table's (step, epoch)
    pairs, when ``epochs`` is given (non-decreasing).
    """
    bounds: tuple[float, float] | None = None
    if axis == "step" and finding.step_range is not None:
        bounds = (float(finding.step_range[0]), float(finding.step_range[1]))
    elif axis == "epoch" and finding.epoch_range is not None:
        bounds = (float(finding.epoch_range[0]), float(finding.epoch_range[1]))
    elif epochs is not None and step.shape[0]:
        if axis == "epoch" and finding.step_range is not None:
            pair = np.interp(np.asarray(finding.step_range, dtype=np.float64), step, epochs)
            bounds = (float(pair[0]), float(pair[1]))
        elif axis == "step" and finding.epoch_range is not None:
            first = int(np.searchsorted(epochs, finding.epoch_range[0], side="left"))
            last = int(np.searchsorted(epochs, finding.epoch_range[1], side="right")) - 1
            first, last = min(first, step.shape[0] - 1), max(last, 0)
            bounds = (float(step[first]), float(step[max(first, last)]))
    if bounds is None:
        return None
    low, high = bounds
    width = MIN_REGION_FRACTION * span if span > 0 else 1.0
    if high - low < width:
        middle = (low + high) / 2
        low, high = middle - width / 2, middle + width / 2
    return low, high


# --------------------------------------------------------------------------- regions

LABEL_LANE_PX = 14  # vertical offset between the labels of overlapping regions


def _add_region(
    fig: Figure,
    finding: Finding,
    bounds: tuple[float, float],
    rows: list[int] | None,
    n_rows: int,
    index: int,
    lane: int = 0,
) -> None:
    color = SEVERITY_COLORS[finding.severity.value]
    label = finding.code.value if finding.code is not None else "finding"
    targets = rows if rows is not None else list(range(1, max(n_rows, 1) + 1))
    for number, row in enumerate(targets):
        annotation: dict[str, Any] = {}
        if number == 0:
            annotation = {
                "annotation_text": label,
                "annotation_position": "top left",
                "annotation_font_size": 10,
                "annotation_name": f"finding-{index}",
                "annotation_yshift": -LABEL_LANE_PX * lane,
            }
        fig.add_vrect(
            x0=bounds[0],
            x1=bounds[1],
            row=row,
            col=1,
            fillcolor=color,
            opacity=REGION_OPACITY,
            line_width=0,
            layer="below",
            name=f"finding-{index}",
            **annotation,
        )


def _highlight(fig: Figure, name: str) -> None:
    fig.update_shapes(
        {"opacity": HIGHLIGHT_OPACITY, "line": {"width": 2}},
        selector={"name": name},
    )
    fig.update_annotations({"font": {"size": 12}}, selector={"name": name})
    for shape in fig.layout.shapes:
        if shape.name == name:
            shape.line.color = shape.fillcolor


def _uirevision(table: MetricsTable, axis: str) -> str:
    """Stable across re-renders of one run (zoom is kept), different for another run."""
    first = int(table.step[0]) if len(table) else 0
    last = int(table.step[-1]) if len(table) else 0
    key = "\x1f".join([axis, str(first), str(last), str(len(table)), *table.names])
    return "deepfix-run:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- matrix


def _hover_list(descriptions: list[str]) -> str:
    """Descriptions one per line (Plotly turns newlines into line breaks)."""
    shown = [
        d if len(d) <= MAX_DESCRIPTION_CHARS else d[: MAX_DESCRIPTION_CHARS - 1] + "…"
        for d in descriptions[:MAX_HOVER_DESCRIPTIONS]
    ]
    more = len(descriptions) - len(shown)
    return "\n".join(shown + ([f"… and {more} more"] if more > 0 else []))


def _severity_colorscale() -> list[list[Any]]:
    colors = ["rgba(127,127,127,0.08)", *(SEVERITY_COLORS[s] for s in ("low", "medium", "high"))]
    scale: list[list[Any]] = []
    for level, color in enumerate(colors):  # one quarter per level, zmin/zmax = -0.5/3.5
        scale += [[level / 4, color], [(level + 1) / 4, color]]
    return scale
