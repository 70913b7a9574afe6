"""The DeepFix mime bundles built in `views`: shape, strict JSON, one builder for every caller,
and the static curves a finished training run leaves in a notebook."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from test_html import HOSTILE_LOSS, HOSTILE_METRIC, HOSTILE_TEXT, assert_safe

from deepfix_notebook.artifacts import MetricsTable, bundle_from_memory
from deepfix_notebook.contract import AnalysisResult, KnowledgeResponse
from deepfix_notebook.engine import Engine
from deepfix_notebook.engine.knowledge import KnowledgeBridge
from deepfix_notebook.notebook._views import AnalysisView, ComparisonView, KnowledgeView
from deepfix_notebook.views import (
    MIME_ANALYSIS,
    MIME_COMPARISON,
    MIME_KNOWLEDGE,
    PAYLOAD_VERSION,
    analysis_bundle,
    comparison_bundle,
    curves_bundle,
    knowledge_bundle,
)

N = 200


def diverging_columns(n: int = N) -> dict[str, Any]:
    """A loss that falls, then explodes and turns NaN; a validation loss beside it."""
    step = np.arange(n, dtype=float)
    train = 2.0 * np.exp(-step / 40) + 0.1
    train[n // 2 :] *= 1.3 ** np.arange(n - n // 2)
    train[-20:] = math.nan
    val = 2.0 * np.exp(-step / 50) + 0.3
    # Lists: in an array NaN means "not logged"; in a list (as `track` logs) it is a value.
    return {"step": step.tolist(), "train_loss": train.tolist(), "val_loss": val.tolist()}


@pytest.fixture(scope="module")
def analysed() -> tuple[AnalysisResult, MetricsTable]:
    bundle = bundle_from_memory(diverging_columns(), run_id="run-1")
    assert bundle.metrics is not None
    return Engine().analyze(bundle), bundle.metrics


def strict(payload: Any) -> Any:
    """``payload`` through strict JSON, as a browser parses it (no NaN or Infinity numbers)."""
    return json.loads(json.dumps(payload, allow_nan=False))


def test_analysis_bundle_is_json_then_html_then_text(
    analysed: tuple[AnalysisResult, MetricsTable],
) -> None:
    result, table = analysed
    bundle = analysis_bundle(result, table, max_points=50)
    assert list(bundle) == [MIME_ANALYSIS, "text/html", "text/plain"]
    payload = strict(bundle[MIME_ANALYSIS])
    assert payload["version"] == PAYLOAD_VERSION
    assert AnalysisResult.model_validate(payload["result"]) == result
    loss = payload["curves"]["series"]["train_loss"]
    finite = [v for v in loss["value"] if not isinstance(v, str)]
    assert len(finite) <= 50 and loss["value"].count("NaN") == 20  # every NaN marked
    assert "<svg" in bundle["text/html"] and result.run_id in bundle["text/plain"]
    without = analysis_bundle(result)
    assert without[MIME_ANALYSIS]["curves"] is None and "<svg" not in without["text/html"]


def test_the_display_objects_are_the_same_bundles(
    analysed: tuple[AnalysisResult, MetricsTable],
) -> None:
    result, table = analysed
    assert AnalysisView(result, table)._repr_mimebundle_() == analysis_bundle(result, table)
    assert (
        AnalysisView(result, table, max_points=30).payload()
        == (analysis_bundle(result, table, max_points=30)[MIME_ANALYSIS])
    )
    other = result.model_copy(update={"run_id": "run-2"})
    results, tables = {"a": result, "b": other}, {"a": table, "b": table}
    params = {"a": {"learning_rate": 0.1}, "b": {"learning_rate": 0.01}}
    view = ComparisonView(results, tables, params, metric="val_loss")
    assert view._repr_mimebundle_() == comparison_bundle(results, tables, params)
    response = KnowledgeResponse(
        query="loss explodes",
        results=KnowledgeBridge.default().search("loss explodes", max_results=2),
    )
    assert KnowledgeView(response)._repr_mimebundle_() == knowledge_bundle(response)


def test_comparison_and_knowledge_bundles(analysed: tuple[AnalysisResult, MetricsTable]) -> None:
    result, table = analysed
    bundle = comparison_bundle(
        {"a": result}, {"a": table}, {"a": {}}, metric="train_loss", max_points=40
    )
    assert list(bundle) == [MIME_COMPARISON, "text/html", "text/plain"]
    payload = strict(bundle[MIME_COMPARISON])
    assert payload["metric"] == "train_loss" and payload["version"] == PAYLOAD_VERSION
    assert set(payload["curves"]["a"]["series"]) == {"train_loss"}  # the metric and train loss
    response = KnowledgeResponse(query="q", results=[])
    knowledge = knowledge_bundle(response)
    assert list(knowledge) == [MIME_KNOWLEDGE, "text/html", "text/plain"]
    assert strict(knowledge[MIME_KNOWLEDGE]) == response.model_dump(mode="json")


def test_curves_bundle_is_static_html_with_findings_shaded(
    analysed: tuple[AnalysisResult, MetricsTable],
) -> None:
    result, table = analysed
    bundle = curves_bundle(table, result, title="DeepFix training", status="Training finished")
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/plain"] == "DeepFix training: Training finished"
    page = bundle["text/html"]
    assert page.startswith('<div class="deepfix-view" data-deepfix-view="curves">')
    audit = assert_safe(page)
    assert audit.tags.count("svg") == 1  # one loss chart: no score was logged
    codes = {a.findings.code.value for _, a in result.findings() if a.findings.code}
    assert "exploding_loss" in codes and "exploding_loss" in page
    assert "NaN / Inf" in page  # the broken end of the run stays visible


def test_curves_bundle_escapes_every_string() -> None:
    columns = {
        "step": np.arange(N, dtype=float),
        "train_loss": np.linspace(2, 0.1, N),
        HOSTILE_LOSS: np.linspace(1, 0.5, N),
        HOSTILE_METRIC: np.linspace(0, 1, N),
    }
    bundle = bundle_from_memory(columns, run_id="hostile")
    assert bundle.metrics is not None
    result = Engine().analyze(bundle)
    page = curves_bundle(bundle.metrics, result, title=HOSTILE_TEXT, status=HOSTILE_METRIC)[
        "text/html"
    ]
    audit = assert_safe(page)
    text = "".join(audit.text)
    assert HOSTILE_TEXT in text and HOSTILE_METRIC in text  # shown as text, never as markup


def test_curves_bundle_of_a_long_run_stays_small() -> None:
    n = 200_000
    columns = {"step": np.arange(n, dtype=float), "train_loss": 1 / np.sqrt(1 + np.arange(n))}
    bundle = bundle_from_memory(columns, run_id="long")
    assert bundle.metrics is not None
    result = Engine().analyze(bundle)
    page = curves_bundle(bundle.metrics, result, title="t", status="s")["text/html"]
    assert len(page.encode()) < 60_000
    with pytest.raises(ValueError, match="at least 2"):
        curves_bundle(bundle.metrics, result, title="t", status="s", max_points=1)
