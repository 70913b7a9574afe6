"""`serve()` as `deepfix serve` runs it: a uvicorn process (two workers) on 127.0.0.1 with JSON
logs on stderr, stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from process_helpers import free_port, stop_process_tree

START_TIMEOUT_S = 40.0


def test_serve_with_two_workers_logs_json_with_request_ids(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DEEPFIX_JOB_STORE_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
        "DEEPFIX_HEARTBEAT_SECONDS": "1",
    }
    code = f"from deepfix_notebook.server import serve; serve(port={port}, workers=2)"
    log_path = tmp_path / "server.err"
    with log_path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(base_url=url, timeout=5) as http:
            while True:
                assert process.poll() is None, log_path.read_text(errors="replace")
                try:
                    if http.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "serve() did not answer in time"
                time.sleep(0.2)
            while log_path.read_text(errors="replace").count('"server started"') < 2:
                assert time.monotonic() < deadline, "the second worker did not start"
                time.sleep(0.1)
            for _ in range(4):  # reach both workers, most likely
                answer = http.get("/api/v1/status/req_x", headers={"X-Request-ID": "serve-42"})
                assert answer.status_code == 404
                assert answer.headers["X-Request-ID"] == "serve-42"
    finally:
        stop_process_tree(process, timeout=20)
    lines = [line for line in log_path.read_text(errors="replace").splitlines() if line]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records, lines
    access = [r for r in records if r.get("logger") == "deepfix_notebook.server.access"]
    assert any(r.get("request_id") == "serve-42" and r.get("status") == 404 for r in access)
    started = [r for r in records if r.get("message") == "server started"]
    assert len(started) == 2  # one app per worker
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert not any(r.get("logger") == "uvicorn.access" for r in records)  # ours replace them
