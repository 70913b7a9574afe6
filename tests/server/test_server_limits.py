"""Limits per analysis (issue 17): layout files larger than ``max_artifact_bytes`` together are
413 before they are downloaded, metrics longer than ``max_metric_rows`` are 422; both name the
setting to change, and are not retried."""

from __future__ import annotations

from typing import Any

import pytest
from server_helpers import ASYNC, ENVELOPE_KEYS, StartServer, analyze_body, wait_for_status

from deepfix_notebook.artifacts import log_run

ROWS = 2_000


def _long_run(uri: str, experiment: str) -> str:
    steps = range(ROWS)
    metrics: dict[str, list[Any]] = {
        "step": list(steps),
        "epoch": [s / 100 for s in steps],
        "train_loss": [2.0 / (1 + s / 300) for s in steps],
        "val_loss": [2.1 / (1 + s / 350) for s in steps],
    }
    return log_run(metrics=metrics, tracking_uri=uri, experiment=experiment)


@pytest.fixture(params=["sqlite", "mlflow-server"])
def tracking(request: pytest.FixtureRequest) -> str:
    """The server's store: a local SQLite one, and a real ``mlflow server`` (proxied artifacts,
    whose listing gives the sizes checked before any download)."""
    if request.param == "sqlite":
        uri: str = request.getfixturevalue("mlflow_runs").uri
        return uri
    server: str = request.getfixturevalue("mlflow_server")
    return server


@pytest.mark.parametrize(
    ("limit", "status", "code", "setting"),
    [
        ({"max_artifact_bytes": 4096}, 413, "PAYLOAD_TOO_LARGE", "DEEPFIX_MAX_ARTIFACT_BYTES"),
        ({"max_metric_rows": ROWS // 2}, 422, "ARTIFACT_INVALID", "DEEPFIX_MAX_METRIC_ROWS"),
    ],
)
def test_a_run_beyond_a_limit_is_refused_naming_the_setting(
    start_server: StartServer,
    tracking: str,
    limit: dict[str, int],
    status: int,
    code: str,
    setting: str,
) -> None:
    run_id = _long_run(tracking, "limits")
    server = start_server(allowed_tracking_uris=[tracking], **limit)
    with server.client() as http:
        answer = http.post("/api/v1/analyze", json=analyze_body(run_id, tracking))
        assert answer.status_code == status, answer.text
        envelope = answer.json()
        assert set(envelope) == ENVELOPE_KEYS and envelope["error"] == code
        assert envelope["details"]["setting"] == setting and setting in envelope["message"]
        assert "Retry-After" not in answer.headers

        body = analyze_body(run_id, tracking, max_analysis_time=31)
        accepted = http.post("/api/v1/analyze", json=body, headers=ASYNC).json()
        wait_for_status(http, accepted["request_id"], {"failed"})
        assert http.get(accepted["result_url"]).status_code == status


def test_a_run_within_the_limits_is_analysed(start_server: StartServer, tracking: str) -> None:
    run_id = _long_run(tracking, "limits")
    server = start_server(
        allowed_tracking_uris=[tracking], max_artifact_bytes=1 << 20, max_metric_rows=ROWS
    )
    with server.client() as http:
        answer = http.post("/api/v1/analyze", json=analyze_body(run_id, tracking))
    assert answer.status_code == 200, answer.text
