"""POST /api/v1/analyze, sync and async, against a real MLflow store: results, jobs, the error
scenarios of seed 001 (missing artifacts, unknown run, MLflow down)."""

from __future__ import annotations

import time
from typing import Any

import httpx
from server_helpers import (
    ASYNC,
    ENVELOPE_KEYS,
    GatedEngine,
    MlflowRuns,
    RunningServer,
    StartServer,
    analyze_body,
    wait_for_status,
)

from deepfix_notebook.contract import AcceptedJob, AgentResult, AnalysisResult, JobStatus
from deepfix_notebook.engine import Engine


def test_sync_analyze_answers_a_valid_result(
    client: httpx.Client, server: RunningServer, mlflow_runs: MlflowRuns
) -> None:
    response = client.post("/api/v1/analyze", json=analyze_body(mlflow_runs.full, mlflow_runs.uri))
    assert response.status_code == 200, response.text
    result = AnalysisResult.model_validate_json(response.content)
    assert result.run_id == mlflow_runs.full
    assert result.status.value == "completed"
    names = [agent.agent_name for agent in result.agent_results]
    assert "TrainingArtifactsAnalyzer" in names
    assert "DatasetArtifactsAnalyzer" in names
    assert result.backend == server.url
    # A synchronous analysis is a job too: its result stays reachable by its request id.
    again = client.get(f"/api/v1/result/{result.request_id}")
    assert again.status_code == 200
    assert AnalysisResult.model_validate_json(again.content) == result


def test_async_analyze_is_accepted_then_polled_to_its_result(
    client: httpx.Client, mlflow_runs: MlflowRuns
) -> None:
    response = client.post(
        "/api/v1/analyze", json=analyze_body(mlflow_runs.full, mlflow_runs.uri), headers=ASYNC
    )
    assert response.status_code == 202, response.text
    accepted = AcceptedJob.model_validate_json(response.content)
    assert response.headers["Location"] == accepted.status_url
    assert accepted.status_url.endswith(f"/api/v1/status/{accepted.request_id}")
    assert accepted.result_url.endswith(f"/api/v1/result/{accepted.request_id}")

    final = wait_for_status(client, accepted.request_id, {"completed", "partial", "failed"})
    status = JobStatus.model_validate(final)
    assert status.status.value == "completed"
    assert status.progress == 1.0
    assert status.agents_done >= 3
    assert status.run_id == mlflow_runs.full
    assert status.started_at is not None and status.finished_at is not None
    assert status.submitted_at <= status.started_at <= status.finished_at

    result = client.get(accepted.result_url)
    assert result.status_code == 200
    body = AnalysisResult.model_validate_json(result.content)
    assert body.request_id == accepted.request_id
    assert body.status.value == "completed"


def test_resubmitting_an_in_flight_analysis_returns_the_same_job(
    start_server: StartServer, mlflow_runs: MlflowRuns
) -> None:
    engine = GatedEngine()
    server = start_server(engine=engine)
    body = analyze_body(mlflow_runs.full, mlflow_runs.uri)
    with server.client() as http:
        try:
            first = http.post("/api/v1/analyze", json=body, headers=ASYNC).json()
            engine.wait_entered()
            second = http.post("/api/v1/analyze", json=body, headers=ASYNC).json()
            assert second["request_id"] == first["request_id"]
            assert second["status"] == "running"
            # While running, the result is not there yet: 202 with the status and Retry-After.
            pending = http.get(first["result_url"])
            assert pending.status_code == 202
            assert pending.headers["Retry-After"] == "2"
            assert pending.json()["status"] == "running"
            # Other options are another analysis.
            other = http.post(
                "/api/v1/analyze",
                json=analyze_body(mlflow_runs.full, mlflow_runs.uri, max_analysis_time=45),
                headers=ASYNC,
            ).json()
            assert other["request_id"] != first["request_id"]
        finally:
            engine.gate.set()
        wait_for_status(http, first["request_id"], {"completed"})
        wait_for_status(http, other["request_id"], {"completed"})
        # Once finished, the same request is a new analysis.
        third = http.post("/api/v1/analyze", json=body, headers=ASYNC).json()
        assert third["request_id"] != first["request_id"]
        wait_for_status(http, third["request_id"], {"completed"})


def test_missing_artifacts_give_a_result_with_warnings(
    client: httpx.Client, mlflow_runs: MlflowRuns
) -> None:
    response = client.post(
        "/api/v1/analyze", json=analyze_body(mlflow_runs.metrics_only, mlflow_runs.uri)
    )
    assert response.status_code == 200, response.text
    result = AnalysisResult.model_validate_json(response.content)
    assert result.status.value in {"completed", "partial"}
    names = {agent.agent_name for agent in result.agent_results}
    assert "TrainingArtifactsAnalyzer" in names
    assert "DatasetArtifactsAnalyzer" not in names
    assert "DeepchecksArtifactsAnalyzer" not in names
    text = " ".join(result.warnings).lower()
    assert "dataset" in text and "deepchecks" in text


def test_unknown_run_is_404_run_not_found(client: httpx.Client, mlflow_runs: MlflowRuns) -> None:
    response = client.post("/api/v1/analyze", json=analyze_body("0" * 32, mlflow_runs.uri))
    assert response.status_code == 404
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["error"] == "RUN_NOT_FOUND"
    assert body["details"]["run_id"] == "0" * 32


def test_mlflow_down_is_503_with_retry_after_in_seconds(
    client: httpx.Client, down_uri: str
) -> None:
    start = time.monotonic()
    response = client.post("/api/v1/analyze", json=analyze_body("abc123", down_uri))
    assert time.monotonic() - start < 10
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["error"] == "MLFLOW_CONNECTION_ERROR"
    assert body["details"]["tracking_uri"] == down_uri
    assert "suggestion" in body["details"]


def test_async_job_that_fails_keeps_its_error(client: httpx.Client, down_uri: str) -> None:
    accepted = client.post(
        "/api/v1/analyze", json=analyze_body("abc123", down_uri), headers=ASYNC
    ).json()
    status = wait_for_status(client, accepted["request_id"], {"failed"})
    assert "Cannot reach the MLflow tracking store" in status["error"]
    result = client.get(accepted["result_url"])
    assert result.status_code == 503
    assert result.json()["error"] == "MLFLOW_CONNECTION_ERROR"
    assert result.headers["Retry-After"] == "30"  # on every route (CONTRACT.md §4)


class _DeadlineEngine(Engine):
    """Answers what the real engine answers when agents run past ``max_analysis_time`` (at
    least 30 s, too long to wait for in a test): one agent late, or every one of them."""

    def __init__(self, *, all_late: bool) -> None:
        super().__init__()
        self.all_late = all_late

    def analyze(self, bundle: Any, *args: Any, **kwargs: Any) -> AnalysisResult:
        deadline = kwargs["deadline"]
        late = AgentResult(
            agent_name="OptimizationAdvisorAgent",
            error_message=f"OptimizationAdvisorAgent did not finish within {deadline:.1f} s.",
        )
        agents = [late]
        if not self.all_late:
            agents.insert(0, AgentResult(agent_name="TrainingArtifactsAnalyzer"))
        return AnalysisResult(
            request_id=kwargs["request_id"],
            run_id=kwargs["run_id"],
            status="partial",
            summary="Partial analysis.",
            agent_results=agents,
            execution_time=deadline,
            warnings=["OptimizationAdvisorAgent did not complete"],
        )


def test_a_late_agent_gives_a_partial_result(
    start_server: StartServer, mlflow_runs: MlflowRuns
) -> None:
    server = start_server(engine=_DeadlineEngine(all_late=False))
    with server.client() as http:
        response = http.post(
            "/api/v1/analyze", json=analyze_body(mlflow_runs.full, mlflow_runs.uri)
        )
    assert response.status_code == 200
    result = AnalysisResult.model_validate_json(response.content)
    assert result.status.value == "partial"
    assert result.warnings == ["OptimizationAdvisorAgent did not complete"]


def test_nothing_finished_in_time_is_504(
    start_server: StartServer, mlflow_runs: MlflowRuns
) -> None:
    server = start_server(engine=_DeadlineEngine(all_late=True))
    with server.client() as http:
        body = analyze_body(mlflow_runs.full, mlflow_runs.uri, max_analysis_time=30)
        response = http.post("/api/v1/analyze", json=body)
        assert response.status_code == 504
        envelope = response.json()
        assert envelope["error"] == "ANALYSIS_TIMEOUT"
        assert envelope["details"]["max_analysis_time"] == 30
        accepted = http.post("/api/v1/analyze", json=body, headers=ASYNC).json()
        status = wait_for_status(http, accepted["request_id"], {"failed"})
        assert "No agent finished within max_analysis_time" in status["error"]
        assert http.get(accepted["result_url"]).status_code == 504


def test_errors_never_quote_a_tracking_password(start_server: StartServer, down_uri: str) -> None:
    secret_uri = down_uri.replace("http://", "http://deepfix:hunter2@")
    server = start_server(allowed_tracking_uris=[secret_uri])
    with server.client() as http:
        down = http.post("/api/v1/analyze", json=analyze_body("abc", secret_uri))
        refused = http.post("/api/v1/analyze", json=analyze_body("abc", "http://elsewhere:1"))
    assert down.status_code == 503
    assert refused.status_code == 400
    for response in (down, refused):
        assert "hunter2" not in response.text
        assert "deepfix:***@" in response.text
