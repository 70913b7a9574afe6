"""`%deepfix runs`' table: name, status, start, duration, health, key params, Analyze."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from deepfix_notebook.artifacts._mlflow_runs import RunSummary
from deepfix_notebook.notebook import _widget
from deepfix_notebook.notebook._runs import MIME_RUNS, RunsView, key_params
from deepfix_notebook.notebook._widget import RunsWidget

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

START = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)


def _run(run_id: str, name: str, **kwargs: object) -> RunSummary:
    values: dict[str, object] = {
        "run_id": run_id,
        "run_name": name,
        "experiment": "e",
        "status": "FINISHED",
        "start_time": START,
        "metrics": {"val_loss": 0.25, "train_loss": 0.2},
        "params": {"learning_rate": "0.001", "batch_size": "32", "seed": "1"},
        "end_time": START + timedelta(minutes=3, seconds=7),
    }
    values.update(kwargs)
    return RunSummary(**values)  # type: ignore[arg-type]


RUNS = [
    _run("a" * 32, "baseline"),
    _run(
        "b" * 32,
        "<lr-1>",
        metrics={"train_loss": float("nan")},
        params={"learning_rate": "1.0", "batch_size": "32", "seed": "1"},
        status="RUNNING",
        end_time=None,
    ),
]


def test_the_table_names_runs_and_shows_status_start_duration_health_and_params() -> None:
    html = RunsView(RUNS).html()
    assert 'title="run id ' + "a" * 32 + '">baseline<br>' in html
    assert "&lt;lr-1&gt;" in html and "<lr-1>" not in html
    assert "2026-12-07 21:00" in html and "3 min 07 s" in html and "running" in html
    assert "val_loss=0.25, train_loss=0.2" in html
    assert '<td class="df-bad">train_loss is nan</td>' in html  # a broken run stands out
    assert "learning_rate=1.0" in html and "seed=" not in html  # only the params that differ
    assert f"<code>%deepfix analyze {'b' * 32}</code>" in html
    assert "baseline" in RunsView(RUNS).text()


def test_key_params_prefer_differing_known_ones() -> None:
    assert key_params(RUNS) == ["learning_rate"]
    assert key_params(RUNS[:1]) == ["learning_rate", "batch_size", "seed"]


def test_the_payload_carries_what_each_column_shows_and_sorts_by() -> None:
    payload = RunsView(RUNS).payload()
    assert payload["key_params"] == ["learning_rate"]
    baseline, broken = payload["runs"]
    assert baseline["run_name"] == "baseline" and baseline["run_id"] == "a" * 32
    assert baseline["start"] == START.isoformat() and baseline["start_text"] == "2026-12-07 21:00"
    assert baseline["duration_s"] == 187 and baseline["duration_text"] == "3 min 07 s"
    assert baseline["health"] == "val_loss=0.25, train_loss=0.2" and not baseline["broken"]
    assert baseline["params"] == {"learning_rate": "0.001"}
    assert broken["run_name"] == "<lr-1>"  # text: the views escape it
    assert broken["duration_s"] is None and broken["duration_text"] == "running"
    assert broken["health"] == "train_loss is nan" and broken["broken"]
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    bundle = RunsView(RUNS)._repr_mimebundle_()
    assert bundle[MIME_RUNS] == payload and "<table" in bundle["text/html"]


def test_the_widget_state_is_the_outputs_json() -> None:
    widget = RunsWidget(RUNS, lambda run_id: None)
    static = RunsView(RUNS)._repr_mimebundle_()
    assert widget.mime == MIME_RUNS
    assert widget.payload == static[MIME_RUNS]
    assert widget.text == static["text/plain"]
    assert widget._esm == (_widget.STATIC / "widget.js").read_text(encoding="utf-8")


def test_analyze_from_the_front_end_runs_the_analysis_into_the_output_below() -> None:
    called: list[str] = []
    widget = RunsWidget(RUNS, called.append)
    # What the front end's Analyze button sends (anywidget's model.send).
    widget._handle_custom_msg({"event": "analyze", "run_id": "b" * 32}, [])
    assert called == ["b" * 32]
    widget._handle_custom_msg({"event": "something else"}, [])
    assert called == ["b" * 32]
    with pytest.raises(ValueError, match="is not a run of this table"):
        widget.analyze("c" * 32)
    assert called == ["b" * 32]


def test_the_widgets_view_is_the_table_above_its_output() -> None:
    widget = RunsWidget(RUNS, lambda run_id: None)
    data, _ = widget._repr_mimebundle_()
    assert data[WIDGET_VIEW]["model_id"] == widget.root.model_id
    assert list(widget.root.children) == [widget, widget.output]
    assert {MIME_RUNS, "text/html", "text/plain"} <= set(data)
    assert "<th>health</th>" in data["text/html"]


def test_an_analysis_shows_below_as_it_reads_in_the_end() -> None:
    """The magic updates its progress display in place; an Output widget would drop updates."""
    from IPython.display import display
    from IPython.testing import globalipapp

    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()
    shown: list[object] = []

    def analyze(run_id: str) -> None:
        handle = display("starting", display_id=True)
        display("a note")
        assert handle is not None
        handle.update(f"analysis of {run_id}")

    widget = RunsWidget(RUNS, analyze)
    publish = shell.display_pub.publish
    shell.display_pub.publish = lambda data, **kwargs: shown.append(data["text/plain"])
    try:
        widget.analyze("a" * 32)
    finally:
        shell.display_pub.publish = publish
    assert shown == [
        "<IPython.core.display.HTML object>",  # "analysing baseline…", until the result is in
        repr(f"analysis of {'a' * 32}"),
        "'a note'",
    ]


def test_the_widget_is_imported_on_first_use() -> None:
    code = (
        "import sys; import deepfix_notebook.notebook._runs as r; "
        "assert 'anywidget' not in sys.modules; r.RunsWidget; assert 'anywidget' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
