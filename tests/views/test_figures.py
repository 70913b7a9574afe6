"""Plotly figures of a real table and a real engine result: panels, regions, markers, size."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from deepfix_notebook.artifacts import MetricsTable, bundle_from_memory
from deepfix_notebook.contract import AnalysisResult, Finding, Severity
from deepfix_notebook.engine import Engine
from deepfix_notebook.views.figures import (
    HIGHLIGHT_OPACITY,
    NONFINITE_COLOR,
    REGION_OPACITY,
    SEVERITY_COLORS,
    comparison_figure,
    figure_size_bytes,
    findings_matrix,
    ranged_findings,
    run_figure,
)

pytest.importorskip("plotly")

HOSTILE = "<img src=x onerror=alert(1)>"
N_EPOCHS = 40
STEPS_PER_EPOCH = 100


def broken_run(**extra: list[Any]) -> dict[str, list[Any]]:
    """40 epochs: val loss rises from epoch 16 (overfitting), train loss NaN then Inf at 30-31."""
    e = np.arange(N_EPOCHS)
    train = [float(0.85**i) for i in e]
    train[30], train[31] = float("nan"), float("inf")
    return {
        "step": [int(i) * STEPS_PER_EPOCH for i in e],
        "epoch": [float(i) for i in e],
        "loss": train,
        "val_loss": [float(0.9**i + (0.02 * (i - 15) ** 1.5 if i > 15 else 0)) for i in e],
        "val_acc": [0.5 + 0.01 * float(i) for i in e],
        "lr": [1e-3] * N_EPOCHS,
        "grad_norm": [1.0 + float(i) for i in e],
        **extra,
    }


def analysed(columns: dict[str, Any], run_id: str = "run") -> tuple[MetricsTable, AnalysisResult]:
    bundle = bundle_from_memory(columns, params={"learning_rate": 0.1}, run_id=run_id)
    assert bundle.metrics is not None
    return bundle.metrics, Engine().analyze(bundle)


@pytest.fixture(scope="module")
def run() -> tuple[MetricsTable, AnalysisResult]:
    return analysed(broken_run())


def shapes(fig: Any) -> list[Any]:
    return list(fig.layout.shapes)


def line_traces(fig: Any) -> list[Any]:
    return [t for t in fig.data if t.mode != "markers"]


def marker_traces(fig: Any) -> list[Any]:
    return [t for t in fig.data if t.mode == "markers"]


# --------------------------------------------------------------------------- run_figure


def test_panels_and_legend_names(run: tuple[MetricsTable, AnalysisResult]) -> None:
    table, result = run
    fig = run_figure(table, result)
    by_axis = {t.name: t.yaxis for t in line_traces(fig)}
    # Legend names are the names the run logged, not the canonical ones.
    assert by_axis == {"loss": "y", "val_loss": "y", "val_acc": "y2", "lr": "y3", "grad_norm": "y3"}
    assert fig.layout.yaxis3.type == "log"
    assert fig.layout.yaxis.type != "log"
    assert fig.layout.template.layout.paper_bgcolor == "white"  # plotly_white
    assert fig.layout.uirevision
    assert not fig.layout.title.text


def test_only_panels_with_data() -> None:
    columns = {"epoch": [float(i) for i in range(12)], "loss": [1.0 / (i + 1) for i in range(12)]}
    table, _ = MetricsTable.from_columns(columns)
    fig = run_figure(table)
    assert [t.name for t in fig.data] == ["loss"]
    assert "yaxis2" not in fig.layout


def test_regression_metrics_share_the_score_panel() -> None:
    n = 12
    columns = {
        "epoch": [float(i) for i in range(n)],
        "loss": [1.0 / (i + 1) for i in range(n)],
        "val_mae": [2.0 / (i + 1) for i in range(n)],
        "val_accuracy": [0.1 * (i % 10) for i in range(n)],
        "my_custom_loss": [0.5] * n,
        "perplexity": [3.0] * n,  # unknown and not a loss: not drawn
    }
    table, _ = MetricsTable.from_columns(columns)
    fig = run_figure(table)
    by_axis = {t.name: t.yaxis for t in fig.data}
    assert by_axis == {"loss": "y", "my_custom_loss": "y", "val_accuracy": "y2", "val_mae": "y2"}
    assert "mae" in fig.layout.yaxis2.title.text


def test_every_series_is_downsampled() -> None:
    n = 200_000
    columns = {"step": np.arange(n), "train_loss": np.exp(-np.arange(n) / 5e4) + 0.1}
    table, _ = MetricsTable.from_columns(columns)
    fig = run_figure(table, max_points=300)
    (trace,) = fig.data
    assert len(trace.x) <= 300
    assert fig.layout.xaxis.title.text == "step"


def test_a_region_per_finding_on_its_metrics_panel(
    run: tuple[MetricsTable, AnalysisResult],
) -> None:
    table, result = run
    regions = ranged_findings(result)
    assert {f.code.value for _, f in regions if f.code} >= {"nan_loss", "overfitting"}
    fig = run_figure(table, result, x="step")
    drawn = {s.name: s for s in shapes(fig)}
    distinct = {(f.code, f.metric, f.step_range) for _, f in regions}
    assert len(drawn) == len(distinct)  # restatements (the advisor's) share one region
    for index, (_, finding) in enumerate(regions):
        shape = drawn.get(f"finding-{index}")
        if shape is None:
            continue
        assert finding.step_range is not None
        assert (shape.x0, shape.x1) == finding.step_range
        assert shape.fillcolor == SEVERITY_COLORS[finding.severity.value]
        assert shape.opacity == REGION_OPACITY
        # train_loss and val_loss both live in the first panel.
        assert shape.yref == "y domain"
    labels = {a.text for a in fig.layout.annotations}
    assert {"nan_loss", "overfitting"} <= labels


def test_regions_follow_the_epoch_axis(run: tuple[MetricsTable, AnalysisResult]) -> None:
    table, result = run
    fig = run_figure(table, result)  # auto: epochs tell rows apart and every region has one
    assert fig.layout.xaxis3.title.text == "epoch"
    for index, (_, finding) in enumerate(ranged_findings(result)):
        for shape in shapes(fig):
            if shape.name == f"finding-{index}":
                assert (shape.x0, shape.x1) == finding.epoch_range


def test_unknown_metric_and_severity_colours(run: tuple[MetricsTable, AnalysisResult]) -> None:
    table, result = run
    first = next(i for i, (_, f) in enumerate(ranged_findings(result)) if f.code is not None)
    medium = result.model_copy(deep=True)
    finding = _ranged(medium)[first]
    finding.metric = None
    finding.severity = Severity.MEDIUM
    fig = run_figure(table, medium, x="step")
    mine = [s for s in shapes(fig) if s.name == f"finding-{first}"]
    assert sorted(s.yref for s in mine) == ["y domain", "y2 domain", "y3 domain"]
    assert {s.fillcolor for s in mine} == {SEVERITY_COLORS["medium"]}
    # the code is written once, not on every panel
    assert [a.text for a in fig.layout.annotations if a.name == f"finding-{first}"] == [
        finding.code.value if finding.code else "finding"
    ]


def test_highlight_makes_one_region_stronger(run: tuple[MetricsTable, AnalysisResult]) -> None:
    table, result = run
    regions = ranged_findings(result)
    original = next(i for i, (_, f) in enumerate(regions) if f.code == "overfitting")
    assert len(regions) >= 2
    plain = run_figure(table, result)
    fig = run_figure(table, result, highlight=original)
    opacity = {s.name: s.opacity for s in shapes(fig)}
    assert opacity[f"finding-{original}"] == HIGHLIGHT_OPACITY
    assert all(o == REGION_OPACITY for n, o in opacity.items() if n != f"finding-{original}")
    assert fig.layout.uirevision == plain.layout.uirevision  # zoom survives the re-render
    with pytest.raises(IndexError):
        run_figure(table, result, highlight=len(regions))


def test_nonfinite_points_are_red_x_markers_on_top(
    run: tuple[MetricsTable, AnalysisResult],
) -> None:
    table, result = run
    fig = run_figure(table, result, x="step")
    (markers,) = marker_traces(fig)
    assert markers.marker.symbol == "x"
    assert markers.marker.color == NONFINITE_COLOR
    assert list(markers.x) == [3000, 3100]
    assert list(markers.hovertext) == ["NaN at step 3000", "+Inf at step 3100"]
    assert markers.yaxis == "y"
    losses = [t for t in line_traces(fig) if t.yaxis == "y"]
    top = max(np.nanmax(np.asarray(t.y, dtype=float)) for t in losses)
    assert min(markers.y) > top
    loss = next(t for t in line_traces(fig) if t.name == "loss")
    assert np.isnan(np.asarray(loss.y, dtype=float)[[30, 31]]).all()  # a gap in the line


def test_epoch_axis_needs_epochs() -> None:
    table, _ = MetricsTable.from_columns({"step": list(range(12)), "loss": [1.0] * 12})
    assert run_figure(table).layout.xaxis.title.text == "step"
    with pytest.raises(ValueError, match="epoch"):
        run_figure(table, x="epoch")


def test_a_million_step_run_stays_under_a_megabyte() -> None:
    n = 1_000_000
    rng = np.random.default_rng(0)
    step = np.arange(n)
    loss = list(2 * np.exp(-step / 2e5) + 0.05 * rng.standard_normal(n))
    loss[700_000:] = [float("nan")] * (n - 700_000)  # diverged: 300 000 NaN
    val: list[float | None] = [None] * n
    val[::1000] = [float(2 * np.exp(-i / 2e5) + 0.1) for i in range(0, n, 1000)]
    columns = {
        "step": step,
        "epoch": step / 10_000,
        "train_loss": loss,
        "val_loss": val,
        "train_accuracy": np.linspace(0.1, 0.9, n),
        "learning_rate": np.full(n, 1e-3),
        "grad_norm": np.abs(rng.standard_normal(n)) + 1,
    }
    table, result = analysed(columns)
    fig = run_figure(table, result)
    size = figure_size_bytes(fig)
    assert size < 1_000_000, size
    assert all(len(t.x) <= 1010 for t in fig.data)
    assert shapes(fig)  # the NaN finding is drawn


def test_hostile_names_survive_as_data() -> None:
    name = f"{HOSTILE}_loss"
    columns = broken_run(**{name: [0.5] * N_EPOCHS})
    table, result = analysed(columns)
    fig = run_figure(table, result)
    data = json.loads(fig.to_json())
    assert name in [t.get("name") for t in data["data"]]
    text = json.dumps(data["layout"])
    assert "<img" not in text  # nothing from the artifacts was put into layout markup

    comparison = comparison_figure({HOSTILE: table}, metric="val_loss")
    assert [t.name for t in comparison.data] == [HOSTILE]
    matrix = findings_matrix({HOSTILE: result})
    assert list(matrix.data[0].y) == [HOSTILE]


def test_figure_size_bytes(run: tuple[MetricsTable, AnalysisResult]) -> None:
    fig = run_figure(*run)
    assert figure_size_bytes(fig) == len(fig.to_json().encode("utf-8"))


# --------------------------------------------------------------------------- comparison


def test_comparison_aligns_by_epoch_and_marks_fallbacks() -> None:
    e = list(range(15))
    fast = {"step": [i * 100 for i in e], "epoch": [float(i) for i in e]}
    slow = {"step": [i * 37 for i in e], "epoch": [float(i) for i in e]}
    a, _ = MetricsTable.from_columns({**fast, "loss": [1.0] * 15, "val_loss": [2.0] * 15})
    b, _ = MetricsTable.from_columns({**slow, "train_loss": [1.5] * 15})
    c, _ = MetricsTable.from_columns({"step": e, "train_loss": [1.0] * 15})  # no epochs

    fig = comparison_figure({"a": a, "b": b, "c": c}, metric="val_loss", align="epoch")
    names = [t.name for t in fig.data]
    assert names == ["a", "b: train_loss (fallback)"]
    np.testing.assert_array_equal(fig.data[0].x, fig.data[1].x)
    np.testing.assert_array_equal(fig.data[0].x, np.arange(15.0))
    assert fig.layout.xaxis.title.text == "epoch"
    assert "c (no epochs)" in fig.layout.annotations[0].text

    by_step = comparison_figure({"a": a, "b": b}, align="step")
    assert list(by_step.data[0].x) != list(by_step.data[1].x)
    assert not by_step.layout.annotations


def test_comparison_accepts_logged_names() -> None:
    a, _ = MetricsTable.from_columns({"step": list(range(12)), "eval_loss": [1.0] * 12,
                                      "loss": [2.0] * 12})  # fmt: skip
    fig = comparison_figure({"a": a}, metric="eval_loss")
    assert [t.name for t in fig.data] == ["a"]
    np.testing.assert_array_equal(fig.data[0].y, [1.0] * 12)


# --------------------------------------------------------------------------- matrix


def test_findings_matrix_holds_the_highest_severity(
    run: tuple[MetricsTable, AnalysisResult],
) -> None:
    _, broken = run
    healthy_columns = {
        "epoch": [float(i) for i in range(30)],
        "train_loss": [2.0 * 0.9**i for i in range(30)],
        "val_loss": [2.1 * 0.9**i + 0.01 for i in range(30)],
    }
    _, healthy = analysed(healthy_columns)
    fig = findings_matrix({"broken": broken, "healthy": healthy})
    (heatmap,) = fig.data
    assert list(heatmap.y) == ["broken", "healthy"]
    levels = {"low": 1, "medium": 2, "high": 3}
    for row, result in zip(heatmap.z, (broken, healthy), strict=True):
        expected = dict.fromkeys(heatmap.x, 0)
        for _, analysis in result.findings():
            f = analysis.findings
            code = f.code.value if f.code else "other"
            expected[code] = max(expected[code], levels[f.severity.value])
        assert list(row) == [expected[code] for code in heatmap.x]
    assert {"nan_loss", "overfitting"} <= set(heatmap.x)
    assert fig.layout.xaxis.type == "category" and fig.layout.yaxis.type == "category"
    nan_column = list(heatmap.x).index("nan_loss")
    assert "NaN" in heatmap.text[0][nan_column]
    assert heatmap.zmin == -0.5 and heatmap.zmax == 3.5


def test_findings_matrix_without_findings() -> None:
    fig = findings_matrix({})
    assert not fig.data
    assert fig.layout.annotations[0].text == "No findings"


# --------------------------------------------------------------------------- imports


def test_importing_views_loads_no_plotly() -> None:
    code = (
        "import sys\n"
        "import deepfix_notebook.views, deepfix_notebook.views.figures\n"
        "import deepfix_notebook.views._downsample\n"
        "heavy = [m for m in ('plotly', 'tsdownsample', 'panel') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- helpers


def _ranged(result: AnalysisResult) -> list[Finding]:
    return [f for _, f in ranged_findings(result)]
