"""Every HTML producer escapes what came from a run: a ``<script>`` and both quotes in every string.

Each producer is given results, tables and runs whose strings (run id and name, metric and
parameter names, findings, recommendations, knowledge, backend and store names, notes) are all
the hostile string; the output must parse with no ``<script>``, no ``on*`` attribute, every
attribute value free of injected markup, and the hostile text must read back intact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser

import numpy as np
import pytest

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.artifacts._mlflow_runs import RunSummary
from deepfix_notebook.contract import (
    AgentResult,
    Analysis,
    AnalysisResult,
    AnalysisStatus,
    FaultTarget,
    Finding,
    KnowledgeItem,
    KnowledgeResponse,
    Priority,
    ProblemCode,
    Recommendation,
    Severity,
)
from deepfix_notebook.notebook._magics import _error_html
from deepfix_notebook.notebook._runs import RunsView
from deepfix_notebook.views import analysis_html, comparison_html, curves_bundle, knowledge_html
from deepfix_notebook.views._html import parameters_html
from deepfix_notebook.views._live import early_warnings_html, live_status_html, note_html
from deepfix_notebook.views._markup import html, join
from deepfix_notebook.views._report_html import (
    artifacts_html,
    health_html,
    health_legend_html,
    muted_html,
    notice_html,
    report_header_html,
    run_header_html,
)

BAD = "\"'><script>alert(1)</script><img src=x onerror='x'>"


class Parsed(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _finding() -> Analysis:
    return Analysis(
        findings=Finding(
            description=BAD,
            evidence=BAD,
            severity=Severity.HIGH,
            confidence=0.9,
            code=ProblemCode.OVERFITTING,
            metric=BAD,
            step_range=(2, 9),
        ),
        recommendations=Recommendation(
            action=BAD,
            rationale=BAD,
            priority=Priority.HIGH,
            confidence=0.9,
            targets=[FaultTarget.EARLY_STOPPING],
            knowledge_refs=[BAD],
        ),
    )


def _result(status: AnalysisStatus = AnalysisStatus.COMPLETED) -> AnalysisResult:
    item = _finding()
    return AnalysisResult(
        request_id=BAD,
        run_id=BAD,
        status=status,
        summary=BAD,
        agent_results=[
            AgentResult(agent_name="TrainingArtifactsAnalyzer", analysis=[item]),
            AgentResult(agent_name="DatasetArtifactsAnalyzer", error_message=BAD),
            AgentResult(agent_name="OptimizationAdvisorAgent", analysis=[item]),
        ],
        execution_time=0.1,
        timestamp=datetime(2025, 1, 2, tzinfo=UTC),
        warnings=[BAD],
        backend=BAD,
    )


def _table() -> MetricsTable:
    t = np.arange(12, dtype=float)
    table, _ = MetricsTable.from_columns({"step": t, f"{BAD}loss": 1 / (t + 1), BAD: t / 12})
    return table


def _knowledge() -> KnowledgeResponse:
    item = KnowledgeItem(
        id=BAD,
        content=BAD,
        source=BAD,
        relevance_score=0.5,
        confidence=0.5,
        metadata={"title": BAD, "domain": BAD, "url": f"https://example.org/{BAD}"},
    )
    return KnowledgeResponse(query=BAD, results=[item])


def _run() -> RunSummary:
    start = datetime(2025, 1, 2, tzinfo=UTC)
    return RunSummary(BAD, BAD, BAD, BAD, start, {"val_loss": 0.5}, {BAD: BAD, "lr": "1"}, start)


PRODUCERS: dict[str, Callable[[], str]] = {
    "analysis": lambda: analysis_html(_result(), _table(), run_name=BAD),
    "partial analysis": lambda: analysis_html(_result(AnalysisStatus.PARTIAL)),
    "failed analysis": lambda: analysis_html(
        _result(AnalysisStatus.FAILED).model_copy(update={"agent_results": []})
    ),
    "comparison": lambda: comparison_html(
        {BAD: _result(), "other": _result(AnalysisStatus.FAILED)},
        {BAD: _table(), "other": _table()},
        {BAD: {BAD: BAD}, "other": {BAD: 1}},
        metric=f"{BAD}loss",
        names={BAD: BAD},
    ),
    "parameters": lambda: parameters_html({BAD: {BAD: BAD}, "b": {BAD: 2}}),
    "knowledge": lambda: knowledge_html(_knowledge()),
    "curves": lambda: curves_bundle(_table(), _result(), title=BAD, status=BAD)["text/html"],
    "health": lambda: health_html("logged", {"high": 1}, note=BAD) + health_html("error", note=BAD),
    "health legend": lambda: (
        health_legend_html(backend=BAD, computed=False)
        + health_legend_html(backend=BAD, computed=True, exported=True)
    ),
    "notice": lambda: notice_html(BAD, "error", title=BAD),
    "run header": lambda: run_header_html(
        BAD, BAD, experiment=BAD, status=BAD, started=BAD, params={BAD: BAD}, source=BAD
    ),
    "artifacts": lambda: artifacts_html(BAD, None, BAD) or "",
    "report header": lambda: report_header_html(BAD, BAD, BAD, runs=2, exported=BAD),
    "muted": lambda: muted_html(BAD),
    "live warnings": lambda: early_warnings_html([_finding()], _finding()),
    "live status": lambda: live_status_html(BAD),
    "note": lambda: note_html(BAD),
    "magic error": lambda: _error_html(BAD, BAD).data,
    "runs table": lambda: RunsView([_run()]).html(),
}


@pytest.mark.parametrize("name", PRODUCERS)
def test_every_producer_escapes_artifact_strings(name: str) -> None:
    out = str(PRODUCERS[name]())
    assert "<script" not in out and "<img" not in out, name
    parsed = Parsed(out)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not [a for a, _ in parsed.attrs if a.startswith("on")], "an injected handler"
    # Quotes cannot end an attribute early: every value keeps the hostile text whole.
    assert all("<script>" not in (v or "") or BAD in (v or "") for _, v in parsed.attrs)
    assert BAD in "".join(parsed.text) + "".join(v or "" for _, v in parsed.attrs), (
        "the hostile text should read back intact"
    )


def test_templates_escape_arguments_but_keep_markup() -> None:
    fragment = html("<b title='{}'>{}</b>", BAD, html("<i>{}</i>", BAD))
    assert fragment.count("<i>") == 1 and "<script" not in fragment
    assert "&#39;&gt;&lt;script&gt;" in fragment and "&#34;" in fragment
    assert join(["<b>", html("<i>x</i>")], " ") == "&lt;b&gt; <i>x</i>"
