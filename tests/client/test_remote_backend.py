"""`RemoteBackend`: the `AnalysisBackend` protocol over the client, what it can send, and its
offline modes against a refused 127.0.0.1 port (strict raises, fallback warns and goes on,
local runs the embedded engine on the local MLflow store)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import httpx
import pytest
from client_helpers import FakeClock, FakeJobs, Script, envelope

from deepfix_notebook.backends import AnalysisBackend, JobNotFound, fallback_notice
from deepfix_notebook.backends._remote import (
    LOCAL_BACKEND_NAME,
    RemoteBackend,
    ServerUnreachableWarning,
)
from deepfix_notebook.client import DeepFixClient, DeepFixConnectionError, DeepFixError, RetryPolicy
from deepfix_notebook.contract import (
    AnalysisOptions,
    AnalysisStatus,
    JobState,
    JobStatus,
    KnowledgeQuery,
    OptimizationFocus,
    QueryType,
)

URL = "http://deepfix.test"
TRACKING = "http://mlflow.test:5000"
RUN = "0123456789abcdef0123456789abcdef"  # the shape of an MLflow run id (not a run name)


def backend_for(
    handler: object, clock: FakeClock, *, offline: str = "fallback", tracking_uri: str = TRACKING
) -> RemoteBackend:
    client = DeepFixClient(
        URL,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        sleep=clock.sleep,
        clock=clock,
        retry=RetryPolicy(jitter=0.0),
    )
    return RemoteBackend(URL, tracking_uri=tracking_uri, offline=offline, client=client)  # type: ignore[arg-type]


def refused_backend(
    refused_uri: str, clock: FakeClock, offline: str, tracking_uri: str = TRACKING
) -> RemoteBackend:
    client = DeepFixClient(
        refused_uri, sleep=clock.sleep, clock=clock, retry=RetryPolicy(jitter=0.0)
    )
    return RemoteBackend(
        refused_uri,
        tracking_uri=tracking_uri,
        offline=offline,  # type: ignore[arg-type]
        client=client,
    )


# --------------------------------------------------------------------------- the protocol


def test_is_an_analysis_backend_named_after_its_server() -> None:
    backend = RemoteBackend("http://deepfix.test:8000/", tracking_uri=TRACKING)
    try:
        assert isinstance(backend, AnalysisBackend)
        assert backend.name == "http://deepfix.test:8000"
        assert backend.tracking_uri == TRACKING
    finally:
        backend.close()


def test_analyze_submits_and_reports_progress(clock: FakeClock) -> None:
    jobs = FakeJobs(polls_until_done=3)
    seen: list[JobStatus] = []
    backend = backend_for(jobs, clock)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ServerUnreachableWarning)
        result = backend.analyze(
            f"runs:/{RUN}",
            AnalysisOptions(optimization_focus=[OptimizationFocus.OVERFITTING]),
            None,
            on_progress=seen.append,
        )
    assert result.status is AnalysisStatus.COMPLETED
    assert result.backend == URL
    assert [s.status for s in seen] == [JobState.RUNNING, JobState.RUNNING, JobState.COMPLETED]
    assert jobs.seen[0] == "POST /api/v1/analyze"
    assert clock.sleeps == [1.0, 1.5]


def test_the_request_names_the_run_and_the_tracking_uri(clock: FakeClock) -> None:
    script = Script(FakeJobs(polls_until_done=1))
    backend_for(script, clock).submit(RUN)
    body = json.loads(script.requests[0].content)
    assert (body["run_id"], body["mlflow_tracking_uri"]) == (RUN, TRACKING)
    assert script.requests[0].headers["Prefer"] == "respond-async"


def test_status_and_result_of_a_submitted_job(clock: FakeClock) -> None:
    backend = backend_for(FakeJobs(polls_until_done=2), clock)
    request_id = backend.submit(RUN)
    assert backend.status(request_id).status is JobState.RUNNING
    assert backend.result(request_id).backend == URL


def test_unknown_job_is_job_not_found_as_with_the_local_backend(clock: FakeClock) -> None:
    backend = backend_for(FakeJobs(), clock)
    with pytest.raises(JobNotFound):
        backend.status("req_missing")
    with pytest.raises(JobNotFound):
        backend.result("req_missing")


def test_result_times_out_as_a_timeout_error(clock: FakeClock) -> None:
    backend = backend_for(FakeJobs(polls_until_done=10_000), clock)
    with pytest.raises(TimeoutError):
        backend.result("req_1", timeout=3.0)
    assert clock.now == pytest.approx(3.0)


# --------------------------------------------------------------------------- what can be sent


def test_a_tracking_uri_is_required_for_remote_analysis(clock: FakeClock) -> None:
    script = Script(FakeJobs())
    backend = RemoteBackend(URL, client=DeepFixClient(URL, transport=script.transport))
    with pytest.raises(ValueError, match="needs tracking_uri"):
        backend.analyze(RUN)
    with pytest.raises(ValueError, match="needs tracking_uri"):
        backend.submit(RUN)
    assert script.requests == []


def test_directories_and_dataframes_are_not_sent(
    clock: FakeClock, make_run_dir: object, tmp_path: Path
) -> None:
    import pandas as pd

    from deepfix_notebook.artifacts import load_run

    run_dir = make_run_dir()  # type: ignore[operator]
    script = Script(FakeJobs())
    backend = backend_for(script, clock)
    for source in (run_dir, str(run_dir), "./runs/exp1", load_run(run_dir)):
        with pytest.raises(ValueError, match=r"connect\('local'\)"):
            backend.analyze(source)
    with pytest.raises(ValueError, match=r"connect\('local'\)"):
        backend.analyze(pd.DataFrame({"train_loss": [1.0, 0.5, 0.2]}))
    with pytest.raises(TypeError, match="not a run: give an MLflow run id"):
        backend.analyze(object())
    from deepfix_notebook.artifacts import ArtifactError

    with pytest.raises(ArtifactError, match="empty"):
        backend.analyze("  ")
    assert script.requests == []


def test_a_bundle_loaded_from_mlflow_is_sent_by_run_id(
    clock: FakeClock, local_run: tuple[str, str]
) -> None:
    from deepfix_notebook.artifacts import load_run

    uri, run_id = local_run
    script = Script(FakeJobs(polls_until_done=1))
    backend_for(script, clock).submit(load_run(run_id, tracking_uri=uri))
    assert json.loads(script.requests[0].content)["run_id"] == run_id


def test_an_unknown_offline_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="strict, fallback, local"):
        RemoteBackend(URL, tracking_uri=TRACKING, offline="maybe")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- offline modes


def test_strict_raises_the_connection_error(refused_uri: str, clock: FakeClock) -> None:
    backend = refused_backend(refused_uri, clock, "strict")
    with pytest.raises(DeepFixConnectionError) as raised:
        backend.analyze(RUN)
    assert raised.value.url == refused_uri
    assert clock.sleeps == [1.0, 2.0, 4.0]  # retried first
    with pytest.raises(DeepFixConnectionError):
        backend.health()


def test_fallback_analyses_with_the_embedded_engine_and_says_so(
    refused_uri: str, clock: FakeClock, local_run: tuple[str, str]
) -> None:
    uri, run_id = local_run
    backend = refused_backend(refused_uri, clock, "fallback", tracking_uri=uri)
    try:
        with pytest.warns(ServerUnreachableWarning, match="embedded engine") as caught:
            result = backend.analyze(run_id)
        assert caught[0].filename == __file__  # points at the caller
        assert result.status in (AnalysisStatus.COMPLETED, AnalysisStatus.PARTIAL)
        assert result.agent_results and result.run_id == run_id
        assert result.backend == LOCAL_BACKEND_NAME
        notice = fallback_notice(result)
        assert notice is not None and notice.startswith(f"Server {refused_uri} unreachable; ")
        assert "analysed by the embedded engine in this process" in notice
        assert notice == result.warnings[0]
        assert "Connection refused" in result.warnings[1]  # the reason, next

        with pytest.warns(ServerUnreachableWarning):
            request_id = backend.submit(run_id)
        submitted = backend.result(request_id, timeout=60)
        assert submitted.run_id == run_id and fallback_notice(submitted) is not None
        assert backend.status(request_id).status in (JobState.COMPLETED, JobState.PARTIAL)
    finally:
        backend.close()


def test_fallback_without_a_readable_run_fails_saying_what_and_what_to_do(
    refused_uri: str, clock: FakeClock, local_run: tuple[str, str]
) -> None:
    uri, _ = local_run
    backend = refused_backend(refused_uri, clock, "fallback", tracking_uri=uri)
    try:
        with pytest.warns(ServerUnreachableWarning, match="unreachable"):
            result = backend.analyze(RUN)  # not in the local store either
        assert result.status is AnalysisStatus.FAILED and result.agent_results == []
        assert result.run_id == RUN and fallback_notice(result) is None
        assert result.backend == f"{refused_uri} (unreachable)"
        assert refused_uri in result.warnings[0] and "Connection" in result.warnings[0]
        assert "could not read the run here either" in result.warnings[1]
        assert RUN in result.warnings[1]  # the embedded engine's own error, naming the run
        assert "once the server is back" in result.summary and "--tracking-uri" in result.summary

        with pytest.warns(ServerUnreachableWarning):
            request_id = backend.submit(RUN)
        assert backend.result(request_id, timeout=60).status is AnalysisStatus.FAILED
        assert backend.status(request_id).status is JobState.FAILED
    finally:
        backend.close()


def test_fallback_without_the_engine_goes_on_without_analysis(
    refused_uri: str, clock: FakeClock, local_run: tuple[str, str]
) -> None:
    """What a training loop asks for (CONTRACT.md §5): warn, and a failed result at once, even
    for a run this process could read."""
    uri, run_id = local_run
    client = DeepFixClient(refused_uri, sleep=clock.sleep, clock=clock, retry=RetryPolicy(jitter=0))
    backend = RemoteBackend(refused_uri, tracking_uri=uri, client=client, fallback_engine=False)
    with pytest.warns(ServerUnreachableWarning, match="Continuing without analysis") as caught:
        result = backend.analyze(run_id)
    assert caught[0].filename == __file__
    assert result.status is AnalysisStatus.FAILED and result.agent_results == []
    assert result.backend == f"{refused_uri} (unreachable)"
    assert "connect('local')" in result.summary
    with pytest.warns(ServerUnreachableWarning):
        request_id = backend.submit(run_id)
    assert backend.status(request_id).status is JobState.FAILED
    assert backend.result(request_id).status is AnalysisStatus.FAILED


def test_fallback_knowledge_and_health(refused_uri: str, clock: FakeClock) -> None:
    backend = refused_backend(refused_uri, clock, "fallback")
    try:
        with pytest.warns(ServerUnreachableWarning, match="embedded knowledge base"):
            query = KnowledgeQuery(query="validation loss rises", query_type=QueryType.DIAGNOSTIC)
            response = backend.query_knowledge(query)
        assert response.results and response.query == "validation loss rises"
        health = backend.health()
        assert health.status == "degraded" and refused_uri in health.engine
    finally:
        backend.close()


def test_fallback_also_covers_server_errors_after_retries(clock: FakeClock) -> None:
    backend = backend_for(Script(envelope(503, "MLFLOW_CONNECTION_ERROR")), clock)
    with pytest.warns(ServerUnreachableWarning, match="MLFLOW_CONNECTION_ERROR"):
        result = backend.analyze(RUN)  # nor can this process reach http://mlflow.test
    assert result.status is AnalysisStatus.FAILED and "MLflow" in result.summary
    assert clock.sleeps == [1.0, 2.0, 4.0]


@pytest.mark.parametrize("offline", ["fallback", "local"])
def test_client_errors_are_raised_in_every_mode(clock: FakeClock, offline: str) -> None:
    backend = backend_for(
        Script(envelope(404, "RUN_NOT_FOUND", "Run run_1 not found")), clock, offline=offline
    )
    with pytest.raises(DeepFixError) as raised:
        backend.analyze(RUN)
    assert raised.value.code.value == "RUN_NOT_FOUND"


def test_local_analyses_the_local_run_instead(
    refused_uri: str, clock: FakeClock, local_run: tuple[str, str]
) -> None:
    uri, run_id = local_run
    backend = refused_backend(refused_uri, clock, "local", tracking_uri=uri)
    seen: list[JobStatus] = []
    try:
        with pytest.warns(ServerUnreachableWarning, match="embedded engine"):
            result = backend.analyze(run_id, on_progress=seen.append)
        assert result.status in (AnalysisStatus.COMPLETED, AnalysisStatus.PARTIAL)
        assert result.run_id == run_id
        assert result.backend == LOCAL_BACKEND_NAME == "local (server unreachable)"
        assert any(refused_uri in w and "embedded engine" in w for w in result.warnings)
        assert result.agent_results
        assert seen and seen[-1].progress == 1.0

        with pytest.warns(ServerUnreachableWarning):
            request_id = backend.submit(f"runs:/{run_id}")
        assert backend.result(request_id, timeout=60).run_id == run_id
        assert backend.status(request_id).status in (JobState.COMPLETED, JobState.PARTIAL)

        with pytest.warns(ServerUnreachableWarning):
            knowledge = backend.query_knowledge(
                KnowledgeQuery(query="validation loss rises", query_type=QueryType.DIAGNOSTIC)
            )
        assert knowledge.results
        health = backend.health()
        assert health.status == "degraded" and refused_uri in health.engine
    finally:
        backend.close()
