"""What frontends without the extension show: the display objects' HTML.

Each DeepFix output carries three representations, in this order: the DeepFix JSON (drawn by
the JupyterLab extension), self-contained HTML, plain text. The order is informative only; a
frontend picks by its own priority among the types it knows. Classic Notebook, nbconvert and
VS Code know no DeepFix type, so they must land on the HTML: checked here with nbconvert's
HTML exporter, a real frontend without the extension.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbconvert import HTMLExporter

import deepfix_notebook as dfx
from deepfix_notebook.notebook._compare import compare
from deepfix_notebook.notebook._views import (
    MIME_ANALYSIS,
    MIME_COMPARISON,
    MIME_KNOWLEDGE,
    PAYLOAD_VERSION,
    AnalysisView,
    KnowledgeView,
)

REPO = Path(__file__).resolve().parents[2]
RUNS = REPO / "examples" / "runs"
SAVED = REPO / "tests" / "browser" / "data" / "saved_analysis.ipynb"


@pytest.fixture(scope="module")
def views() -> dict[str, Any]:
    diverging = dfx.load_run(RUNS / "diverging")
    return {
        MIME_ANALYSIS: AnalysisView(dfx.analyze(diverging), diverging.metrics),
        MIME_COMPARISON: compare([RUNS / "overfitting", RUNS / "quickstart"]),
        MIME_KNOWLEDGE: KnowledgeView(dfx.ask("learning rate too high")),
    }


@pytest.mark.parametrize("mime", [MIME_ANALYSIS, MIME_COMPARISON, MIME_KNOWLEDGE])
def test_bundle_is_json_then_html_then_text(views: dict[str, Any], mime: str) -> None:
    bundle = views[mime]._repr_mimebundle_()
    assert list(bundle) == [mime, "text/html", "text/plain"]
    # Strict JSON: a NaN (the diverging run's curves) would not parse in a browser.
    payload = json.loads(json.dumps(bundle[mime], allow_nan=False))
    if mime != MIME_KNOWLEDGE:  # the knowledge type is the contract's KnowledgeResponse as is
        assert payload["version"] == PAYLOAD_VERSION
    page = bundle["text/html"]
    assert page.startswith('<div class="deepfix-view"')
    assert "<script" not in page.lower()
    assert bundle["text/plain"].strip()


def _html_of(views: dict[str, Any]) -> str:
    from IPython.core.formatters import DisplayFormatter

    formatter = DisplayFormatter()
    notebook = nbformat.v4.new_notebook()
    for view in views.values():
        data, metadata = formatter.format(view)  # what a kernel sends for display(view)
        output = nbformat.v4.new_output("display_data", data=data, metadata=metadata)
        notebook.cells.append(nbformat.v4.new_code_cell("%deepfix ...", outputs=[output]))
    nbformat.validate(notebook)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    return body


def test_a_frontend_without_the_extension_shows_the_html(views: dict[str, Any]) -> None:
    page = _html_of(views)
    for kind in ("analysis", "comparison", "knowledge"):
        assert f'data-deepfix-view="{kind}"' in page
    analysis = views[MIME_ANALYSIS].result
    text = html.unescape(page)  # nbconvert re-serialises the HTML: compare the text
    assert f"DeepFix analysis of <code>{analysis.run_id}</code>" in text
    for _, item in analysis.findings():
        assert item.findings.description in text
    assert page.count("<svg") >= 3  # the analysis' charts and the comparison's overlay
    # The JSON payloads are not what is shown.
    assert '"agent_results"' not in page
    assert "application/vnd.deepfix" not in page


def test_saved_notebook_outputs_carry_all_three_representations() -> None:
    notebook = nbformat.read(SAVED, as_version=4)
    nbformat.validate(notebook)
    found = set()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in (MIME_ANALYSIS, MIME_COMPARISON, MIME_KNOWLEDGE):
                if mime in data:
                    found.add(mime)
                    assert {"text/html", "text/plain"} <= set(data)
                    assert "deepfix-view" in data["text/html"]
    assert found == {MIME_ANALYSIS, MIME_COMPARISON, MIME_KNOWLEDGE}
