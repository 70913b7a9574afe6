"""Errors on the right side (CONTRACT.md §4), with real uvicorn servers and real MLflow: a run
whose artifacts are broken for good (a link out of its artifacts, a FIFO, a plain HTTP artifact
location) is a 4xx naming what to fix, not retried; a job that failed because MLflow was down
answers 503 with Retry-After; credentials of an allowed tracking URI are used and never
logged; a run id is never read as a path."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
import pytest
from auth_proxy import auth_proxy
from mlflow import MlflowClient
from server_helpers import ASYNC, ENVELOPE_KEYS, StartServer, analyze_body, wait_for_status

from deepfix_notebook.artifacts import log_run, write_run
from deepfix_notebook.client import AnalysisError, DeepFixClient, ValidationError

METRICS = "training_artifacts/metrics.csv"


class CountingTransport(httpx.HTTPTransport):
    """httpx's real transport, counting the requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        return super().handle_request(request)


def _artifacts(uri: str, run_id: str) -> Path:
    parsed = urlparse(MlflowClient(tracking_uri=uri).get_run(run_id).info.artifact_uri)
    return Path(unquote(parsed.path))


def _linked_out(uri: str, run_id: str, tmp_path: Path) -> None:
    metrics = _artifacts(uri, run_id) / METRICS
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(metrics.read_bytes())
    metrics.unlink()
    metrics.symlink_to(outside)


def _fifo(uri: str, run_id: str, tmp_path: Path) -> None:
    metrics = _artifacts(uri, run_id) / METRICS
    metrics.unlink()
    os.mkfifo(metrics)


BREAKAGES: dict[str, Callable[[str, str, Path], None]] = {"link": _linked_out, "fifo": _fifo}


@pytest.fixture
def store(copy_blank_store: Callable[[Path], str], tmp_path: Path) -> str:
    return copy_blank_store(tmp_path / "store" / "mlflow.db")


def _broken_run(kind: str, uri: str, run_data: dict[str, Any], tmp_path: Path) -> str:
    if kind == "plain-http":
        client = MlflowClient(tracking_uri=uri)
        experiment = client.create_experiment("plain", artifact_location="http://127.0.0.1:9/x")
        run_id: str = client.create_run(experiment).info.run_id
        for step in range(5):
            client.log_metric(run_id, "train_loss", 1.0 / (step + 1), step=step)
        return run_id
    run_id = log_run(**run_data, tracking_uri=uri, experiment="faults")
    BREAKAGES[kind](uri, run_id, tmp_path)
    return run_id


@pytest.mark.parametrize(
    ("kind", "where"),
    [("link", METRICS), ("fifo", METRICS), ("plain-http", "artifact_location")],
)
def test_a_permanent_artifact_problem_is_422_naming_it_and_not_retried(
    start_server: StartServer,
    store: str,
    run_data: dict[str, Any],
    tmp_path: Path,
    kind: str,
    where: str,
) -> None:
    run_id = _broken_run(kind, store, run_data, tmp_path)
    server = start_server(allowed_tracking_uris=[store])
    body = analyze_body(run_id, store)
    with server.client() as http:
        answer = http.post("/api/v1/analyze", json=body)
        assert answer.status_code == 422, answer.text
        assert "Retry-After" not in answer.headers
        envelope = answer.json()
        assert set(envelope) == ENVELOPE_KEYS
        assert envelope["error"] == "ARTIFACT_INVALID"
        assert where in (envelope["details"].get("file"), envelope["details"].get("field"))
        assert where in envelope["message"] or "artifact location" in envelope["message"]

        accepted = http.post("/api/v1/analyze", json=body, headers=ASYNC).json()
        wait_for_status(http, accepted["request_id"], {"failed"})
        result = http.get(accepted["result_url"])
        assert result.status_code == 422 and "Retry-After" not in result.headers

    transport = CountingTransport()
    with (
        DeepFixClient(server.url, transport=transport, offline_mode="fallback") as client,
        pytest.raises(AnalysisError) as raised,
    ):
        client.analyze(run_id, store)
    assert raised.value.status_code == 422 and raised.value.code.value == "ARTIFACT_INVALID"
    assert transport.sent == ["POST /api/v1/analyze"]  # once: a 4xx is final


def test_a_job_failed_by_mlflow_down_answers_503_with_retry_after(
    start_server: StartServer, down_uri: str
) -> None:
    server = start_server(allowed_tracking_uris=[down_uri], retry_after_seconds=11)
    with server.client() as http:
        accepted = http.post(
            "/api/v1/analyze", json=analyze_body("0" * 32, down_uri), headers=ASYNC
        ).json()
        wait_for_status(http, accepted["request_id"], {"failed"})
        for _ in range(2):  # every time it is asked
            result = http.get(accepted["result_url"])
            assert result.status_code == 503
            assert result.json()["error"] == "MLFLOW_CONNECTION_ERROR"
            assert result.headers["Retry-After"] == "11"


def test_credentials_of_an_allowed_uri_are_used_and_never_logged(
    start_server: StartServer,
    mlflow_server: str,
    run_data: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    run_id = log_run(**run_data, tracking_uri=mlflow_server, experiment="server-credentials")
    with auth_proxy(mlflow_server, "deepfix", "hunter2") as proxy:
        uri = proxy.url("deepfix", "hunter2")
        server = start_server(allowed_tracking_uris=[uri])
        with server.client() as http:
            answer = http.post("/api/v1/analyze", json=analyze_body(run_id, uri))
    assert answer.status_code == 200, answer.text
    assert answer.json()["run_id"] == run_id
    assert proxy.seen and all(authorized for _, _, authorized in proxy.seen)
    logged = "\n".join(str(record.__dict__) for record in caplog.records)
    assert "hunter2" not in logged and "hunter2" not in answer.text


def test_wrong_credentials_of_an_allowed_uri_are_a_400_not_retried_and_never_echoed(
    start_server: StartServer,
    mlflow_server: str,
    run_data: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    run_id = log_run(**run_data, tracking_uri=mlflow_server, experiment="server-credentials")
    with auth_proxy(mlflow_server, "deepfix", "hunter2") as proxy:
        uri = proxy.url("deepfix", "wrong-pw")
        server = start_server(allowed_tracking_uris=[uri])
        with server.client() as http:
            answer = http.post("/api/v1/analyze", json=analyze_body(run_id, uri))
            accepted = http.post(
                "/api/v1/analyze", json=analyze_body(run_id, uri), headers=ASYNC
            ).json()
            wait_for_status(http, accepted["request_id"], {"failed"})
            result = http.get(accepted["result_url"])
        transport = CountingTransport()
        with (
            DeepFixClient(server.url, transport=transport, offline_mode="fallback") as client,
            pytest.raises(ValidationError) as raised,
        ):
            client.analyze(run_id, uri)
    assert answer.status_code == 400, answer.text
    assert "Retry-After" not in answer.headers
    envelope = answer.json()
    assert set(envelope) == ENVELOPE_KEYS and envelope["error"] == "VALIDATION_ERROR"
    assert envelope["details"]["status"] == 401 and envelope["details"]["side"] == "mlflow"
    assert "DEEPFIX_ALLOWED_TRACKING_URIS" in envelope["message"]
    assert "MLflow's login" in envelope["message"]
    assert result.status_code == 400 and "Retry-After" not in result.headers
    assert transport.sent == ["POST /api/v1/analyze"]  # once: credentials are not retried
    assert raised.value.status_code == 400
    assert proxy.seen and not any(authorized for _, _, authorized in proxy.seen)
    logged = "\n".join(str(record.__dict__) for record in caplog.records)
    shown = answer.text + result.text + str(raised.value)
    assert "wrong-pw" not in logged and "wrong-pw" not in shown
    assert "deepfix:***@" in envelope["message"]


def test_a_run_id_that_is_a_path_is_never_read_as_a_directory(
    start_server: StartServer,
    store: str,
    run_data: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    write_run(tmp_path / "etc", **run_data)  # a valid run at ../../etc of the server's cwd
    server = start_server(allowed_tracking_uris=[store])
    with server.client() as http:
        answer = http.post("/api/v1/analyze", json=analyze_body("../../etc", store))
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == "RUN_NOT_FOUND"
    assert "32 hexadecimal characters" in answer.json()["message"]
