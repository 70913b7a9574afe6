"""The static HTML views: content, escaping of hostile artifact strings, theme, size, snapshots.

Results come from the real engine over in-memory bundles; the snapshot inputs are built by hand so
that a change in an engine rule does not churn the snapshots. ``DEEPFIX_UPDATE_SNAPSHOTS=1``
rewrites the files under ``tests/views/snapshots/``.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from markupsafe import escape

from deepfix_notebook.artifacts import MetricsTable, bundle_from_memory
from deepfix_notebook.contract import (
    AgentName,
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
from deepfix_notebook.engine import Engine
from deepfix_notebook.engine.knowledge import KnowledgeBridge
from deepfix_notebook.views._html import analysis_html, comparison_html, knowledge_html
from deepfix_notebook.views._svg import minmax_downsample
from deepfix_notebook.views._theme import (
    ROOT_CLASS,
    SERIES_COLOURS,
    SEVERITY_COLOURS,
    STYLESHEET,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"
HOSTILE_METRIC = "<img src=x onerror=alert(1)>"
HOSTILE_LOSS = "</text><script>alert(2)</script>loss"  # lands in the loss chart's SVG
HOSTILE_RUN = '"><script>alert(1)</script>'
HOSTILE_TEXT = "<b>&\"'"
N = 60


# --------------------------------------------------------------------------- helpers


class Audit(HTMLParser):
    """Parses a view: tags, attributes, text, and whether start and end tags balance."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.mismatched: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.mismatched.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_safe(markup: str) -> Audit:
    """No script, no event handler, no javascript: URL, no external resource; tags balance."""
    audit = Audit(markup)
    assert "script" not in audit.tags
    assert not [name for name, _ in audit.attrs if name.lower().startswith("on")]
    for name, value in audit.attrs:
        if name in {"href", "src", "xlink:href", "action", "formaction"}:
            assert value is not None and value.lower().startswith(("https://", "http://"))
    assert not {"img", "iframe", "object", "embed", "link", "meta", "base"} & set(audit.tags)
    assert "url(" not in markup and "@import" not in markup
    assert audit.mismatched == [] and audit.stack == []
    assert audit.tags.count("style") == 1
    return audit


def overfitting_columns(n: int = N) -> dict[str, Any]:
    t = np.linspace(0, 1, n)
    return {
        "epoch": np.arange(n, dtype=float),
        "train_loss": 0.1 + 1.9 * np.exp(-5 * t),
        "val_loss": 0.6 + 1.5 * np.exp(-8 * t) + 0.8 * np.maximum(t - 0.3, 0),
        "train_accuracy": 0.99 - 0.6 * np.exp(-5 * t),
        "val_accuracy": 0.8 - 0.4 * np.exp(-8 * t) - 0.1 * np.maximum(t - 0.3, 0),
        HOSTILE_METRIC: np.linspace(0, 1, n),
        HOSTILE_LOSS: 0.5 + 0.1 * t,
    }


HOSTILE_PARAMS = {"learning_rate": 0.01, "batch_size": 32, HOSTILE_TEXT: HOSTILE_TEXT}
HOSTILE_DATASET = {
    "dataset_name": HOSTILE_TEXT,
    "num_train_samples": 500,
    "num_classes": 3,
    "class_counts": {HOSTILE_TEXT: 400, "dog": 50, "cat": 50},
}


@pytest.fixture(scope="module")
def analysed() -> tuple[AnalysisResult, MetricsTable]:
    bundle = bundle_from_memory(
        overfitting_columns(), params=HOSTILE_PARAMS, dataset=HOSTILE_DATASET, run_id=HOSTILE_RUN
    )
    assert bundle.metrics is not None
    return Engine().analyze(bundle), bundle.metrics


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeResponse:
    query = "validation loss rising while training loss falls"
    results = KnowledgeBridge.default().search(query, max_results=4, min_confidence=0.0)
    return KnowledgeResponse(query=query, results=results)


def diagnoses(result: AnalysisResult) -> list[Analysis]:
    return [a for name, a in result.findings() if name != AgentName.OPTIMIZATION.value]


# --------------------------------------------------------------------------- analysis


def test_analysis_shows_header_plan_findings_and_warnings(
    analysed: tuple[AnalysisResult, MetricsTable],
) -> None:
    result, table = analysed
    html = analysis_html(result, table)
    audit = assert_safe(html)
    text = "".join(audit.text)
    assert html.startswith(f'<div class="{ROOT_CLASS}"')
    assert HOSTILE_RUN in text and result.status.value in text and "backend local" in text

    plan = next(a for a in result.agent_results if a.agent_name == AgentName.OPTIMIZATION.value)
    assert plan.analysis, "the overfitting curve should give the advisor something to plan"
    positions = [text.index(item.recommendations.action) for item in plan.analysis]
    assert positions == sorted(positions), "the plan keeps the advisor's order"
    for item in plan.analysis:
        for ref in item.recommendations.knowledge_refs:
            assert f"<code>{ref}</code>" in html
        for target in item.recommendations.targets:
            assert f"<code>{target.value}</code>" in html

    found = diagnoses(result)
    assert "overfitting" in {a.findings.code.value for a in found if a.findings.code}
    assert html.count("<details>") == len(found)
    for item in found:
        assert item.findings.evidence in text
        assert item.recommendations.rationale in text
    counts = {s: sum(a.findings.severity.value == s for a in found) for s in SEVERITY_COLOURS}
    for severity, count in counts.items():
        assert f">{count} {severity}</span>" in html
    assert text.index("Plan") < text.index("Findings") < text.index("Warnings")
    for warning in result.warnings:
        assert warning in text


def test_analysis_charts_shade_findings_by_code(
    analysed: tuple[AnalysisResult, MetricsTable],
) -> None:
    result, table = analysed
    html = analysis_html(result, table)
    assert html.count("<svg") == 2  # a loss panel and a score panel
    assert ">Loss</text>" in html and ">Accuracy and scores</text>" in html
    overfit = next(a.findings for a in diagnoses(result) if a.findings.code == "overfitting")
    assert overfit.step_range is not None
    assert re.search(r'class="df-halo"><title>[^<]*</title>overfitting</text>', html)
    assert "<title>onset: " in html  # an onset marker at the band's first step
    assert f"steps {overfit.step_range[0]}\u2013{overfit.step_range[1]}" in html
    assert "<svg" not in analysis_html(result), "no table, no charts"


def test_analysis_escapes_every_hostile_string(
    analysed: tuple[AnalysisResult, MetricsTable],
) -> None:
    result, table = analysed
    html = analysis_html(result, table)
    audit = assert_safe(html)
    text = "".join(audit.text)
    for raw in ("<img src=x", "<script>", "<b>&", 'onerror=alert(1)>"'):
        assert raw not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;&amp;&#34;&#39;" in html  # the class name, in evidence and action
    assert HOSTILE_METRIC in text and HOSTILE_RUN in text and HOSTILE_TEXT in text
    assert HOSTILE_LOSS in text  # drawn in the loss chart, as text


def test_analysis_is_deterministic_and_has_no_ids(
    analysed: tuple[AnalysisResult, MetricsTable],
) -> None:
    result, table = analysed
    html = analysis_html(result, table)
    assert html == analysis_html(result, table)
    assert not [name for name, _ in Audit(html).attrs if name == "id"]


def test_partial_result_names_the_failed_agent(
    analysed: tuple[AnalysisResult, MetricsTable],
) -> None:
    result, _ = analysed
    broken = AgentResult(agent_name=AgentName.DEEPCHECKS.value, error_message=HOSTILE_TEXT)
    partial = AnalysisResult.model_validate(
        {**dict(result), "status": "partial", "agent_results": [*result.agent_results, broken]}
    )
    html = analysis_html(partial)
    assert_safe(html)
    assert "df-st-partial" in html
    assert '<p class="df-error">Error: &lt;b&gt;&amp;&#34;&#39;</p>' in html
    assert 'class="df-status-note df-status-partial" role="alert"' in html
    assert "Partial analysis" in html and "What to do" in html
    assert "No problems found" not in html


def test_names_runs_by_name_with_the_id_on_hover(
    analysed: tuple[AnalysisResult, MetricsTable],
) -> None:
    result, table = analysed
    html = analysis_html(result, table, run_name="<lr>")
    assert_safe(html)
    assert f'title="{escape(result.run_id)}">&lt;lr&gt;</span>' in html
    other = result.model_copy(update={"status": AnalysisStatus.FAILED, "agent_results": []})
    html = comparison_html({"a": result, "b": other}, names={"a": "first"})
    assert 'title="a">first</span>' in html and "<code>b</code>" in html
    # The failed run's problems are unknown, not absent.
    assert '<td class="df-empty" title="failed analysis">?</td>' in html


def test_failed_result_without_agents_renders() -> None:
    failed = AnalysisResult(
        request_id="r", run_id="run", status=AnalysisStatus.FAILED, summary="", execution_time=0.0
    )
    html = analysis_html(failed)
    assert_safe(html)
    assert "No problems found." not in html and "df-st-failed" in html
    assert "did not complete" in html
    assert "The analysis failed" in html and "%deepfix connect local" in html
    assert "0 high" not in html  # zero counts would read as a clean run


def test_analysis_rejects_too_few_points(analysed: tuple[AnalysisResult, MetricsTable]) -> None:
    with pytest.raises(ValueError, match="max_points"):
        analysis_html(analysed[0], analysed[1], max_points=1)


@pytest.mark.slow
def test_million_step_run_stays_small() -> None:
    n = 1_000_000
    t = np.linspace(0, 1, n)
    rng = np.random.default_rng(0)
    train = 0.1 + 1.9 * np.exp(-5 * t) + 0.02 * rng.standard_normal(n)
    train[800_000:] = np.nan  # diverged: NaN is data in a list
    val: list[float | None] = [None] * n
    for i in range(0, n, 10_000):
        val[i] = float(0.6 + 1.5 * np.exp(-8 * t[i]) + 0.8 * max(t[i] - 0.3, 0.0))
    columns = {
        "step": np.arange(n),
        "train_loss": train.tolist(),
        "val_loss": val,
        "train_accuracy": 0.99 - 0.6 * np.exp(-5 * t),
    }
    bundle = bundle_from_memory(columns, run_id="long-run")
    result = Engine().analyze(bundle)
    html = analysis_html(result, bundle.metrics)
    assert_safe(html)
    size = len(html.encode())
    assert size < 300_000, f"{size} bytes"
    assert "nan_loss" in html and "NaN / Inf" in html
    assert "200,000 non-finite" in html


# --------------------------------------------------------------------------- downsampling


def test_minmax_downsample_keeps_extremes_and_marks_non_finite() -> None:
    n = 100_000
    x = np.arange(n)
    y = np.sin(np.linspace(0, 20, n))
    y[12_345] = 50.0  # a spike
    y[70_000:70_010] = np.nan
    y[90_000] = np.inf
    down = minmax_downsample(x, y, 400)
    assert down.keep.size <= 400
    assert 12_345 in down.keep
    kept = y[down.keep]
    assert np.all(np.isfinite(kept))
    assert kept.max() == 50.0 and kept.min() == np.nanmin(y[np.isfinite(y)])
    assert np.all(np.diff(down.keep) > 0)
    assert set(down.bad.tolist()) == {70_000, 90_000}
    assert down.breaks.sum() == 2  # the line is cut at both non-finite stretches


def test_minmax_downsample_keeps_short_series_whole() -> None:
    y = np.array([1.0, np.nan, 3.0, 4.0])
    down = minmax_downsample(np.arange(4), y, 400)
    assert down.keep.tolist() == [0, 2, 3]
    assert down.bad.tolist() == [1]
    assert down.breaks.tolist() == [True, False]
    with pytest.raises(ValueError):
        minmax_downsample(np.arange(4), y, 1)


# --------------------------------------------------------------------------- knowledge


def test_knowledge_lists_ranked_results(knowledge: KnowledgeResponse) -> None:
    assert knowledge.results
    html = knowledge_html(knowledge)
    text = "".join(assert_safe(html).text)
    positions = [text.index(str(item.metadata["title"])) for item in knowledge.results]
    assert positions == sorted(positions)
    for item in knowledge.results:
        assert f"relevance {item.relevance_score:.2f}" in text
        assert f"confidence {item.confidence:.2f}" in text
        assert item.source in text and item.content in text and item.id in text


def test_knowledge_escapes_and_drops_unsafe_links() -> None:
    item = KnowledgeItem(
        id=HOSTILE_TEXT,
        content=HOSTILE_METRIC,
        source=HOSTILE_RUN,
        confidence=0.5,
        relevance_score=1.0,
        metadata={"title": HOSTILE_TEXT, "url": "javascript:alert(1)", "domain": HOSTILE_TEXT},
    )
    html = knowledge_html(KnowledgeResponse(query=HOSTILE_RUN, results=[item]))
    assert_safe(html)
    assert "<img src=x" not in html and "<script>" not in html and "javascript:" not in html
    assert "&lt;img src=x" in html
    safe = item.model_copy(update={"metadata": {"url": 'https://example.org/?a="x"&b'}})
    html = knowledge_html(KnowledgeResponse(query="q", results=[safe]))
    assert 'href="https://example.org/?a=&#34;x&#34;&amp;b"' in html


def test_knowledge_without_results() -> None:
    html = knowledge_html(KnowledgeResponse(query=HOSTILE_TEXT, results=[]))
    assert_safe(html)
    assert "No knowledge entries match." in html


# --------------------------------------------------------------------------- comparison


def _run(columns: dict[str, Any], run_id: str) -> tuple[AnalysisResult, MetricsTable]:
    bundle = bundle_from_memory(columns, run_id=run_id)
    assert bundle.metrics is not None
    return Engine().analyze(bundle), bundle.metrics


@pytest.fixture(scope="module")
def three_runs() -> dict[str, tuple[AnalysisResult, MetricsTable]]:
    t = np.linspace(0, 1, N)
    healthy = {
        "epoch": np.arange(N, dtype=float),
        "train_loss": 0.2 + 1.8 * np.exp(-5 * t),
        "val_loss": 0.25 + 1.85 * np.exp(-5 * t),
        "val_accuracy": 0.95 - 0.6 * np.exp(-5 * t),
    }
    diverged = {**healthy, "train_loss": [*(0.2 + 1.8 * np.exp(-5 * t[:40])), *[np.nan] * 20]}
    return {
        "healthy": _run(healthy, "healthy"),
        HOSTILE_RUN: _run(overfitting_columns(), "overfit"),
        "diverged": _run(diverged, "diverged"),
    }


def test_comparison_matrix_params_ranking_overlay(
    three_runs: dict[str, tuple[AnalysisResult, MetricsTable]],
) -> None:
    results = {k: r for k, (r, _) in three_runs.items()}
    tables = {k: t for k, (_, t) in three_runs.items()}
    params = {
        "healthy": {"learning_rate": 0.001, "batch_size": 32, "optim": {"name": "adam"}},
        HOSTILE_RUN: {"learning_rate": 0.001, "batch_size": 64, HOSTILE_TEXT: HOSTILE_TEXT},
        "diverged": {"learning_rate": 0.1, "batch_size": 32, "optim": {"name": "adam"}},
    }
    html = comparison_html(results, tables, params)
    text = "".join(assert_safe(html).text)
    assert "<script>" not in html and "<b>&" not in html
    # Matrix: every coded finding of every run, coloured by the worst severity.
    for run, result in results.items():
        for item in diagnoses(result):
            assert item.findings.code is not None
            assert escape(f"{run}: {item.findings.code.value},") in html
    assert 'class="df-cell df-high"' in html
    # Only differing parameters, flattened.
    assert "batch_size" in text and "learning_rate" in text and "optim.name" in text
    assert HOSTILE_TEXT in text and "&lt;b&gt;&amp;&#34;&#39;" in html
    # Ranking by the lowest val_loss: the healthy run is first.
    assert "Ranked by the lowest val_loss of each run." in text
    ranking = text[text.index("Ranked by") :]
    assert ranking.index("healthy") < ranking.index(HOSTILE_RUN)
    assert html.count("<svg") == 1 and ">val_loss by run</text>" in html


def test_comparison_falls_back_to_val_accuracy_and_says_so(
    three_runs: dict[str, tuple[AnalysisResult, MetricsTable]],
) -> None:
    t = np.linspace(0, 1, N)
    low = {"epoch": np.arange(N, dtype=float), "train_loss": 2 - t, "val_accuracy": 0.5 + 0.1 * t}
    high = {**low, "val_accuracy": 0.6 + 0.3 * t}
    runs = {"low": _run(low, "low"), "high": _run(high, "high")}
    html = comparison_html(
        {k: r for k, (r, _) in runs.items()}, {k: t for k, (_, t) in runs.items()}
    )
    text = "".join(assert_safe(html).text)
    assert "Ranked by the highest val_accuracy of each run (no run logged val_loss)." in text
    ranking = text[text.index("Ranked by") :]
    assert ranking.index("high") < ranking.index("low")


def test_comparison_without_tables_or_params(
    three_runs: dict[str, tuple[AnalysisResult, MetricsTable]],
) -> None:
    results = {k: r for k, (r, _) in three_runs.items()}
    html = comparison_html(results)
    assert_safe(html)
    assert "<svg" not in html and "Parameters that differ" not in html
    assert "metrics tables to rank them" in html
    assert "No runs to compare." in comparison_html({})


# --------------------------------------------------------------------------- theme


def test_css_follows_jupyterlab_theme_with_light_and_dark_fallbacks() -> None:
    for variable in ("--jp-ui-font-color1", "--jp-layout-color1", "--jp-border-color2"):
        fallbacks = re.findall(rf"var\({variable}, (#[0-9a-f]{{6}})\)", STYLESHEET)
        assert len(fallbacks) == 2 and fallbacks[0] != fallbacks[1], variable
    dark = STYLESHEET[STYLESHEET.index("@media (prefers-color-scheme: dark)") :]
    assert "--df-fg:var(--jp-ui-font-color1, #e6edf3)" in dark
    assert "--df-bg:var(--jp-layout-color1, #0d1117)" in dark


def test_css_is_scoped_under_the_root_class() -> None:
    css = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^{}]*\})*)\}", r"\1", STYLESHEET)
    selectors = [
        s.strip() for block in re.findall(r"([^{}]+)\{[^{}]*\}", css) for s in block.split(",")
    ]
    assert selectors
    assert all(s.startswith(f".{ROOT_CLASS}") for s in selectors), selectors


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("colour", [*SEVERITY_COLOURS.values(), *SERIES_COLOURS])
def test_colours_read_on_light_and_dark_backgrounds(colour: str) -> None:
    assert _contrast(colour, "#ffffff") >= 3.0 and _contrast(colour, "#0d1117") >= 3.0
    if colour in SEVERITY_COLOURS.values():
        assert _contrast(colour, "#ffffff") >= 4.5  # white badge text on it


# --------------------------------------------------------------------------- snapshots


def _sanitise(html: str) -> str:
    html = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)", "TIMESTAMP", html)
    html = re.sub(r"request <code>[^<]*</code>", "request <code>REQUEST_ID</code>", html)
    return re.sub(r"\u00b7 [\d.]+ m?s \u00b7", "\u00b7 EXECUTION_TIME \u00b7", html)


def _check_snapshot(name: str, html: str) -> None:
    path = SNAPSHOTS / name
    html = _sanitise(html)
    if os.environ.get("DEEPFIX_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path}: run with DEEPFIX_UPDATE_SNAPSHOTS=1"
    expected = path.read_text(encoding="utf-8")
    assert html == expected, f"{name} changed: rerun with DEEPFIX_UPDATE_SNAPSHOTS=1 if intended"


def _fixed_result(run_id: str = "snapshot-run", request_id: str = "req-1234") -> AnalysisResult:
    overfit = Finding(
        description="Validation loss rises while training loss keeps falling: overfitting.",
        evidence="val_loss rose 40% from its minimum 0.5 at epoch 8 to 0.7 at epoch 19.",
        severity=Severity.HIGH,
        confidence=0.9,
        code=ProblemCode.OVERFITTING,
        metric="val_loss",
        step_range=(8, 19),
        epoch_range=(8.0, 19.0),
    )
    stop = Recommendation(
        action="Stop at about epoch 8 with early stopping (patience 3).",
        rationale="Past the validation minimum the model memorises the training set.",
        priority=Priority.HIGH,
        confidence=0.9,
        targets=[FaultTarget.EARLY_STOPPING, FaultTarget.REGULARIZATION],
        knowledge_refs=["early-stopping-patience-restore"],
    )
    imbalance = Finding(
        description="The classes are imbalanced.",
        evidence="The largest class 'cat' has 400 samples and the smallest 'dog' 50.",
        severity=Severity.LOW,
        confidence=0.8,
        code=ProblemCode.CLASS_IMBALANCE,
    )
    weights = Recommendation(
        action="Weight the loss by inverse class frequency.",
        rationale="The majority class dominates the loss.",
        priority=Priority.LOW,
        confidence=0.8,
        targets=[FaultTarget.CLASS_BALANCE],
        knowledge_refs=["class-weights-in-loss"],
    )
    first = Analysis(findings=overfit, recommendations=stop)
    second = Analysis(findings=imbalance, recommendations=weights)
    return AnalysisResult(
        request_id=request_id,
        run_id=run_id,
        status=AnalysisStatus.COMPLETED,
        summary="Overfitting (high) from epoch 8. Start with: early stopping.",
        agent_results=[
            AgentResult(agent_name="TrainingArtifactsAnalyzer", analysis=[first]),
            AgentResult(agent_name="DatasetArtifactsAnalyzer", analysis=[second]),
            AgentResult(agent_name="CrossArtifactIntegrationAgent"),
            AgentResult(agent_name="OptimizationAdvisorAgent", analysis=[first, second]),
        ],
        execution_time=0.0421,
        timestamp=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        warnings=["No gradient norm was logged: gradient rules were not checked."],
        backend="local",
    )


def _fixed_table(shift: float = 0.0) -> MetricsTable:
    t = np.arange(20, dtype=float)
    train = [float(v) for v in 1.0 * 0.85**t + shift]
    train[17] = float("nan")
    table, _ = MetricsTable.from_columns(
        {
            "epoch": t,
            "loss": train,
            "val_loss": [float(v) for v in 0.5 + 0.01 * (t - 8) ** 2 + shift],
            "val_acc": [float(v) for v in 0.6 + 0.3 * (1 - 0.8**t)],
        }
    )
    return table


def test_snapshot_analysis() -> None:
    html = analysis_html(_fixed_result(), _fixed_table())
    assert_safe(html)
    assert "(logged as <code>loss</code>)" not in html  # the finding is about val_loss
    assert "NaN / Inf" in html
    _check_snapshot("analysis.html", html)


def test_snapshot_sanitising_hides_ids_times_and_timestamps() -> None:
    one = analysis_html(_fixed_result(request_id="req-a"), _fixed_table())
    other = analysis_html(
        _fixed_result(request_id="req-b").model_copy(
            update={"execution_time": 3.5, "timestamp": datetime(2030, 5, 6, tzinfo=UTC)}
        ),
        _fixed_table(),
    )
    assert one != other and _sanitise(one) == _sanitise(other)


def test_snapshot_knowledge() -> None:
    item = KnowledgeItem(
        id="early-stopping-patience-restore",
        content="Stop when the validation metric has not improved for a few epochs.",
        source="Prechelt, Early Stopping - But When? (1998)",
        confidence=0.9,
        relevance_score=1.0,
        metadata={"title": "Early stopping with patience", "domain": "training"},
    )
    html = knowledge_html(KnowledgeResponse(query="validation loss rising", results=[item]))
    _check_snapshot("knowledge.html", html)


def test_snapshot_comparison() -> None:
    results = {"run-a": _fixed_result("run-a"), "run-b": _fixed_result("run-b")}
    tables = {"run-a": _fixed_table(), "run-b": _fixed_table(shift=-0.1)}
    params = {
        "run-a": {"learning_rate": 0.001, "batch_size": 32},
        "run-b": {"learning_rate": 0.0003, "batch_size": 32},
    }
    html = comparison_html(results, tables, params)
    assert_safe(html)
    _check_snapshot("comparison.html", html)


def test_log_axis_reads_as_numbers_and_nan_stretches_are_one_mark_each() -> None:
    from deepfix_notebook.views._svg import (
        Series,
        fmt_log_tick,
        line_chart,
        log_ticks,
        nonfinite_stretches,
    )

    assert [fmt_log_tick(t) for t in log_ticks(1e-4, 0.02)] == [
        "1e-4",
        "3e-4",
        "0.001",
        "0.003",
        "0.01",
    ]
    assert fmt_log_tick(3e5) == "3e5"
    x = np.arange(6, dtype=float)
    y = np.array([1, np.nan, np.nan, 2, np.inf, -np.inf])
    assert nonfinite_stretches(x, y) == [(1, 2, 2, False), (4, 4, 1, False), (5, 5, 1, True)]
    # A short run's NaNs on a 100,000-step axis: one mark with a count, not a blob.
    short = np.arange(40, dtype=float)
    values = np.where((short >= 10) & (short % 2 == 1), np.nan, 1 / (short + 1))
    svg = line_chart(
        [Series("short", short, values), Series("long", np.array([0.0, 1e5]), np.array([1, 0.5]))],
        title="Loss",
    )
    assert svg.count('l6 6m0-6l-6 6"') == 1
    assert "\u00d715</text>" in svg and "steps 11\u201339" in svg
