"""`%deepfix runs`' table: name, status, start, duration, health, key params, Analyze."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deepfix_notebook.artifacts._mlflow_runs import RunSummary
from deepfix_notebook.notebook._runs import RunsView, RunsWidget, key_params

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


def test_the_widget_has_one_analyze_button_per_run() -> None:
    called: list[str] = []
    widget = RunsWidget(RUNS, called.append)
    assert set(widget.buttons) == {"a" * 32, "b" * 32}
    widget.buttons["a" * 32].click()
    assert called == ["a" * 32]
    bundle = widget._repr_mimebundle_()
    assert "text/html" in bundle and "<th>health</th>" in bundle["text/html"]
