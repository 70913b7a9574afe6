"""A DeepFix result renders itself wherever it reaches a cell once ``%load_ext deepfix_notebook``
ran: returned as a cell's value or displayed, as its view (never a pydantic repr), keeping only
the formats IPython's ``include``/``exclude`` ask for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.display import display
from IPython.utils.capture import capture_output
from notebook_helpers import notice_on_top, rich_shell

from deepfix_notebook.contract import AnalysisResult, KnowledgeResponse, SweepResult
from deepfix_notebook.notebook._views import AnalysisView
from deepfix_notebook.views import MIME_ANALYSIS, MIME_KNOWLEDGE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runs"


@pytest.fixture(scope="module")
def ip() -> Iterator[Any]:
    shell = rich_shell()
    yield shell
    shell.run_line_magic("unload_ext", "deepfix_notebook")


@pytest.fixture(scope="module")
def result() -> AnalysisResult:
    import deepfix_notebook as dfx

    return dfx.analyze(EXAMPLES / "overfitting")


def test_a_returned_result_shows_as_its_view(ip: Any, result: AnalysisResult) -> None:
    ip.user_ns["analysed"] = result
    with capture_output() as cap:
        ip.run_cell("analysed", store_history=False)
    assert "DeepFix analysis of overfitting" in cap.stdout  # a terminal prints the text
    assert "request_id=" not in cap.stdout
    data, _ = ip.displayhook.compute_format_data(result)  # what a kernel sends for the value
    assert data[MIME_ANALYSIS]["result"]["run_id"] == "overfitting"
    assert data["text/plain"].startswith("DeepFix analysis of overfitting")
    assert "AnalysisResult(" not in data["text/plain"] and "request_id=" not in data["text/plain"]
    assert "DeepFix analysis of" in data["text/html"]


def test_include_and_exclude_are_honoured(ip: Any, result: AnalysisResult) -> None:
    fmt = ip.display_formatter.format
    assert set(fmt(result, include={"text/plain"})[0]) == {"text/plain"}
    assert set(fmt(result, exclude={"text/html", MIME_ANALYSIS})[0]) == {"text/plain"}
    assert set(fmt(result)[0]) == {MIME_ANALYSIS, "text/html", "text/plain"}
    with capture_output() as cap:
        display(result, include=["text/html"])
    assert set(cap.outputs[0].data) == {"text/html"}
    view = AnalysisView(result)  # a display object honours them itself too
    assert set(view._repr_mimebundle_(include={"text/plain", "text/html"})) == {
        "text/plain",
        "text/html",
    }
    assert MIME_ANALYSIS not in view._repr_mimebundle_(exclude={MIME_ANALYSIS})


def test_knowledge_and_sweeps_render_too(ip: Any) -> None:
    import deepfix_notebook as dfx

    answer = dfx.ask("validation loss goes up", query_type="diagnostic")
    assert isinstance(answer, KnowledgeResponse) and answer.results
    data, _ = ip.display_formatter.format(answer)
    assert data[MIME_KNOWLEDGE]["query"] == "validation loss goes up"
    assert "KnowledgeResponse(" not in data["text/plain"]

    sweep = SweepResult(
        experiment="lr-<b>sweep</b>",
        tracking_uri="sqlite:///mlflow.db",
        counts={"high": 1, "medium": 0, "clean": 2, "failed": 0},
        summary="1 of 3 runs has a high-severity problem.",
        execution_time=0.5,
    )
    data, _ = ip.display_formatter.format(sweep)
    assert "lr-&lt;b&gt;sweep&lt;/b&gt;" in data["text/html"]  # escaped: names are data
    assert "lr-<b>sweep</b>" in data["text/plain"]
    assert "SweepResult(" not in data["text/plain"]


def test_unloading_removes_the_formatters(ip: Any, result: AnalysisResult) -> None:
    ip.run_line_magic("unload_ext", "deepfix_notebook")
    try:
        data, _ = ip.display_formatter.format(result)
        assert MIME_ANALYSIS not in data
    finally:
        ip.run_line_magic("load_ext", "deepfix_notebook")
    assert MIME_ANALYSIS in ip.display_formatter.format(result)[0]


def test_a_fallback_result_says_so_on_top(ip: Any, result: AnalysisResult) -> None:
    from deepfix_notebook.backends import LOCAL_BACKEND_NAME

    notice = "Server http://127.0.0.1:9 unreachable; analysed by the embedded engine."
    fallen = result.model_copy(
        update={"backend": LOCAL_BACKEND_NAME, "warnings": [notice, *result.warnings]}
    )
    data, _ = ip.display_formatter.format(fallen)
    assert data["text/plain"].splitlines()[0] == notice
    assert notice in notice_on_top(data["text/html"])
    assert data[MIME_ANALYSIS]["notice"] == notice  # the widget and the extension show it on top
    assert data[MIME_ANALYSIS]["result"]["backend"] == LOCAL_BACKEND_NAME
    plain, _ = ip.display_formatter.format(result)
    assert notice_on_top(plain["text/html"]) == "" and "notice" not in plain[MIME_ANALYSIS]
