"""The report's pure components (`deepfix_notebook.report._panels`), built from real results."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import pytest
from seeding import EXAMPLES, HOSTILE

import deepfix_notebook as dfx
from deepfix_notebook.artifacts import load_run, write_run
from deepfix_notebook.report import _panels as panels
from deepfix_notebook.views._html import parameters_html


@pytest.fixture(scope="module")
def overfitting() -> tuple[Any, Any]:
    bundle = load_run(EXAMPLES / "overfitting")
    return dfx.analyze(bundle), bundle


def _plotly(layout: Any) -> list[Any]:
    import panel as pn

    return list(layout.select(pn.pane.Plotly))


def _html(layout: Any) -> str:
    import panel as pn

    return "".join(str(obj.object) for obj in layout.select(pn.pane.HTML))


def test_health_badges_count_high_and_medium() -> None:
    html = panels.health_html("logged", {"high": 2, "medium": 1, "low": 5})
    assert "2 high" in html and "1 medium" in html and ">5 low" not in html
    assert "df-high" in html and "df-medium" in html
    assert "logged with the run" in html and "5 low-severity" in html  # the tooltip
    zero = panels.health_html("logged", {"high": 0, "medium": 0, "low": 0})
    assert zero.count("df-zero") == 2
    computed = panels.health_html("computed", {"high": 1, "medium": 0}, note="a <b>note</b>")
    assert 'class="df-computed"' in computed and "not saved to the run" in computed
    assert "a &lt;b&gt;note&lt;/b&gt;" in computed  # notes are escaped
    with pytest.raises(ValueError, match="counts"):
        panels.health_html("computed")


@pytest.mark.parametrize(
    ("state", "word", "tip"),
    [
        ("reading", "…", "Reading the run"),
        ("analysing", "analysing…", "nothing is written to the run"),
        ("not-analysed", "not analysed", "press Analyze on the Run page"),
        ("no-artifacts", "no artifacts", "Nothing DeepFix can analyse"),
        ("error", "error", "could not be read or analysed"),
    ],
)
def test_health_words_say_why_there_are_no_badges(state: Any, word: str, tip: str) -> None:
    html = panels.health_html(state, note='<img src=x onerror="1">')
    assert f">{word}</span>" in html and tip in html and "df-badge" not in html
    assert "<img" not in html


def test_health_legend_says_which_badges_were_computed() -> None:
    local = panels.health_legend_html(backend="local", computed=True)
    assert "logged with the run" in local and "computed for display" in local
    assert "Analyze on the Run page saves it" in local and "df-computed" in local
    remote = panels.health_legend_html(backend="http://server:8000", computed=False)
    assert "computed for display" not in remote and "not analysed" in remote
    assert "http://server:8000" in remote and "press Analyze" in remote
    exported = panels.health_legend_html(backend="local", computed=True, exported=True)
    assert "for this file" in exported and "Analyze" not in exported


def test_runs_table_is_paginated_remotely_with_html_health_only() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {"run": [HOSTILE], "health": [panels.health_html("not-analysed")]},
        index=pd.Index(["abc"], name="run_id"),
    )
    table = panels.runs_table(frame, page_size=25)
    assert table.pagination == "remote" and table.page_size == 25
    assert table.formatters == {"health": {"type": "html"}}  # names stay plain text
    frame["val_loss"] = [0.123456]
    formatted = panels.runs_formatters(frame)
    assert set(formatted) == {"health", "val_loss"} and formatted["val_loss"].format == "0.[0000]"
    assert table.selectable == "checkbox" and table.disabled
    static = panels.runs_table(frame, pagination="local", selectable=False)
    assert static.pagination == "local" and not static.selectable


def test_notice_and_header_escape_run_strings() -> None:
    pane = panels.notice(f"run {HOSTILE} failed", "error", title="<b>t</b>")
    assert "<img" not in pane.object and "&lt;img" in pane.object
    assert "&lt;b&gt;t&lt;/b&gt;" in pane.object and 'role="alert"' in pane.object
    header = panels.run_header_html(
        HOSTILE, "id<1>", experiment=HOSTILE, params={HOSTILE: HOSTILE}, source=HOSTILE
    )
    assert "<img" not in header and header.count("&lt;img") == 5
    assert "id&lt;1&gt;" in header


def test_artifacts_explain_what_is_missing(tmp_path: Path) -> None:
    unreadable = panels.artifacts_html("r1", None, "Run r1 has no DeepFix artifacts")
    assert unreadable is not None
    assert "cannot be read" in unreadable and "no DeepFix artifacts" in unreadable
    for missing in ("metrics.csv", "params.yaml", "metadata.yaml"):
        assert missing in unreadable
    assert 'run_id="r1"' in unescape(unreadable)  # the snippet to log them names the run

    assert panels.artifacts_html("r2", load_run(EXAMPLES / "quickstart")) is None

    only_metrics = load_run(write_run(tmp_path / "m", metrics={"train_loss": [3.0, 2.0, 1.0, 0.5]}))
    text = panels.artifacts_html("r3", only_metrics)
    assert text is not None
    assert "metrics.csv" not in text.split("Missing")[1].split("<dt>")[0]
    assert "params.yaml" in text and "metadata.yaml" in text
    assert "cannot be read" not in text
    assert "<img" not in (panels.artifacts_html(HOSTILE, None, HOSTILE) or "")


def test_analysis_panel_has_findings_beside_annotated_curves(overfitting: Any) -> None:
    result, bundle = overfitting
    layout = panels.analysis_panel(result, bundle.metrics)
    [curves] = _plotly(layout)
    figure = curves.object
    assert {trace.name for trace in figure.data} >= {"train_loss", "val_loss"}
    assert any(shape.name and shape.name.startswith("finding-") for shape in figure.layout.shapes)
    assert curves.height >= 3 * panels.PANEL_HEIGHT_PX  # loss, score, optimisation panels
    html = _html(layout)
    assert "overfitting" in html and "Plan" in html and "Findings" in html
    without_curves = panels.analysis_panel(result, None)
    assert _plotly(without_curves) == [] and "Findings" in _html(without_curves)
    named = _html(panels.analysis_panel(result, None, run_name=HOSTILE))
    assert f'title="{result.run_id}">&lt;img' in named  # by its name, escaped; id on hover


def test_comparison_panel_overlays_matrix_and_escaped_params(overfitting: Any) -> None:
    result, bundle = overfitting
    quick = load_run(EXAMPLES / "quickstart")
    layout = panels.comparison_panel(
        {"overfitting": result},
        {"overfitting": bundle.metrics, HOSTILE: quick.metrics},
        {"overfitting": {"lr": 0.1}, HOSTILE: {"lr": 0.2, "note": HOSTILE}},
        metric="val_loss",
    )
    overlay, matrix = _plotly(layout)
    assert [trace.name for trace in overlay.object.data] == ["overfitting", HOSTILE]
    assert list(matrix.object.data[0].y) == ["overfitting"]
    html = _html(layout)
    assert "Parameters that differ" in html and "<img" not in html and "&lt;img" in html


def test_parameters_html_lists_differing_keys_in_run_order() -> None:
    html = parameters_html({"b": {"lr": 0.1, "bs": 32}, "a": {"lr": 0.2, "bs": 32}})
    assert html.index("<code>b</code>") < html.index("<code>a</code>")
    assert "<code>lr</code>" in html and "<code>bs</code>" not in html
    assert "1 shared parameter(s) hidden" in html


def test_knowledge_pane_and_labels() -> None:
    response = dfx.ask("validation loss rises while training loss falls")
    pane = panels.knowledge_pane(response)
    assert "Knowledge for" in pane.object and response.results
    labels = panels.run_labels([("a" * 32, "same"), ("b" * 32, "same"), ("c" * 32, "other")])
    assert list(labels.values()) == ["a" * 32, "b" * 32, "c" * 32]
    assert len(set(labels)) == 3
