"""`deepfix serve`: the console script starts the server on loopback and it answers."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
from process_helpers import free_port


def test_serve_answers_health_and_stops(tmp_path: Path) -> None:
    script = shutil.which("deepfix")
    assert script is not None, "install the package: pip install -e '.[server]'"
    port = free_port()
    env = {
        "PATH": str(Path(script).parent),
        "DEEPFIX_HOME": str(tmp_path),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    server = subprocess.Popen(
        [script, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "deepfix serve did not answer in 30 s"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert response.headers["X-Request-ID"]
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
