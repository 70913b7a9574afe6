"""The live widgets: anywidgets drawing DeepFix's own front end from the outputs' JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deepfix_notebook.artifacts import load_directory
from deepfix_notebook.engine import Engine
from deepfix_notebook.notebook import _widget
from deepfix_notebook.notebook._views import (
    MIME_ANALYSIS,
    MIME_COMPARISON,
    AnalysisView,
    ComparisonView,
)
from deepfix_notebook.notebook._widget import AnalysisWidget, ComparisonWidget

RUNS = Path(__file__).resolve().parents[2] / "examples" / "runs"
RUN = RUNS / "overfitting"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def widget() -> AnalysisWidget:
    bundle = load_directory(RUN)
    return AnalysisWidget(Engine().analyze(bundle), bundle.metrics)


def test_the_front_end_is_the_built_widgets_bundle() -> None:
    assert _widget.bundle_built(), "build it: cd labextension && npm run build"
    esm = (_widget.STATIC / "widget.js").read_text(encoding="utf-8")
    assert AnalysisWidget._esm == esm and "export{" in esm.replace(" ", "")
    assert "jp-DeepFix-badge-high" in AnalysisWidget._css


def test_state_is_the_outputs_json(widget: AnalysisWidget) -> None:
    static = AnalysisView(widget.result, widget.view.table)._repr_mimebundle_()
    assert widget.mime == MIME_ANALYSIS
    assert widget.payload == static[MIME_ANALYSIS]
    assert widget.text == static["text/plain"]
    assert json.loads(json.dumps(widget.payload, allow_nan=False)) == widget.payload


def test_bundle_has_the_widget_and_the_static_fallback(widget: AnalysisWidget) -> None:
    data, _ = widget._repr_mimebundle_(include=None, exclude=None)
    assert data[WIDGET_VIEW]["model_id"] == widget.model_id
    assert MIME_ANALYSIS in data and "deepfix-view" in data["text/html"]
    assert data["text/plain"].startswith("DeepFix analysis of overfitting")


def test_without_the_bundle_no_widget_view_is_offered(
    widget: AnalysisWidget, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(_widget, "STATIC", tmp_path)
    data, _ = widget._repr_mimebundle_()
    assert WIDGET_VIEW not in data
    assert {MIME_ANALYSIS, "text/html", "text/plain"} <= set(data)


def test_comparison_widget_carries_the_comparison() -> None:
    from deepfix_notebook.notebook._compare import compare

    view = compare([RUNS / "overfitting", RUNS / "diverging"])
    assert isinstance(view, ComparisonView)
    widget = ComparisonWidget(view)
    assert widget.mime == MIME_COMPARISON
    assert set(widget.payload["results"]) == set(view.results) == set(widget.results)
    data, _ = widget._repr_mimebundle_()
    assert {WIDGET_VIEW, MIME_COMPARISON, "text/html", "text/plain"} <= set(data)


def test_run_names_travel_in_the_payload(widget: AnalysisWidget) -> None:
    from deepfix_notebook.views import comparison_payload

    assert "run_name" not in widget.payload  # unknown: the views show the id
    named = AnalysisWidget(widget.result, widget.view.table, run_name="lr-3e-4")
    assert named.payload["run_name"] == "lr-3e-4"
    results = {"a": widget.result, "b": widget.result}
    payload = comparison_payload(results, {}, {}, names={"a": "first", "zzz": "not a result"})
    assert payload["names"] == {"a": "first"}
    assert "names" not in comparison_payload(results, {}, {})


def test_hostile_strings_stay_text() -> None:
    import numpy as np

    from deepfix_notebook.artifacts import bundle_from_memory

    epochs = np.arange(40)
    bundle = bundle_from_memory(
        {
            "epoch": epochs,
            "loss": 2 * np.exp(-epochs / 8) + 0.05,
            "val_loss": 0.5 + 0.001 * (epochs - 12) ** 2,
        },
        run_id="<script>alert(1)</script>",
    )
    widget = AnalysisWidget(Engine().analyze(bundle), bundle.metrics)
    data, _ = widget._repr_mimebundle_()
    assert "<script>" not in data["text/html"] and "&lt;script&gt;" in data["text/html"]
    assert widget.payload["result"]["run_id"] == "<script>alert(1)</script>"  # drawn as text


def test_importing_and_loading_the_extension_leave_anywidget_unimported() -> None:
    code = (
        "import sys, deepfix_notebook\n"
        "from IPython.testing.globalipapp import start_ipython\n"
        "deepfix_notebook.load_ipython_extension(start_ipython())\n"
        "print(sorted(m for m in ('anywidget', 'ipywidgets') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_runs_widget_analyze_button_runs_the_analysis(tmp_path: Path) -> None:
    from deepfix_notebook.artifacts import list_runs, log_run
    from deepfix_notebook.notebook._runs import RunsWidget

    uri = f"sqlite:///{tmp_path / 'store.db'}"
    bundle = load_directory(RUN)
    assert bundle.metrics is not None
    run_id = log_run(metrics=bundle.metrics, tracking_uri=uri, experiment="w", run_name="<i>r</i>")
    analysed: list[str] = []
    widget = RunsWidget(list_runs(uri, experiment="w"), analysed.append)
    # What the Analyze button of the front end (widgets/src/runs.ts) sends.
    widget._handle_custom_msg({"event": "analyze", "run_id": run_id}, [])
    assert analysed == [run_id]
    bundle_, _ = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle_
    assert bundle_["application/vnd.deepfix.runs+json"]["runs"][0]["run_name"] == "<i>r</i>"
    assert "&lt;i&gt;r&lt;/i&gt;" in bundle_["text/html"]
