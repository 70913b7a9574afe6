"""Scale-out: servers queue jobs in a real Redis, real `deepfix worker` processes (Celery) run them,
everyone shares a job store (SQLite, and PostgreSQL). Correlation ids reach the worker's logs; a
broker that is down refuses work instead of accepting what cannot run; a worker that dies in the
middle of a job leaves it to be run again, never lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from process_helpers import free_port, stop_process_tree, tail
from server_helpers import (
    ASYNC,
    MlflowRuns,
    StartServer,
    analyze_body,
    log_long_history,
    wait_for_status,
)
from services import RedisServer, start_redis

from deepfix_notebook.contract import AnalysisRequest, JobState, utc_now
from deepfix_notebook.server._jobs import Job, SqlJobStore, analysis_key

pytestmark = pytest.mark.slow
WORKER_START_S = 60.0
FINAL = {"completed", "partial", "failed"}


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[dict[str, object]]:
        records = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records

    def stop(self) -> None:
        stop_process_tree(self.process)


StartWorker = Callable[..., Worker]


@pytest.fixture
def queue() -> str:
    """A queue of this test's own in the session's Redis."""
    return f"deepfix-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(params=["sqlite", "postgresql"])
def job_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    url: str = request.getfixturevalue("postgres_url")
    store = SqlJobStore(url)
    store.open()
    with store._begin() as conn:  # a fresh table for this test
        conn.exec_driver_sql("DELETE FROM deepfix_jobs")
    store.close()
    return url


@pytest.fixture
def start_worker(
    tmp_path: Path, redis_url: str, queue: str, job_store_url: str
) -> Iterator[StartWorker]:
    """``start_worker()``: a `deepfix worker` subprocess, ready to take jobs; stopped after."""
    workers: list[Worker] = []

    def start(**env: str) -> Worker:
        log = tmp_path / f"worker-{len(workers)}.log"
        environ = {
            **os.environ,
            "DEEPFIX_BROKER_URL": redis_url,
            "DEEPFIX_QUEUE_NAME": queue,
            "DEEPFIX_JOB_STORE_URL": job_store_url,
            "DEEPFIX_HEARTBEAT_SECONDS": "0.5",
            "DEEPFIX_HOME": str(tmp_path / "home"),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            **env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "deepfix_notebook.cli", "worker", "--concurrency", "2"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=environ,
            )
        worker = Worker(process, log)
        workers.append(worker)
        deadline = time.monotonic() + WORKER_START_S
        while " ready." not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                worker.stop()
                pytest.fail(f"the worker did not start:\n{tail(log)}")
            time.sleep(0.1)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def celery_server(
    start_server: StartServer, redis_url: str, queue: str, job_store_url: str
) -> Callable[..., object]:
    def start(**overrides: object) -> object:
        values: dict[str, object] = {
            "broker_url": redis_url,
            "queue_name": queue,
            "job_store_url": job_store_url,
            "heartbeat_seconds": 0.5,
            **overrides,
        }
        return start_server(**values)

    return start


def test_workers_run_queued_jobs_and_log_the_correlation_id(
    celery_server: Callable[..., object], start_worker: StartWorker, mlflow_runs: MlflowRuns
) -> None:
    server = celery_server()
    with server.client() as http:  # type: ignore[attr-defined]
        accepted = http.post(
            "/api/v1/analyze",
            json=analyze_body(mlflow_runs.full, mlflow_runs.uri),
            headers={**ASYNC, "X-Request-ID": "trace-celery-1"},
        )
        assert accepted.status_code == 202, accepted.text
        request_id = accepted.json()["request_id"]
        queued = http.get(f"/api/v1/status/{request_id}").json()
        assert queued["status"] == "queued"  # no worker yet: it waits in Redis

        worker = start_worker()
        wait_for_status(http, request_id, FINAL, timeout=60)
        result = http.get(f"/api/v1/result/{request_id}")
        assert result.status_code == 200, result.text
        assert result.json()["status"] in {"completed", "partial"}
        assert result.json()["run_id"] == mlflow_runs.full

        health = http.get("/api/v1/health").json()
        assert health["queue"].startswith("celery: ")

    records = [r for r in worker.lines() if r.get("job_id") == request_id]
    messages = {r["message"] for r in records}
    assert {"analysis started", "analysis finished"} <= messages
    assert all(r["request_id"] == "trace-celery-1" for r in records), records


def test_synchronous_requests_wait_for_a_worker(
    celery_server: Callable[..., object], start_worker: StartWorker, mlflow_runs: MlflowRuns
) -> None:
    start_worker()
    server = celery_server()
    with server.client() as http:  # type: ignore[attr-defined]
        response = http.post(
            "/api/v1/analyze", json=analyze_body(mlflow_runs.metrics_only, mlflow_runs.uri)
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] in {"completed", "partial"}
    assert body["agent_results"], "a worker's result carries the agents' output"


def test_a_broker_that_is_down_refuses_work_and_keeps_nothing(
    celery_server: Callable[..., object], mlflow_runs: MlflowRuns, job_store_url: str
) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    server = celery_server(broker_url=down)
    with server.client() as http:  # type: ignore[attr-defined]
        for headers in (ASYNC, {}):
            start = time.monotonic()
            response = http.post(
                "/api/v1/analyze",
                json=analyze_body(mlflow_runs.full, mlflow_runs.uri),
                headers=headers,
            )
            assert time.monotonic() - start < 15, "refusing must not hang"
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"].isdigit()
            body = response.json()
            assert (
                "cannot be reached" in body["message"] and "Nothing was queued" in body["message"]
            )
            assert body["details"]["broker"] == down
        health = http.get("/api/v1/health").json()
        assert (health["status"], health["queue"]) == ("degraded", "celery: unavailable")
    store = SqlJobStore(job_store_url)
    try:
        assert sum(store.count_by_state().values()) == 0  # nothing accepted that cannot run
    finally:
        store.close()


def test_a_job_whose_worker_died_runs_again_on_another(
    start_worker: StartWorker, mlflow_runs: MlflowRuns, job_store_url: str, queue: str
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process of this host that no longer exists: a worker killed mid-job
    store = SqlJobStore(job_store_url)
    request = AnalysisRequest.model_validate(analyze_body(mlflow_runs.full, mlflow_runs.uri))
    owner = f"{os.uname().nodename}:{dead.pid}:deadbeef"
    job = Job(
        request_id=f"req_{uuid.uuid4().hex[:16]}",
        run_id=request.run_id,
        tracking_uri=mlflow_runs.uri,
        request=request,
        status=JobState.QUEUED,
        submitted_at=utc_now(),
        correlation_id="trace-recovered",
        owner=owner,
    )
    try:
        store.create(job, analysis_key(request, mlflow_runs.uri))
        claimed = store.claim(job.request_id, owner)
        assert claimed is not None and claimed.status is JobState.RUNNING

        worker = start_worker()  # its upkeep finds the dead owner's job and queues it again
        deadline = time.monotonic() + 60
        while True:
            current = store.get(job.request_id)
            assert current is not None
            if current.finished:
                break
            assert time.monotonic() < deadline, f"job still {current.status}:\n{tail(worker.log)}"
            time.sleep(0.1)
        assert current.status in {JobState.COMPLETED, JobState.PARTIAL}
        assert current.attempts == 2  # the interrupted attempt and this one
        messages = {r["message"] for r in worker.lines() if r.get("job_id") == job.request_id}
        assert "job recovered and queued again" in messages
    finally:
        store.close()


def test_fifty_concurrent_submissions_are_all_accounted_for(
    celery_server: Callable[..., object],
    start_worker: StartWorker,
    mlflow_runs: MlflowRuns,
    job_store_url: str,
) -> None:
    start_worker()
    server = celery_server()
    runs = (mlflow_runs.full, mlflow_runs.metrics_only)
    # 25 distinct analyses (run x deadline), each asked for twice.
    bodies = [
        analyze_body(runs[i % 25 % 2], mlflow_runs.uri, max_analysis_time=30 + i % 25)
        for i in range(50)
    ]
    with server.client() as http:  # type: ignore[attr-defined]

        def submit(body: dict[str, object]) -> tuple[int, str]:
            response = http.post("/api/v1/analyze", json=body, headers=ASYNC)
            return response.status_code, response.json()["request_id"]

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(submit, bodies))
        assert {status for status, _ in answers} == {202}
        ids = {request_id for _, request_id in answers}
        # A duplicate shares its twin's job while that is in flight, else gets its own.
        assert 25 <= len(ids) <= 50
        for request_id in ids:
            final = wait_for_status(http, request_id, FINAL, timeout=120)
            assert final["status"] in {"completed", "partial"}, final
        metrics = http.get("/metrics").text
    store = SqlJobStore(job_store_url)
    try:
        counts = store.count_by_state()
    finally:
        store.close()
    finished = counts[JobState.COMPLETED] + counts[JobState.PARTIAL]
    assert finished == len(ids) and sum(counts.values()) == len(ids)  # none lost, none extra
    assert "deepfix_queue_depth 0.0" in metrics


# --------------------------------------------------------------------------- broker loss

RECOVERY_BOUND_S = 30.0  # issue 17: every accepted job runs within 30 s of the broker's return
N_JOBS = 8


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[list[RedisServer]]:
    """A Redis of this test's own, which it may kill and restart empty (same port): the list
    holds every server started, each stopped after the test."""
    base = tmp_path / "broker"
    base.mkdir()
    servers = [start_redis(base)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def _lose_messages(broker: list[RedisServer], how: str) -> None:
    """Lose every message in the broker: restart it empty, or flush it."""
    current = broker[-1]
    if how == "flushall":
        redis.Redis(port=current.port).flushall()
        return
    current.stop()  # no persistence: the restarted server is empty
    broker.append(start_redis(current.pidfile.parent, port=current.port))


def _started_per_job(workers: list[Worker]) -> Counter[str]:
    return Counter(
        str(record["job_id"])
        for worker in workers
        for record in worker.lines()
        if record.get("message") == "analysis started"
    )


@pytest.mark.parametrize("how", ["restart", "flushall"])
def test_jobs_whose_messages_the_broker_lost_all_run_once(
    how: str,
    broker: list[RedisServer],
    celery_server: Callable[..., object],
    start_worker: StartWorker,
    mlflow_runs: MlflowRuns,
    job_store_url: str,
) -> None:
    url = broker[0].url
    server = celery_server(broker_url=url, max_concurrent=N_JOBS, dispatch_lease_seconds=3)
    executor = server.app.state.services.executor  # type: ignore[attr-defined]
    with server.client() as http:  # type: ignore[attr-defined]
        ids = []
        for i in range(N_JOBS):  # no worker yet: every message waits in Redis
            body = analyze_body(mlflow_runs.full, mlflow_runs.uri, max_analysis_time=30 + i)
            accepted = http.post("/api/v1/analyze", json=body, headers=ASYNC)
            assert accepted.status_code == 202, accepted.text
            ids.append(accepted.json()["request_id"])
        assert not executor.try_reserve()  # N queued jobs, all in the broker: full

        _lose_messages(broker, how)
        returned = time.monotonic()
        # Jobs whose message is gone do not count against the limit.
        assert executor.try_reserve()
        # The same request again is the same job, which runs (below): not a stranded one.
        body = analyze_body(mlflow_runs.full, mlflow_runs.uri, max_analysis_time=30)
        again = http.post("/api/v1/analyze", json=body, headers=ASYNC)
        assert again.json()["request_id"] == ids[0]

        workers = [start_worker(DEEPFIX_BROKER_URL=url, DEEPFIX_DISPATCH_LEASE_SECONDS="3")]
        for request_id in ids:
            remaining = RECOVERY_BOUND_S - (time.monotonic() - returned)
            final = wait_for_status(http, request_id, FINAL, timeout=max(remaining, 0.1))
            assert final["status"] in {"completed", "partial"}, final
        recovered_in = time.monotonic() - returned

    store = SqlJobStore(job_store_url)
    try:
        attempts = {request_id: store.get(request_id).attempts for request_id in ids}  # type: ignore[union-attr]
    finally:
        store.close()
    assert attempts == dict.fromkeys(ids, 1), "each job ran once"
    started = _started_per_job(workers)
    assert all(started[request_id] == 1 for request_id in ids), started
    assert recovered_in < RECOVERY_BOUND_S


def test_jobs_in_flight_when_the_broker_restarts_empty_all_run_once(
    broker: list[RedisServer],
    celery_server: Callable[..., object],
    start_worker: StartWorker,
    make_sqlite_store: Any,
    job_store_url: str,
) -> None:
    """Workers busy with slow jobs (MLflow history) when Redis dies: the running jobs finish,
    those waiting in Redis or held by a worker are sent again, none runs twice."""
    mlflow = make_sqlite_store("slow")
    slow_run = log_long_history(mlflow.uri, mlflow.experiment_id)
    url = broker[0].url
    server = celery_server(
        broker_url=url, allowed_tracking_uris=[mlflow.uri], dispatch_lease_seconds=3
    )
    env = {"DEEPFIX_BROKER_URL": url, "DEEPFIX_DISPATCH_LEASE_SECONDS": "3"}
    workers = [start_worker(**env), start_worker(**env)]
    with server.client() as http:  # type: ignore[attr-defined]
        ids = []
        for i in range(N_JOBS):
            body = analyze_body(slow_run, mlflow.uri, max_analysis_time=30 + i)
            accepted = http.post("/api/v1/analyze", json=body, headers=ASYNC)
            assert accepted.status_code == 202, accepted.text
            ids.append(accepted.json()["request_id"])
        wait_for_status(http, ids[0], {"running", *FINAL}, timeout=30)

        broker[-1].stop()
        time.sleep(3)  # the broker is down a while: workers and server lose their connections
        broker.append(start_redis(broker[-1].pidfile.parent, port=broker[-1].port))
        returned = time.monotonic()
        for request_id in ids:
            remaining = RECOVERY_BOUND_S - (time.monotonic() - returned)
            final = wait_for_status(http, request_id, FINAL, timeout=max(remaining, 0.1))
            assert final["status"] in {"completed", "partial"}, final
        recovered_in = time.monotonic() - returned

    started = _started_per_job(workers)
    assert all(started[request_id] == 1 for request_id in ids), started
    assert recovered_in < RECOVERY_BOUND_S
    print(f"recovered {N_JOBS} jobs {recovered_in:.1f} s after the broker returned")
