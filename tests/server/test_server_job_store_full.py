"""The job store's disk runs full (issue 17): a real SQLite job store on a 2 MiB tmpfs, filled
up with a file. A new analysis is refused with 503 + Retry-After naming the cause (nothing is
half accepted); a job accepted before keeps its outcome in memory until the store takes it;
once space returns, both go on."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

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

from deepfix_notebook.contract import JobState
from deepfix_notebook.server._jobs import SqlJobStore

DISK = "2m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of `DISK` mounted for the test (root only: skipped where mounting is refused)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of ``disk`` with a file; the file (removed to give space back)."""
    filler = disk / "filler"
    chunk = b"\0" * 4096
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(OSError) as raised:
            while True:
                os.write(descriptor, chunk)
    finally:
        os.close(descriptor)
    assert raised.value.errno == errno.ENOSPC
    return filler


def test_a_full_job_store_refuses_new_jobs_and_loses_none(
    start_server: StartServer, mlflow_runs: MlflowRuns, small_disk: Path
) -> None:
    url = f"sqlite:///{small_disk / 'jobs.db'}"
    engine = GatedEngine()
    server = start_server(engine=engine, job_store_url=url, retry_after_seconds=7)
    body = analyze_body(mlflow_runs.full, mlflow_runs.uri)
    with server.client() as http:
        accepted = http.post("/api/v1/analyze", json=body, headers=ASYNC)
        assert accepted.status_code == 202, accepted.text
        in_flight = accepted.json()["request_id"]
        engine.wait_entered()

        filler = fill(small_disk)
        engine.gate.set()  # its outcome cannot be stored now
        for headers in (ASYNC, {}):
            other = analyze_body(mlflow_runs.full, mlflow_runs.uri, max_analysis_time=42)
            refused = http.post("/api/v1/analyze", json=other, headers=headers)
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"] == "7"
            envelope = refused.json()
            assert set(envelope) == ENVELOPE_KEYS
            assert envelope["error"] == "INTERNAL_SERVER_ERROR"
            assert envelope["details"]["reason"] == "job_store_full"
            assert envelope["details"]["setting"] == "DEEPFIX_JOB_STORE_URL"
            assert "full" in envelope["message"] and "nothing was queued" in envelope["message"]
        assert wait_for_status(http, in_flight, {"running"})["status"] == "running"

        filler.unlink()  # space returns
        assert wait_for_status(http, in_flight, {"completed", "partial"})
        again = http.post("/api/v1/analyze", json=other)
        assert again.status_code == 200, again.text

    store = SqlJobStore(url)
    try:
        counts = store.count_by_state()
    finally:
        store.close()
    finished = counts[JobState.COMPLETED] + counts[JobState.PARTIAL]
    assert (finished, sum(counts.values())) == (2, 2)  # the two accepted; no refused one
