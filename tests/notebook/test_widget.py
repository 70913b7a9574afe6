"""The interactive analysis widget: filters, sorting, selection and highlighted regions."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepfix_notebook.artifacts import load_directory
from deepfix_notebook.engine import Engine
from deepfix_notebook.notebook import MIME_ANALYSIS
from deepfix_notebook.notebook._widget import AnalysisWidget

RUN = Path(__file__).resolve().parents[2] / "examples" / "runs" / "overfitting"


@pytest.fixture(scope="module")
def widget() -> AnalysisWidget:
    bundle = load_directory(RUN)
    return AnalysisWidget(Engine().analyze(bundle), bundle.metrics)


def labels(widget: AnalysisWidget) -> list[str]:
    return [label for label, _ in widget.findings.options]


def test_lists_every_finding_most_severe_first(widget: AnalysisWidget) -> None:
    widget.severity.value = widget.agent.value = widget.code.value = "all"
    widget.sort.value = "severity"
    shown = labels(widget)
    assert len(shown) == len(list(widget.result.findings()))
    ranks = [widget.items[i][1].findings.severity.rank for _, i in widget.findings.options]
    assert ranks == sorted(ranks, reverse=True)
    assert widget.root._dom_classes == ("deepfix-widget",)


def test_filters(widget: AnalysisWidget) -> None:
    widget.code.value = "overfitting"
    assert labels(widget) and all("overfitting" in label for label in labels(widget))
    widget.code.value = "all"
    widget.severity.value = "low"
    assert widget.findings.options == ()
    assert "No finding matches" in widget.details.value
    widget.severity.value = "all"
    widget.agent.value = "DatasetArtifactsAnalyzer"
    assert all("(Dataset)" in label for label in labels(widget))
    widget.agent.value = "all"


def test_selecting_a_finding_shows_details_and_highlights_its_region(
    widget: AnalysisWidget,
) -> None:
    assert widget.figure is not None
    index = next(
        i
        for i, (_, a) in enumerate(widget.items)
        if a.findings.code and a.findings.code.value == "overfitting"
    )
    widget.select(index)
    assert "val_loss rose" in widget.details.value and "Recommendation" in widget.details.value
    opacities = {shape.name: shape.opacity for shape in widget.figure.layout.shapes}
    assert max(opacities.values()) > min(opacities.values())  # one region stands out


def test_bundle_has_the_widget_and_the_static_fallback(widget: AnalysisWidget) -> None:
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert MIME_ANALYSIS in bundle and "deepfix-view" in bundle["text/html"]
    assert bundle["text/plain"].startswith("DeepFix analysis of overfitting")


def test_hostile_strings_are_escaped_in_details() -> None:
    import numpy as np

    from deepfix_notebook.artifacts import bundle_from_memory

    epochs = np.arange(40)
    bundle = bundle_from_memory(
        {
            "epoch": epochs,
            "loss": 2 * np.exp(-epochs / 8) + 0.05,
            "<img src=x onerror=alert(1)>": 0.5 + 0.001 * (epochs - 12) ** 2,
            "val_loss": 0.5 + 0.001 * (epochs - 12) ** 2,
        },
        run_id="<script>alert(1)</script>",
    )
    widget = AnalysisWidget(Engine().analyze(bundle), bundle.metrics)
    assert "<script>" not in widget.header.value and "&lt;script&gt;" in widget.header.value
    for _, index in widget.findings.options:
        widget.select(index)
        assert "<img" not in widget.details.value


def test_runs_widget_analyze_button_runs_the_analysis(tmp_path: Path) -> None:
    from deepfix_notebook.artifacts import list_runs, log_run
    from deepfix_notebook.notebook._runs import RunsWidget

    uri = f"sqlite:///{tmp_path / 'store.db'}"
    bundle = load_directory(RUN)
    assert bundle.metrics is not None
    run_id = log_run(metrics=bundle.metrics, tracking_uri=uri, experiment="w", run_name="<i>r</i>")
    analysed: list[str] = []
    widget = RunsWidget(list_runs(uri, experiment="w"), analysed.append)
    widget.buttons[run_id].click()
    assert analysed == [run_id]
    bundle_ = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle_
    assert "&lt;i&gt;r&lt;/i&gt;" in bundle_["text/html"]
