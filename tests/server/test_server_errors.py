"""Every non-2xx answer is the contract's envelope: validation, allowlist, API key, body size,
unknown ids and paths, the concurrency limit, unexpected exceptions."""

from __future__ import annotations

import socket
import threading
from typing import Any

import httpx
import pytest
from server_helpers import (
    ASYNC,
    ENVELOPE_KEYS,
    GatedEngine,
    MlflowRuns,
    StartServer,
    analyze_body,
    wait_for_status,
)

from deepfix_notebook.contract import ErrorResponse
from deepfix_notebook.engine import Engine


def _envelope(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert set(body) == ENVELOPE_KEYS
    ErrorResponse.model_validate(body)
    assert body["error"] == error
    return body


# --------------------------------------------------------------------------- validation


def test_missing_run_id_is_400_naming_the_field(
    client: httpx.Client, mlflow_runs: MlflowRuns
) -> None:
    body = _envelope(
        client.post("/api/v1/analyze", json={"mlflow_tracking_uri": mlflow_runs.uri}),
        400,
        "VALIDATION_ERROR",
    )
    assert body["details"]["field"] == "run_id"
    assert body["details"]["constraint"] == "required"
    assert "run_id" in body["message"]


def test_out_of_range_option_is_400_with_the_value(
    client: httpx.Client, mlflow_runs: MlflowRuns
) -> None:
    request = analyze_body(mlflow_runs.full, mlflow_runs.uri, max_analysis_time=500)
    body = _envelope(client.post("/api/v1/analyze", json=request), 400, "VALIDATION_ERROR")
    assert body["details"]["field"] == "analysis_options.max_analysis_time"
    assert body["details"]["provided"] == 500
    assert "300" in body["details"]["constraint"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b"", b'{"run_id": "", "mlflow_tracking_uri": "http://x"}'],
    ids=["broken-json", "array", "empty", "empty-run-id"],
)
def test_malformed_bodies_are_400(client: httpx.Client, content: bytes) -> None:
    response = client.post(
        "/api/v1/analyze", content=content, headers={"Content-Type": "application/json"}
    )
    _envelope(response, 400, "VALIDATION_ERROR")


def test_broken_json_is_400_saying_so(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/analyze", content=b'{"run_id": ', headers={"Content-Type": "application/json"}
    )
    body = _envelope(response, 400, "VALIDATION_ERROR")
    assert "not valid JSON" in body["message"]
    assert body["details"]["field"] is None


# --------------------------------------------------------------------------- allowlist


@pytest.mark.parametrize(
    "uri", ["file:///etc", "http://169.254.169.254/", "sqlite:////etc/passwd.db"]
)
def test_tracking_uris_off_the_allowlist_are_400(
    client: httpx.Client, mlflow_runs: MlflowRuns, uri: str
) -> None:
    body = _envelope(
        client.post("/api/v1/analyze", json=analyze_body("abc", uri), headers=ASYNC),
        400,
        "VALIDATION_ERROR",
    )
    assert body["details"]["field"] == "mlflow_tracking_uri"
    assert body["details"]["provided"] == uri
    assert mlflow_runs.uri in body["details"]["allowed"]
    assert "mlflow_tracking_uri" in body["message"]


def test_a_host_off_the_allowlist_is_never_contacted(client: httpx.Client) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.5)
        uri = f"http://127.0.0.1:{listener.getsockname()[1]}"
        for headers in ({}, ASYNC):
            response = client.post("/api/v1/analyze", json=analyze_body("r", uri), headers=headers)
            _envelope(response, 400, "VALIDATION_ERROR")
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing ever connected


def test_the_allowlist_matches_equivalent_spellings(
    client: httpx.Client, mlflow_runs: MlflowRuns, down_uri: str
) -> None:
    # Trailing slash and upper-case scheme/host name the same server: allowed (here: down).
    spelled = down_uri.replace("http://", "HTTP://") + "/"
    response = client.post("/api/v1/analyze", json=analyze_body("abc", spelled))
    _envelope(response, 503, "MLFLOW_CONNECTION_ERROR")


# --------------------------------------------------------------------------- API key


def test_api_key_is_required_when_configured(
    start_server: StartServer, mlflow_runs: MlflowRuns
) -> None:
    server = start_server(api_key="s3cret-key")
    with server.client() as http:
        request = analyze_body(mlflow_runs.full, mlflow_runs.uri)
        missing = _envelope(http.post("/api/v1/analyze", json=request), 401, "UNAUTHORIZED")
        assert "Bearer" in missing["message"]
        wrong = http.post("/api/v1/analyze", json=request, headers={"Authorization": "Bearer nope"})
        _envelope(wrong, 401, "UNAUTHORIZED")
        assert wrong.headers["WWW-Authenticate"] == "Bearer"
        for path in ("/api/v1/status/req_x", "/metrics"):
            _envelope(http.get(path), 401, "UNAUTHORIZED")
        assert http.get("/api/v1/health").status_code == 200  # liveness stays open

        auth = {"Authorization": "Bearer s3cret-key"}
        ok = http.post("/api/v1/analyze", json=request, headers=auth)
        assert ok.status_code == 200, ok.text
        assert http.get("/metrics", headers=auth).status_code == 200


# --------------------------------------------------------------------------- body size


def test_declared_body_over_the_limit_is_413(start_server: StartServer) -> None:
    server = start_server(max_body_bytes=2048)
    with server.client() as http:
        response = http.post(
            "/api/v1/analyze",
            content=b'{"run_id": "' + b"x" * 4096 + b'"}',
            headers={"Content-Type": "application/json"},
        )
        body = _envelope(response, 413, "PAYLOAD_TOO_LARGE")
        assert body["details"]["max_body_bytes"] == 2048


def test_streamed_body_over_the_limit_is_413(start_server: StartServer) -> None:
    server = start_server(max_body_bytes=2048)

    def chunks() -> Any:
        yield b'{"run_id": "'
        for _ in range(8):
            yield b"x" * 1024
        yield b'"}'

    with server.client() as http:
        response = http.post(
            "/api/v1/analyze", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert "content-length" not in response.request.headers  # really streamed (chunked)
        _envelope(response, 413, "PAYLOAD_TOO_LARGE")


# --------------------------------------------------------------------------- unknown things


def test_unknown_request_id_is_404(client: httpx.Client) -> None:
    for path in ("/api/v1/status/req_nope", "/api/v1/result/req_nope"):
        body = _envelope(client.get(path), 404, "REQUEST_NOT_FOUND")
        assert body["details"]["request_id"] == "req_nope"


def test_unknown_path_and_method_are_enveloped(client: httpx.Client) -> None:
    _envelope(client.get("/api/v1/nothing-here"), 404, "REQUEST_NOT_FOUND")
    wrong_method = client.get("/api/v1/analyze")
    _envelope(wrong_method, 405, "VALIDATION_ERROR")
    assert "POST" in wrong_method.headers["Allow"]


# --------------------------------------------------------------------------- concurrency


def test_sync_requests_beyond_the_limit_get_429_async_ones_queue(
    start_server: StartServer, mlflow_runs: MlflowRuns
) -> None:
    engine = GatedEngine()
    server = start_server(engine=engine, max_concurrent=1)
    first_body = analyze_body(mlflow_runs.full, mlflow_runs.uri)
    outcome: dict[str, httpx.Response] = {}

    def first_sync() -> None:
        with server.client() as http:
            outcome["first"] = http.post("/api/v1/analyze", json=first_body)

    worker = threading.Thread(target=first_sync)
    worker.start()
    try:
        engine.wait_entered()
        with server.client() as http:
            busy = http.post(
                "/api/v1/analyze", json=analyze_body(mlflow_runs.metrics_only, mlflow_runs.uri)
            )
            body = _envelope(busy, 429, "RATE_LIMIT_EXCEEDED")
            assert busy.headers["Retry-After"] == "30"
            assert body["details"]["max_concurrent"] == 1
            queued = http.post(
                "/api/v1/analyze",
                json=analyze_body(mlflow_runs.metrics_only, mlflow_runs.uri),
                headers=ASYNC,
            )
            assert queued.status_code == 202
            assert queued.json()["status"] == "queued"
            health = http.get("/api/v1/health").json()
            assert "1 running, 1 queued" in health["queue"]
    finally:
        engine.gate.set()
        worker.join(30)
    assert outcome["first"].status_code == 200
    with server.client() as http:
        wait_for_status(http, queued.json()["request_id"], {"completed"})


# --------------------------------------------------------------------------- 500


class _BrokenKnowledge:
    def query(self, query: Any) -> Any:
        raise RuntimeError("secret internal detail /etc/shadow")

    def warm(self) -> None:
        pass

    def cache_info(self) -> Any:
        from deepfix_notebook.engine.knowledge import KnowledgeBridge

        return KnowledgeBridge.default().cache_info()


class _BrokenEngine(Engine):
    """An engine whose knowledge search and analysis raise: the server must not leak why."""

    def __init__(self) -> None:
        super().__init__(knowledge=_BrokenKnowledge())  # type: ignore[arg-type]

    def analyze(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail /etc/shadow")


def test_unexpected_exceptions_are_500_without_internals(
    start_server: StartServer, mlflow_runs: MlflowRuns
) -> None:
    server = start_server(engine=_BrokenEngine())
    with server.client() as http:
        query = {"query": "overfitting", "query_type": "solution"}
        response = http.post(
            "/api/v1/knowledge/query", json=query, headers={"X-Request-ID": "trace-500"}
        )
        body = _envelope(response, 500, "INTERNAL_SERVER_ERROR")
        assert "secret" not in response.text
        assert body["details"]["request_id"] == "trace-500"
        assert response.headers["X-Request-ID"] == "trace-500"

        failed = http.post("/api/v1/analyze", json=analyze_body(mlflow_runs.full, mlflow_runs.uri))
        _envelope(failed, 500, "INTERNAL_SERVER_ERROR")
        assert "secret" not in failed.text
