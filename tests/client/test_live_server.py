"""End to end: the clients and `RemoteBackend` against the project's real server (uvicorn on
127.0.0.1) reading a real MLflow SQLite store. Nothing is faked here: requests cross a socket."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from client_helpers import API_KEY, LiveServer

from deepfix_notebook.backends import AnalysisBackend
from deepfix_notebook.backends._remote import RemoteBackend
from deepfix_notebook.client import (
    AsyncDeepFixClient,
    DeepFixClient,
    DeepFixError,
    PollPolicy,
    correlation_id,
)
from deepfix_notebook.contract import (
    AcceptedJob,
    AnalysisResult,
    AnalysisStatus,
    ErrorCode,
    JobState,
    JobStatus,
    KnowledgeQuery,
    QueryType,
)

# Jobs take milliseconds here: poll fast so the suite does not sleep for the §5 schedule.
FAST_POLL = PollPolicy(initial_interval=0.05, max_interval=0.2, max_wait_time=60.0)
DONE = (AnalysisStatus.COMPLETED, AnalysisStatus.PARTIAL)


class CountingTransport(httpx.HTTPTransport):
    """httpx's real transport, counting what it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        return super().handle_request(request)


def make_client(server: LiveServer, **kwargs: Any) -> DeepFixClient:
    return DeepFixClient(server.url, api_key=API_KEY, poll=FAST_POLL, **kwargs)


def test_health(live_server: LiveServer) -> None:
    with make_client(live_server) as client:
        health = client.health(correlation_id="health-check-1")
    assert health.status == "ok"
    assert correlation_id(health) == "health-check-1"


def test_synchronous_analysis_of_a_logged_run(live_server: LiveServer) -> None:
    with make_client(live_server) as client:
        result = client.analyze(
            run_id=live_server.run_id,
            mlflow_uri=live_server.tracking_uri,
            analysis_options={"optimization_focus": ["overfitting"]},
            correlation_id="sync-analysis-1",
        )
    assert isinstance(result, AnalysisResult)
    assert result.status in DONE
    assert result.run_id == live_server.run_id
    assert "TrainingArtifactsAnalyzer" in {a.agent_name for a in result.agent_results}
    assert result.backend == live_server.url
    assert correlation_id(result) == "sync-analysis-1"


def test_submit_poll_and_fetch(live_server: LiveServer) -> None:
    seen: list[JobStatus] = []
    with make_client(live_server) as client:
        job = client.analyze(live_server.run_id, live_server.tracking_uri, wait=False)
        assert isinstance(job, AcceptedJob)
        result = client.wait(job.request_id, on_status=seen.append)
        status = client.status(job.request_id)
        again = client.result(job.request_id)
    assert result.status in DONE and result.request_id == job.request_id
    assert seen[-1].status in (JobState.COMPLETED, JobState.PARTIAL)
    assert status.progress == 1.0 and status.run_id == live_server.run_id
    assert again is not None and again.request_id == job.request_id


def test_unknown_job_is_request_not_found_and_not_retried(live_server: LiveServer) -> None:
    transport = CountingTransport()
    with make_client(live_server, transport=transport) as client:
        with pytest.raises(DeepFixError) as status_error:
            client.status("req_does_not_exist")
        with pytest.raises(DeepFixError) as result_error:
            client.result("req_does_not_exist")
    for raised in (status_error, result_error):
        assert raised.value.code is ErrorCode.REQUEST_NOT_FOUND
        assert raised.value.status_code == 404
        assert raised.value.correlation_id
    assert len(transport.sent) == 2


def test_unknown_run_is_run_not_found_and_not_retried(live_server: LiveServer) -> None:
    transport = CountingTransport()
    with (
        make_client(live_server, transport=transport) as client,
        pytest.raises(DeepFixError) as raised,
    ):
        client.analyze("0" * 32, live_server.tracking_uri)
    assert raised.value.code is ErrorCode.RUN_NOT_FOUND
    assert raised.value.status_code == 404
    assert transport.sent == ["POST /api/v1/analyze"]


def test_a_tracking_uri_off_the_allowlist_is_refused_once(live_server: LiveServer) -> None:
    transport = CountingTransport()
    with (
        make_client(live_server, transport=transport) as client,
        pytest.raises(DeepFixError) as raised,
    ):
        client.analyze(live_server.run_id, "http://elsewhere.invalid:5000")
    assert raised.value.code is ErrorCode.VALIDATION_ERROR
    assert raised.value.status_code == 400
    assert len(transport.sent) == 1


def test_a_wrong_api_key_is_unauthorized_and_not_retried(live_server: LiveServer) -> None:
    transport = CountingTransport()
    with DeepFixClient(live_server.url, api_key="wrong", transport=transport) as client:
        with pytest.raises(DeepFixError) as raised:
            client.query_knowledge("overfitting")
        assert client.health().status == "ok"  # health needs no key
    assert raised.value.code is ErrorCode.UNAUTHORIZED
    assert raised.value.status_code == 401
    assert transport.sent == ["POST /api/v1/knowledge/query", "GET /api/v1/health"]


def test_query_knowledge(live_server: LiveServer) -> None:
    with make_client(live_server) as client:
        response = client.query_knowledge(
            "How to prevent overfitting in CNNs?",
            domain="training",
            max_results=3,
            min_confidence=0.0,
        )
    assert 1 <= len(response.results) <= 3
    assert response.query == "How to prevent overfitting in CNNs?"


def test_async_client_parity(live_server: LiveServer) -> None:
    async def main() -> tuple[AnalysisResult, AnalysisResult, int]:
        async with AsyncDeepFixClient(live_server.url, api_key=API_KEY, poll=FAST_POLL) as client:
            direct, job = await asyncio.gather(
                client.analyze(live_server.run_id, live_server.tracking_uri),
                client.submit(live_server.run_id, live_server.tracking_uri),
            )
            waited = await client.wait(job.request_id)
            knowledge = await client.query_knowledge(
                "learning rate too high", query_type=QueryType.DIAGNOSTIC, min_confidence=0.0
            )
            return direct, waited, len(knowledge.results)

    direct, waited, found = asyncio.run(main())
    assert direct.status in DONE and waited.status in DONE
    assert direct.run_id == waited.run_id == live_server.run_id
    assert found >= 1


def test_remote_backend_over_the_real_server(live_server: LiveServer) -> None:
    client = make_client(live_server)
    backend = RemoteBackend(
        live_server.url, tracking_uri=live_server.tracking_uri, offline="strict", client=client
    )
    progress: list[JobStatus] = []
    try:
        assert isinstance(backend, AnalysisBackend)
        result = backend.analyze(live_server.run_id, on_progress=progress.append)
        assert result.status in DONE and result.backend == live_server.url
        assert progress and progress[-1].progress == 1.0

        request_id = backend.submit(live_server.run_id)
        assert backend.result(request_id, timeout=30).request_id == request_id
        assert backend.status(request_id).status in (JobState.COMPLETED, JobState.PARTIAL)

        knowledge = backend.query_knowledge(
            KnowledgeQuery(
                query="overfitting", query_type=QueryType.BEST_PRACTICE, min_confidence=0.0
            )
        )
        assert knowledge.results
        assert backend.health().status == "ok"
    finally:
        backend.close()
        client.close()
