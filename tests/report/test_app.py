"""The report's pages (Panel components) over real stores and backends, without a browser."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from seeding import HOSTILE, Seeded

from deepfix_notebook.artifacts import load_mlflow_analysis
from deepfix_notebook.backends import LocalBackend, RemoteBackend
from deepfix_notebook.contract import JobStatus
from deepfix_notebook.report import RunStore
from deepfix_notebook.report._app import ReportApp
from deepfix_notebook.report._backend import AnalysisFailed, backend_problem, run_analysis


def _app(seeded: Seeded, backend: Any = None, **store: Any) -> ReportApp:
    backend = backend or LocalBackend(tracking_uri=seeded.uri)
    return ReportApp(RunStore(seeded.uri, seeded.experiment, **store), backend)


def _text(layout: Any) -> str:
    """Every HTML fragment shown under ``layout``."""
    import panel as pn

    return "".join(str(pane.object) for pane in layout.select(pn.pane.HTML))


def _plots(layout: Any) -> list[Any]:
    import panel as pn

    return list(layout.select(pn.pane.Plotly))


def test_overview_lists_runs_and_fills_health_of_the_shown_page(seeded: Seeded) -> None:
    app = _app(seeded)
    frame = app.overview.table.value
    assert list(frame["run"])[-4:] == ["lightning_style", "diverging", "overfitting", "quickstart"]
    assert HOSTILE in list(frame["run"])  # plain text: the table escapes it
    assert all("df-reading" in cell for cell in frame["health"])  # not read yet: pending
    assert "6 run(s)" in app.overview.count.object
    formatters = app.overview.table.formatters  # set for the columns shown, not the empty frame
    assert set(formatters) == {"health", "val_loss", "val_accuracy", "train_loss"}
    assert frame["run"].dtype == object
    asyncio.run(app.overview.fill_health())
    health = app.overview.table.value["health"]
    assert 'class="df-logged"' in health[seeded.ids["overfitting"]]  # its logged analysis
    assert "df-high" in health[seeded.ids["overfitting"]]
    # The local engine analysed the others for display, and wrote nothing to them.
    assert 'class="df-computed"' in health[seeded.ids["diverging"]]
    assert "df-high" in health[seeded.ids["diverging"]]
    assert 'class="df-computed"' in health[seeded.ids["quickstart"]]
    assert "no artifacts" in health[seeded.ids["no-artifacts"]]
    assert load_mlflow_analysis(seeded.ids["diverging"], seeded.uri) is None
    assert "computed for display" in str(app.overview.legend.object)


def test_search_and_filters(seeded: Seeded) -> None:
    overview = _app(seeded).overview
    overview.search.value_input = "OVERFIT"
    assert list(overview.table.value["run"]) == ["overfitting"]
    overview.search.value_input = "note=<img"  # parameters are searched too
    assert list(overview.table.value["run"]) == [HOSTILE]
    overview.search.value_input = ""
    overview.status.value = "RUNNING"
    assert overview.table.value.empty and not overview.table.visible
    assert "No run matches" in _text(overview.empty)
    overview.status.value = "FINISHED"
    assert len(overview.table.value) == 6
    assert "6 run(s)" in overview.count.object and "shown of" not in overview.count.object


def test_selecting_runs_enables_compare(seeded: Seeded) -> None:
    app = _app(seeded)
    assert app.overview.compare_button.disabled
    app.overview.table.selection = [0, 1]
    assert not app.overview.compare_button.disabled
    assert app.overview.compare_button.label == "Compare selected (2)"
    expected = [str(i) for i in app.overview.table.value.index[:2]]
    assert app.overview.selected_ids() == expected
    asyncio.run(app.overview._compare())
    assert app.tabs.active == 2 and app.compare.picker.value == expected


def test_empty_store_says_how_to_log_a_run(make_sqlite_store: Callable[[str], Any]) -> None:
    empty = make_sqlite_store("empty")
    app = ReportApp(RunStore(empty.uri, empty.experiment), LocalBackend(tracking_uri=empty.uri))
    assert not app.overview.table.visible
    text = _text(app.overview.empty)
    assert "No runs yet" in text and "deepfix_notebook.track" in text and "Refresh" in text


def test_unreachable_store_is_a_banner_with_retry(refused_uri: str) -> None:
    app = ReportApp(RunStore(refused_uri), LocalBackend())
    assert app.notices.topics == ["store"]
    assert "Cannot reach the MLflow tracking store" in (app.notices.text("store") or "")
    asyncio.run(app.overview.refresh())  # still down: still one banner
    assert app.notices.topics == ["store"]


@pytest.mark.slow
def test_500_runs_paginate_and_read_only_the_shown_page(many: Seeded) -> None:
    app = _app(many)
    table = app.overview.table
    assert len(table.value) == 500 and table.pagination == "remote" and table.page_size == 25
    asyncio.run(app.overview.fill_health())
    known = [run for run in app.overview.runs if app.store.health(run) is not None]
    assert [run.run_id for run in known] == list(table.value.index[:25])
    table.page = 3
    ids = app.overview.visible_ids()
    assert ids == [str(i) for i in table.value.index[50:75]]


def test_run_page_shows_a_logged_analysis_and_its_curves(seeded: Seeded) -> None:
    app = _app(seeded)
    asyncio.run(app.open_run(seeded.ids["overfitting"]))
    assert app.tabs.active == 1
    assert app.run.analyze_button.label == "Re-analyze" and not app.run.analyze_button.disabled
    [curves] = _plots(app.run.body)
    assert any(shape.name for shape in curves.object.layout.shapes)  # finding regions
    text = _text(app.run.body)
    assert "DeepFix analysis of" in text and "Plan" in text
    assert "logged with the run" in app.run.header.object
    assert app.run.picker.value == seeded.ids["overfitting"]


def test_run_without_artifacts_explains_what_to_log(seeded: Seeded) -> None:
    app = _app(seeded)
    asyncio.run(app.open_run(seeded.ids["no-artifacts"]))
    text = _text(app.run.body)
    assert "cannot be read" in text and "training_artifacts/metrics.csv" in text
    assert app.run.analyze_button.disabled


def test_hostile_run_is_escaped_everywhere_it_is_html(seeded: Seeded) -> None:
    app = _app(seeded)
    asyncio.run(app.open_run(seeded.ids["hostile"]))
    shown = app.run.header.object + _text(app.run.body)
    assert "<img" not in shown and "<script" not in shown
    assert "&lt;img" in app.run.header.object


def test_analyze_reports_progress_shows_and_saves_the_result(fresh_seeded: Seeded) -> None:
    app = _app(fresh_seeded)
    run_id = fresh_seeded.ids["quickstart"]
    asyncio.run(app.open_run(run_id))
    assert app.run.analyze_button.label == "Analyze"
    assert "Not analysed yet" in _text(app.run.body) and len(_plots(app.run.body)) == 1
    asyncio.run(app.run.analyze())
    assert app.notices.topics == []
    assert app.run.analyze_button.label == "Re-analyze" and not app.run.progress.visible
    assert "DeepFix analysis of" in _text(app.run.body)
    saved = RunStore(fresh_seeded.uri).details(run_id)  # written back to MLflow
    assert saved.analysis_source == "logged" and saved.analysis is not None
    summary = app.store.summary(run_id)
    assert summary is not None
    health = app.store.health(summary)
    assert health is not None and health.state == "logged" and health.counts == saved.counts


def test_run_analysis_polls_the_backend_status(seeded: Seeded) -> None:
    backend = LocalBackend(tracking_uri=seeded.uri)
    seen: list[JobStatus] = []
    result = asyncio.run(run_analysis(backend, seeded.ids["diverging"], seen.append, poll=0.01))
    assert result.run_id == seeded.ids["diverging"]
    assert seen and seen[-1].progress == 1.0
    with pytest.raises(AnalysisFailed, match="no DeepFix artifacts"):
        asyncio.run(run_analysis(backend, seeded.ids["no-artifacts"], seen.append, poll=0.01))


def test_backend_down_is_a_banner_and_analyze_says_why(seeded: Seeded, refused_uri: str) -> None:
    backend = RemoteBackend(refused_uri, tracking_uri=seeded.uri, offline="strict")
    assert backend_problem(backend) is not None
    app = _app(seeded, backend)
    asyncio.run(app.check_backend())
    banner = app.notices.text("backend") or ""
    assert "not reachable" in banner and refused_uri in banner
    assert "Analyses already logged" in banner
    asyncio.run(app.open_run(seeded.ids["overfitting"]))  # the logged analysis still shows
    assert "DeepFix analysis of" in _text(app.run.body)
    asyncio.run(app.run.analyze())
    assert "analysis" in app.notices.topics and not app.run.analyze_button.disabled
    assert "failed" in (app.notices.text("analysis") or "")


def test_compare_overlays_runs_with_matrix_and_parameters(seeded: Seeded) -> None:
    app = _app(seeded)
    ids = [seeded.ids[name] for name in ("overfitting", "quickstart", "hostile", "no-artifacts")]
    asyncio.run(app.open_compare(ids))
    overlay, matrix = _plots(app.compare.body)
    assert {trace.name for trace in overlay.object.data} >= {"overfitting", "quickstart", HOSTILE}
    assert list(matrix.object.data[0].y) == ["overfitting"]
    text = _text(app.compare.body)
    assert (
        "Not analysed yet" in text and "Not readable" in text and "Parameters that differ" in text
    )
    assert "<img" not in text
    app.compare.metric.value = "train_loss"  # re-rendered from what was read
    assert _plots(app.compare.body)[0].object.layout.yaxis.title.text == "train_loss"
    asyncio.run(app.compare.compare([ids[0]]))
    assert "at least two" in _text(app.compare.body) or "between two" in _text(app.compare.body)


def test_knowledge_search(seeded: Seeded) -> None:
    app = _app(seeded)
    app.knowledge.query.value_input = "learning rate too high, loss explodes"
    asyncio.run(app.knowledge.search())
    assert "Knowledge for" in _text(app.knowledge.body)
    app.knowledge.query.value_input = "  "
    asyncio.run(app.knowledge.search())
    assert "query" in _text(app.knowledge.body)


def test_url_arguments_open_a_run_or_a_page(seeded: Seeded) -> None:
    app = _app(seeded)
    asyncio.run(app.start({"page": "knowledge"}))
    assert app.tabs.active == 3
    asyncio.run(app.start({"run": seeded.ids["diverging"]}))
    assert app.tabs.active == 1 and app.run.run_id == seeded.ids["diverging"]
