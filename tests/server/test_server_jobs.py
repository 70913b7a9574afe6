"""The job store: idempotency, attempts, recovery after a restart (no accepted job lost), TTL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from server_helpers import (
    ASYNC,
    GatedEngine,
    MlflowRuns,
    StartServer,
    analyze_body,
    wait_for_status,
)

from deepfix_notebook.contract import (
    AnalysisRequest,
    AnalysisResult,
    ErrorCode,
    ErrorResponse,
    JobState,
    utc_now,
)
from deepfix_notebook.server._jobs import Job, SqlJobStore, analysis_key
from deepfix_notebook.server._jobs import jobs as jobs_table

CRASHED = "crashed-host:1:00000000"  # an owner on another host that stopped heartbeating


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlJobStore]:
    """The job store in a SQLite file, and in a real PostgreSQL (emptied after each test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    jobs = SqlJobStore(url)
    jobs.open()
    yield jobs
    if request.param == "postgresql":
        with jobs._begin() as conn:
            conn.execute(sa.delete(jobs_table))
    jobs.close()


def _submit(store: SqlJobStore, request_id: str, request: AnalysisRequest) -> tuple[Job, bool]:
    job = Job(
        request_id=request_id,
        run_id=request.run_id,
        tracking_uri=request.mlflow_tracking_uri,
        request=request,
        status=JobState.QUEUED,
        submitted_at=utc_now(),
        owner=CRASHED,
    )
    return store.create(job, analysis_key(request, request.mlflow_tracking_uri))


def _request(run_id: str, uri: str = "http://mlflow:5000", **options: object) -> AnalysisRequest:
    return AnalysisRequest.model_validate(analyze_body(run_id, uri, **options))


def _result(request_id: str) -> AnalysisResult:
    return AnalysisResult(
        request_id=request_id, run_id="r", status="failed", summary="", execution_time=0.0
    )


# --------------------------------------------------------------------------- the store alone


def test_one_in_flight_job_per_analysis(store: SqlJobStore) -> None:
    _, created = _submit(store, "req_1", _request("r"))
    assert created
    again, created = _submit(store, "req_2", _request("r"))
    assert (again.request_id, created) == ("req_1", False)
    other, created = _submit(store, "req_3", _request("r", max_analysis_time=45))
    assert created and other.request_id == "req_3"

    claimed = store.claim("req_1", "me")
    assert claimed is not None and claimed.attempts == 1 and claimed.status is JobState.RUNNING
    assert store.claim("req_1", "someone-else") is None  # never run twice
    assert _submit(store, "req_4", _request("r"))[0].request_id == "req_1"  # still in flight
    assert store.finish("req_1", 1, result=_result("req_1"))
    fresh, created = _submit(store, "req_5", _request("r"))
    assert created and fresh.request_id == "req_5"  # finished: the same analysis runs anew


def test_an_abandoned_attempt_cannot_overwrite_a_newer_one(store: SqlJobStore) -> None:
    _submit(store, "req_1", _request("r"))
    store.claim("req_1", CRASHED)
    recovery = store.recover("me", stale_after=0.0)
    assert recovery.to_run == ["req_1"]
    second = store.claim("req_1", "me")
    assert second is not None and second.attempts == 2
    stale_error = ErrorResponse(error=ErrorCode.INTERNAL_SERVER_ERROR, message="old run")
    assert not store.finish("req_1", 1, error=stale_error)
    store.set_progress("req_1", 1, 5, 1.0)
    job = store.get("req_1")
    assert job is not None and job.status is JobState.RUNNING and job.agents_done == 0
    assert store.finish("req_1", 2, result=_result("req_1"))


def test_purge_removes_only_finished_jobs_past_the_ttl(store: SqlJobStore) -> None:
    _submit(store, "req_old", _request("a"))
    _submit(store, "req_queued", _request("b"))
    store.claim("req_old", "me")
    store.finish("req_old", 1, result=_result("req_old"))
    assert store.purge(ttl_seconds=3600) == 0
    time.sleep(0.05)
    assert store.purge(ttl_seconds=0.01) == 1
    assert store.get("req_old") is None
    assert store.get("req_queued") is not None


def test_servers_starting_together_share_one_schema(tmp_path: Path) -> None:
    for round_ in range(5):  # the race is timing-dependent: a few rounds catch it reliably
        url = f"sqlite:///{tmp_path / f'jobs-{round_}.db'}"
        stores = [SqlJobStore(url) for _ in range(3)]
        errors: list[BaseException] = []

        def open_store(store: SqlJobStore, errors: list[BaseException]) -> None:
            try:
                store.open()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_store, args=(s, errors)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        for store in stores:
            store.close()
        assert not errors, errors


# --------------------------------------------------------------------------- restarts


def test_a_new_server_runs_the_jobs_a_stopped_one_left(
    start_server: StartServer, mlflow_runs: MlflowRuns, tmp_path: Path
) -> None:
    store = SqlJobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    full = _request(mlflow_runs.full, mlflow_runs.uri)
    _submit(store, "req_queued", full)
    _submit(store, "req_running", _request(mlflow_runs.metrics_only, mlflow_runs.uri))
    store.claim("req_running", CRASHED)
    _submit(store, "req_twice", _request(mlflow_runs.full, mlflow_runs.uri, max_analysis_time=99))
    store.claim("req_twice", CRASHED)
    store.recover(CRASHED + "-restarted", stale_after=0.0)  # re-queued once already ...
    store.claim("req_twice", CRASHED)  # ... and interrupted again
    store.close()

    server = start_server(heartbeat_seconds=0.2)
    with server.client() as http:
        assert wait_for_status(http, "req_queued", {"completed"})["progress"] == 1.0
        wait_for_status(http, "req_running", {"completed", "partial"})
        failed = wait_for_status(http, "req_twice", {"failed"})
        assert "stopped while running this analysis, 2 times" in failed["error"]
        answer = http.get("/api/v1/result/req_twice")
        assert answer.status_code == 500
        assert answer.json()["error"] == "INTERNAL_SERVER_ERROR"
        assert http.get("/api/v1/result/req_queued").json()["status"] == "completed"
    check = SqlJobStore(server.settings.job_store_url)
    attempts = {rid: check.get(rid).attempts for rid in ("req_queued", "req_running")}  # type: ignore[union-attr]
    assert attempts == {"req_queued": 1, "req_running": 2}


def test_jobs_of_a_stopped_server_survive_into_the_next(
    start_server: StartServer, mlflow_runs: MlflowRuns
) -> None:
    engine = GatedEngine()
    first = start_server(engine=engine, max_concurrent=1, heartbeat_seconds=0.2)
    with first.client() as http:
        running = http.post(
            "/api/v1/analyze", json=analyze_body(mlflow_runs.full, mlflow_runs.uri), headers=ASYNC
        ).json()["request_id"]
        engine.wait_entered()
        queued = http.post(
            "/api/v1/analyze",
            json=analyze_body(mlflow_runs.metrics_only, mlflow_runs.uri),
            headers=ASYNC,
        ).json()["request_id"]
        assert http.get(f"/api/v1/status/{queued}").json()["status"] == "queued"
    abandoned = first.app.state.services.executor.future(running)
    first.stop()  # its analysis thread stays blocked at the gate, as in a hung process

    try:
        second = start_server(heartbeat_seconds=0.2)
        with second.client() as http:
            done = {rid: wait_for_status(http, rid, {"completed"}) for rid in (running, queued)}
        store = SqlJobStore(second.settings.job_store_url)
        recovered = store.get(running)
        assert recovered is not None and recovered.attempts == 2
    finally:
        engine.gate.set()
    abandoned.result(timeout=30)  # the first server's attempt ends ... and changes nothing
    assert store.get(running).finished_at == recovered.finished_at  # type: ignore[union-attr]
    assert done[running]["status"] == "completed"


def test_results_are_purged_after_their_ttl(
    start_server: StartServer, mlflow_runs: MlflowRuns
) -> None:
    server = start_server(result_ttl_seconds=0.3, heartbeat_seconds=0.1)
    with server.client() as http:
        result = http.post(
            "/api/v1/analyze", json=analyze_body(mlflow_runs.full, mlflow_runs.uri)
        ).json()
        deadline = time.monotonic() + 10
        while http.get(f"/api/v1/status/{result['request_id']}").status_code == 200:
            assert time.monotonic() < deadline, "the finished job was never purged"
            time.sleep(0.1)
        gone = http.get(f"/api/v1/result/{result['request_id']}")
        assert gone.status_code == 404
        assert gone.json()["error"] == "REQUEST_NOT_FOUND"


def test_queued_jobs_past_their_lease_are_taken_once_oldest_first(store: SqlJobStore) -> None:
    for i in range(3):
        _submit(store, f"req_{i}", _request(f"r{i}"))
    assert store.take_undispatched(lease_seconds=60, limit=3) == []  # just dispatched
    time.sleep(0.05)
    assert store.take_undispatched(lease_seconds=0.01, limit=2) == ["req_0", "req_1"]
    assert store.take_undispatched(lease_seconds=0.01, limit=0) == []
    assert store.take_undispatched(lease_seconds=60, limit=3) == []  # leases renewed
    store.claim("req_2", "me")
    time.sleep(0.05)
    assert "req_2" not in store.take_undispatched(lease_seconds=0.01, limit=3)  # running


def test_silent_running_jobs_are_counted_apart(store: SqlJobStore) -> None:
    for i in range(3):
        _submit(store, f"req_{i}", _request(f"r{i}"))
    store.claim("req_0", "me")
    store.claim("req_1", "gone")
    with store._begin() as conn:  # "gone" stopped beating long ago
        conn.execute(
            sa.update(jobs_table)
            .where(jobs_table.c.owner == "gone")
            .values(heartbeat_at=utc_now() - timedelta(minutes=5))
        )
    counts = store.in_flight(stale_after=60)
    assert (counts.queued, counts.running, counts.silent) == (1, 1, 1)


def test_a_job_table_of_an_older_version_gains_the_new_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    jobs_table.metadata.create_all(engine)
    with engine.begin() as conn:  # the table as the previous version created it
        conn.exec_driver_sql(f"ALTER TABLE {jobs_table.name} DROP COLUMN dispatched_at")
    engine.dispose()
    store = SqlJobStore(url)
    try:
        _submit(store, "req_old", _request("r"))
        time.sleep(0.05)
        assert store.take_undispatched(lease_seconds=0.01, limit=1) == ["req_old"]
    finally:
        store.close()
