"""MLflow slow, then hung (issue 17), behind a real delaying TCP proxy (tests/delay_proxy.py)
in front of a real ``mlflow server``: slow requests only make jobs slower (all complete, each
once); a hung MLflow makes the client give up within its retry budget with an error naming
MLflow, not the DeepFix server; when MLflow answers again, so does the server."""

from __future__ import annotations

import time
from typing import Any

import pytest
from delay_proxy import delay_proxy
from server_helpers import ASYNC, StartServer, analyze_body, wait_for_status

from deepfix_notebook.artifacts import log_run
from deepfix_notebook.client import AnalysisError, DeepFixClient

JOBS = 4
BUDGET_S = 15.0  # the client's default retry budget (RetryPolicy.max_total_wait)


def test_slow_then_hung_mlflow(
    start_server: StartServer, mlflow_server: str, run_data: dict[str, Any]
) -> None:
    run_id = log_run(**run_data, tracking_uri=mlflow_server, experiment="slow")
    port = int(mlflow_server.rsplit(":", 1)[1])
    with delay_proxy(port, 0.3) as proxy:
        server = start_server(allowed_tracking_uris=[proxy.url])
        with server.client() as http:
            ids = []
            for i in range(JOBS):
                body = analyze_body(run_id, proxy.url, max_analysis_time=30 + i)
                answer = http.post("/api/v1/analyze", json=body, headers=ASYNC)
                assert answer.status_code == 202, answer.text
                ids.append(answer.json()["request_id"])
            for request_id in ids:
                assert (
                    wait_for_status(http, request_id, {"completed", "failed"}, 60)["status"]
                    == "completed"
                )
            assert proxy.requests > JOBS  # every job went through the slow proxy

            proxy.delay = 120.0  # hung: longer than any timeout on the way
            asked = time.monotonic()
            with (
                DeepFixClient(server.url, offline_mode="strict") as client,
                pytest.raises(AnalysisError) as raised,
            ):
                client.analyze(run_id, proxy.url, {"max_analysis_time": 50})
            waited = time.monotonic() - asked
            proxy.delay = 0.0
            again = http.post(
                "/api/v1/analyze", json=analyze_body(run_id, proxy.url, max_analysis_time=51)
            )
    error = raised.value
    assert waited <= BUDGET_S, f"the client waited {waited:.1f} s"
    assert error.code.value == "MLFLOW_CONNECTION_ERROR" and error.status_code == 503
    assert "MLflow" in str(error) and "DeepFix server" not in str(error)
    assert again.status_code == 200, again.text
