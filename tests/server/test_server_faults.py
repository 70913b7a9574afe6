"""Faults with real processes: ``deepfix serve`` killed with SIGKILL while jobs are queued and
running, MLflow going down mid-way, fifty concurrent submissions. Every accepted job must end
completed, partial, or failed with a message: none lost, none stuck."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from process_helpers import free_port, stop_process_tree, tail
from server_helpers import (
    ASYNC,
    ENVELOPE_KEYS,
    GatedEngine,
    MlflowRuns,
    StartServer,
    analyze_body,
    log_long_history,
    wait_for_status,
)

from deepfix_notebook.contract import (
    AcceptedJob,
    AnalysisResult,
    ErrorResponse,
    JobState,
    JobStatus,
)
from deepfix_notebook.server._jobs import Job, SqlJobStore

pytestmark = pytest.mark.slow

FINAL = {"completed", "partial", "failed"}
SERVE_START_TIMEOUT_S = 60.0


# --------------------------------------------------------------------------- deepfix serve


@dataclass
class Served:
    """A ``deepfix serve`` process on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as when the machine or the OOM killer stops it."""
        self.process.kill()
        self.process.wait(timeout=10)


StartServe = Callable[[dict[str, str]], Served]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[StartServe]:
    """``serve(env)``: ``python -m deepfix_notebook.cli serve`` on a free port with the
    ``DEEPFIX_*`` variables in ``env``, answering health; every process is stopped after."""
    started: list[Served] = []

    def start(env: dict[str, str]) -> Served:
        port = free_port()
        log = tmp_path / f"serve-{len(started)}.err"
        variables = {
            **os.environ,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DEEPFIX_HOME": str(tmp_path / "home"),
            **env,
        }
        variables.pop("MLFLOW_TRACKING_URI", None)
        command = [sys.executable, "-m", "deepfix_notebook.cli", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        with log.open("wb") as err:
            process = subprocess.Popen(
                command,
                env=variables,
                stdout=subprocess.DEVNULL,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        served = Served(process, f"http://127.0.0.1:{port}", log)
        started.append(served)
        deadline = time.monotonic() + SERVE_START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"deepfix serve exited:\n{tail(log)}"
            try:
                if httpx.get(f"{served.url}/api/v1/health", timeout=2).status_code == 200:
                    return served
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"deepfix serve did not answer:\n{tail(log)}"
            time.sleep(0.1)

    try:
        yield start
    finally:
        for served in started:
            stop_process_tree(served.process)


def _state(store: SqlJobStore, request_id: str) -> tuple[JobState, int]:
    """A job's state and attempts, as the store holds them."""
    job = store.get(request_id)
    assert job is not None, f"{request_id} is not in the job store"
    return job.status, job.attempts


def _wait_for(store: SqlJobStore, request_id: str, check: Callable[[Job], bool], what: str) -> Job:
    deadline = time.monotonic() + 60
    while True:
        job = store.get(request_id)
        assert job is not None, f"{request_id} is not in the job store"
        if check(job):
            return job
        assert time.monotonic() < deadline, f"{request_id} never {what}: {job.status}"
        time.sleep(0.01)


def test_jobs_survive_servers_killed_while_they_run(
    serve: StartServe, make_sqlite_store: Any, run_data: dict[str, Any], tmp_path: Path
) -> None:
    from deepfix_notebook.artifacts import log_run

    mlflow = make_sqlite_store("mlflow")
    slow_run = log_long_history(mlflow.uri, mlflow.experiment_id)
    quick_run = log_run(**run_data, tracking_uri=mlflow.uri, experiment=mlflow.experiment)
    env = {
        "DEEPFIX_JOB_STORE_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
        "DEEPFIX_ALLOWED_TRACKING_URIS": mlflow.uri,
        "DEEPFIX_HEARTBEAT_SECONDS": "0.5",
        "DEEPFIX_MAX_CONCURRENT": "1",
    }
    store = SqlJobStore(env["DEEPFIX_JOB_STORE_URL"])
    try:
        _kill_twice_then_recover(serve, env, store, slow_run, quick_run, mlflow.uri)
    finally:
        store.close()


def _kill_twice_then_recover(
    serve: StartServe,
    env: dict[str, str],
    store: SqlJobStore,
    slow_run: str,
    quick_run: str,
    uri: str,
) -> None:
    # 1. The slow job runs, five others wait behind it; the server is killed.
    first = serve(env)
    bodies = [analyze_body(slow_run, uri)]
    bodies += [
        {**analyze_body(quick_run, uri), "context": {"dataset_name": f"variant-{i}"}}
        for i in range(5)
    ]
    with httpx.Client(base_url=first.url, timeout=30) as http:
        answers = [http.post("/api/v1/analyze", json=body, headers=ASYNC) for body in bodies]
    assert [a.status_code for a in answers] == [202] * len(bodies), [a.text for a in answers]
    slow, *queued = ids = [AcceptedJob.model_validate(a.json()).request_id for a in answers]
    _wait_for(store, slow, lambda job: job.status is JobState.RUNNING, "ran")
    first.kill()
    assert _state(store, slow) == (JobState.RUNNING, 1)
    assert {_state(store, rid) for rid in queued} == {(JobState.QUEUED, 0)}

    # 2. The next server takes the jobs over and runs the slow one again; killed again.
    second = serve(env)
    _wait_for(store, slow, lambda job: job.attempts == 2 and not job.finished, "ran again")
    second.kill()
    assert _state(store, slow) == (JobState.RUNNING, 2)

    # 3. The third gives the slow job up (stopped under it twice) and runs the rest.
    third = serve(env)
    with httpx.Client(base_url=third.url, timeout=30) as http:
        final = {rid: wait_for_status(http, rid, FINAL, timeout=60) for rid in ids}
        given_up = http.get(f"/api/v1/result/{slow}")
        results = [http.get(f"/api/v1/result/{rid}") for rid in queued]
    assert final[slow]["status"] == "failed"
    assert "stopped while running this analysis, 2 times" in final[slow]["error"]
    assert given_up.status_code == 500
    assert ErrorResponse.model_validate(given_up.json()).error.value == "INTERNAL_SERVER_ERROR"
    for rid, answer in zip(queued, results, strict=True):
        assert final[rid]["status"] in {"completed", "partial"}, final[rid]
        assert answer.status_code == 200
        assert AnalysisResult.model_validate(answer.json()).request_id == rid
    counts = store.count_by_state()
    assert sum(counts.values()) == len(ids)  # none lost, none added
    assert counts[JobState.QUEUED] == counts[JobState.RUNNING] == 0  # none stuck


# --------------------------------------------------------------------------- MLflow down


def test_mlflow_down_midway_is_503_with_retry_after_and_a_failed_job(
    start_mlflow_server: Callable[[], Any],
    start_server: StartServer,
    run_data: dict[str, Any],
) -> None:
    from deepfix_notebook.artifacts import ArtifactError, log_run
    from deepfix_notebook.backends import RemoteBackend
    from deepfix_notebook.client import DeepFixClient

    mlflow = start_mlflow_server()
    run_id = log_run(**run_data, tracking_uri=mlflow.url, experiment="deepfix-faults")
    server = start_server(allowed_tracking_uris=[mlflow.url], retry_after_seconds=7)
    body = analyze_body(run_id, mlflow.url)
    with server.client() as http:
        assert http.post("/api/v1/analyze", json=body).status_code == 200

        mlflow.stop()
        down = http.post("/api/v1/analyze", json=body)
        assert down.status_code == 503, down.text
        assert down.headers["Retry-After"] == "7"
        envelope = ErrorResponse.model_validate(down.json())
        assert envelope.error.value == "MLFLOW_CONNECTION_ERROR"
        assert mlflow.url in envelope.message
        assert envelope.details["tracking_uri"] == mlflow.url

        accepted = http.post("/api/v1/analyze", json=body, headers=ASYNC)
        assert accepted.status_code == 202
        request_id = accepted.json()["request_id"]
        failed = wait_for_status(http, request_id, FINAL)
        assert failed["status"] == "failed"
        assert "Cannot reach the MLflow tracking store" in failed["error"]
        result = http.get(f"/api/v1/result/{request_id}")
        assert result.status_code == 503
        assert result.headers["Retry-After"] == "7"
        assert set(result.json()) == ENVELOPE_KEYS
        assert result.json()["error"] == "MLFLOW_CONNECTION_ERROR"

    # Through RemoteBackend, the same failure is the ArtifactError LocalBackend raises.
    client = DeepFixClient(server.url, offline_mode="strict")
    backend = RemoteBackend(server.url, tracking_uri=mlflow.url, offline="strict", client=client)
    try:
        with pytest.raises(ArtifactError) as raised:
            backend.result(request_id, timeout=10)
        assert raised.value.code.value == "MLFLOW_CONNECTION_ERROR"
    finally:
        client.close()


# --------------------------------------------------------------------------- concurrency


@dataclass(frozen=True)
class Submission:
    key: str
    body: dict[str, Any]
    asynchronous: bool


def _submissions(runs: MlflowRuns) -> list[Submission]:
    """Fifty submissions of ten analyses: eight distinct valid ones (run x deadline), a run the
    store lacks (async only: a failed sync answer names no job) and a store off the allowlist;
    each asked for five times (four async, one sync for the valid ones), in a shuffled order."""
    keys: dict[str, dict[str, Any]] = {
        f"{name}-{deadline}": analyze_body(run, runs.uri, max_analysis_time=deadline)
        for name, run in (("full", runs.full), ("metrics", runs.metrics_only))
        for deadline in (30, 31, 32, 33)
    }
    keys["unknown-run"] = analyze_body("0" * 32, runs.uri)
    keys["off-allowlist"] = analyze_body(runs.full, "sqlite:////elsewhere/mlflow.db")
    submissions = [
        Submission(key, body, asynchronous=round < 4 or key == "unknown-run")
        for round in range(5)
        for key, body in keys.items()
    ]
    random.Random(7).shuffle(submissions)
    return submissions


def test_fifty_concurrent_submissions_are_all_accounted_for(
    start_server: StartServer, mlflow_runs: MlflowRuns
) -> None:
    engine = GatedEngine()  # every analysis waits at the gate: all jobs stay in flight
    server = start_server(engine=engine, max_concurrent=2)
    submissions = _submissions(mlflow_runs)
    assert len(submissions) == 50
    barrier = threading.Barrier(len(submissions))

    with server.client() as http, ThreadPoolExecutor(max_workers=len(submissions)) as pool:

        def send(submission: Submission) -> httpx.Response:
            barrier.wait(timeout=30)
            headers = ASYNC if submission.asynchronous else {}
            return http.post("/api/v1/analyze", json=submission.body, headers=headers)

        futures = [pool.submit(send, s) for s in submissions]
        queued = [f for f, s in zip(futures, submissions, strict=True) if s.asynchronous]
        _, pending = wait(queued, timeout=60)
        assert not pending, "asynchronous submissions must be answered at once"
        engine.gate.set()
        answers = [f.result(timeout=120) for f in futures]

        ids: dict[str, set[str]] = {}
        for submission, answer in zip(submissions, answers, strict=True):
            request_id = _accounted_for(submission, answer)
            if request_id is not None:
                ids.setdefault(submission.key, set()).add(request_id)
        final = {rid: wait_for_status(http, rid, FINAL) for group in ids.values() for rid in group}

    assert "off-allowlist" not in ids
    for key, group in ids.items():
        if key == "unknown-run":  # fails at once, so a later duplicate is a new job
            assert {final[rid]["status"] for rid in group} == {"failed"}
            _never_in_flight_together([final[rid] for rid in group])
        else:  # held at the gate: every duplicate shared the one job in flight
            assert len(group) == 1, (key, group)
            assert final[next(iter(group))]["status"] in {"completed", "partial"}
    store = server.app.state.services.store
    assert sum(store.count_by_state().values()) == len(final)  # none lost, none extra


def _accounted_for(submission: Submission, answer: httpx.Response) -> str | None:
    """Check one answer is documented for what was sent; the request id it accepted, if any."""
    status = answer.status_code
    if status == 202:
        assert submission.asynchronous
        return AcceptedJob.model_validate(answer.json()).request_id
    if status == 200:
        assert not submission.asynchronous
        return AnalysisResult.model_validate(answer.json()).request_id
    envelope = ErrorResponse.model_validate(answer.json())
    expected = {
        400: ("off-allowlist", "VALIDATION_ERROR"),
        429: (submission.key, "RATE_LIMIT_EXCEEDED"),  # sync, with every slot taken
    }
    assert status in expected, (submission.key, status, answer.text)
    assert (submission.key, envelope.error.value) == expected[status]
    if status == 429:
        assert not submission.asynchronous and answer.headers["Retry-After"]
    return None


def _never_in_flight_together(statuses: list[dict[str, Any]]) -> None:
    """Jobs of one analysis: each was submitted after the one before it had finished."""
    jobs = [JobStatus.model_validate(status) for status in statuses]
    spans = sorted((job.submitted_at, job.finished_at or job.submitted_at) for job in jobs)
    for (_, finished), (submitted, _) in itertools.pairwise(spans):
        assert finished <= submitted, spans
