"""Knowledge search, health, Prometheus metrics, correlation ids and JSON logs, settings."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from server_helpers import (
    ASYNC,
    ENVELOPE_KEYS,
    MlflowRuns,
    RunningServer,
    analyze_body,
    wait_for_status,
)

from deepfix_notebook.artifacts import redact_uri
from deepfix_notebook.contract import HealthResponse, KnowledgeResponse
from deepfix_notebook.server import Settings
from deepfix_notebook.server._jobs import SqlJobStore
from deepfix_notebook.server._logging import json_formatter
from deepfix_notebook.server._settings import normalize_uri

# --------------------------------------------------------------------------- knowledge


def test_knowledge_query_answers_ranked_items(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/knowledge/query",
        json={"query": "validation loss rising", "query_type": "diagnostic", "max_results": 3},
    )
    assert response.status_code == 200, response.text
    body = KnowledgeResponse.model_validate_json(response.content)
    assert body.query == "validation loss rising"
    assert 1 <= len(body.results) <= 3
    assert body.results[0].relevance_score == 1.0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"query": "x"}, "query_type"),
        ({"query": "x", "query_type": "diagnostic", "max_results": 50}, "max_results"),
        ({"query": "  ", "query_type": "diagnostic"}, "query"),
    ],
)
def test_bad_knowledge_query_is_400(
    client: httpx.Client, payload: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/knowledge/query", json=payload)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["error"] == "VALIDATION_ERROR"
    assert body["details"]["field"] == field


# --------------------------------------------------------------------------- health


def test_health_reports_store_and_queue(client: httpx.Client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    health = HealthResponse.model_validate_json(response.content)
    assert health.status == "ok"
    assert health.engine == "embedded"
    assert health.job_store == "sqlite: ok"
    assert health.queue == "threads: 0 running, 0 queued, 10 at once"


# --------------------------------------------------------------------------- metrics


def _sample(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_and_describe_jobs(
    client: httpx.Client, mlflow_runs: MlflowRuns
) -> None:
    health = 'deepfix_http_requests_total{method="GET",route="/api/v1/health",status="200"}'
    before = _sample(client.get("/metrics").text, health)
    for _ in range(3):
        client.get("/api/v1/health")
    client.get("/api/v1/status/req_missing")
    response = client.post("/api/v1/analyze", json=analyze_body(mlflow_runs.full, mlflow_runs.uri))
    assert response.status_code == 200

    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert _sample(text, health) == before + 3
    status_404 = (
        'deepfix_http_requests_total{method="GET",route="/api/v1/status/{request_id}",status="404"}'
    )
    assert _sample(text, status_404) == 1
    for name in (
        "deepfix_analysis_duration_seconds_bucket",
        "deepfix_jobs{",
        "deepfix_queue_depth",
        "deepfix_analyses_running",
        "deepfix_knowledge_cache_hit_ratio",
    ):
        assert name in text, name
    assert _sample(text, 'deepfix_analysis_duration_seconds_count{status="completed"}') == 1
    assert _sample(text, 'deepfix_jobs{state="completed"}') == 1


# --------------------------------------------------------------------------- correlation id


def test_request_id_is_echoed_or_generated(client: httpx.Client) -> None:
    given = client.get("/api/v1/health", headers={"X-Request-ID": "abc-123.x"})
    assert given.headers["X-Request-ID"] == "abc-123.x"
    generated = client.get("/api/v1/health")
    assert len(generated.headers["X-Request-ID"]) == 32
    for unsafe in ('x" injected="1', "x" * 200):  # not an id: replaced, never logged as is
        answer = client.get("/api/v1/health", headers={"X-Request-ID": unsafe})
        assert len(answer.headers["X-Request-ID"]) == 32
    missing = client.get("/api/v1/status/req_none", headers={"X-Request-ID": "on-errors-too"})
    assert missing.headers["X-Request-ID"] == "on-errors-too"


def test_jobs_keep_the_request_id_and_the_runner_logs_it(
    client: httpx.Client,
    server: RunningServer,
    mlflow_runs: MlflowRuns,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="deepfix_notebook.server")
    accepted = client.post(
        "/api/v1/analyze",
        json=analyze_body(mlflow_runs.full, mlflow_runs.uri),
        headers={**ASYNC, "X-Request-ID": "corr-42"},
    ).json()
    wait_for_status(client, accepted["request_id"], {"completed"})

    job = SqlJobStore(server.settings.job_store_url).get(accepted["request_id"])
    assert job is not None and job.correlation_id == "corr-42"
    runner = [r for r in caplog.records if r.name == "deepfix_notebook.server._executor"]
    finished = [r for r in runner if r.getMessage() == "analysis finished"]
    assert finished and all(getattr(r, "request_id", None) == "corr-42" for r in finished)

    line = json_formatter().format(finished[0])
    record = json.loads(line)
    assert record["request_id"] == "corr-42"
    assert record["message"] == "analysis finished"
    assert record["level"] == "INFO"
    assert record["job_id"] == accepted["request_id"]
    access = [r for r in caplog.records if r.name == "deepfix_notebook.server.access"]
    assert any(getattr(r, "request_id", None) == "corr-42" for r in access)


# --------------------------------------------------------------------------- settings


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, deepfix_env: Path) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.internal:5000")
    defaults = Settings()
    assert defaults.allowed_tracking_uris == ["http://mlflow.internal:5000"]
    assert defaults.job_store_url == f"sqlite:///{(deepfix_env / 'jobs.db').resolve()}"
    assert (defaults.max_concurrent, defaults.retry_after_seconds) == (10, 30)
    assert defaults.max_body_bytes == 1024 * 1024
    assert defaults.result_ttl_seconds == 86400
    assert defaults.api_key is None

    monkeypatch.setenv("DEEPFIX_ALLOWED_TRACKING_URIS", "http://a:5000, sqlite:////srv/m.db")
    monkeypatch.setenv("DEEPFIX_API_KEY", "k")
    monkeypatch.setenv("DEEPFIX_MAX_CONCURRENT", "3")
    configured = Settings()
    assert configured.allowed_tracking_uris == ["http://a:5000", "sqlite:////srv/m.db"]
    assert (configured.api_key, configured.max_concurrent) == ("k", 3)
    monkeypatch.setenv("DEEPFIX_ALLOWED_TRACKING_URIS", '["http://b:5000"]')
    assert Settings().allowed_tracking_uris == ["http://b:5000"]

    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.delenv("DEEPFIX_ALLOWED_TRACKING_URIS")
    assert Settings().allowed_tracking_uris == []


def test_allowlist_matching_is_exact_up_to_spelling() -> None:
    settings = Settings(allowed_tracking_uris=["http://mlflow:5000"], job_store_url="sqlite://")
    assert settings.allowed_uri("HTTP://MLflow:5000/") == "http://mlflow:5000"
    for other in (
        "http://mlflow:5001",
        "https://mlflow:5000",
        "http://mlflow:5000/other",
        "http://mlflow:5000@169.254.169.254",
        "http://mlflow.evil:5000",
    ):
        assert settings.allowed_uri(other) is None, other
    assert normalize_uri("file:///etc/") == "file:///etc"
    assert redact_uri("postgresql://u:pw@db/mlflow") == "postgresql://u:***@db/mlflow"
    assert redact_uri("http://mlflow:5000") == "http://mlflow:5000"
    assert normalize_uri("sqlite:////a/b.db") != normalize_uri("sqlite:///a/b.db")
