"""The report's Analyze button with a real DeepFix server: ``deepfix serve`` on 127.0.0.1, reading
the same SQLite MLflow store; the job is submitted, polled and its result written back."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from process_helpers import free_port, stop_process_tree, tail
from seeding import Seeded

from deepfix_notebook.contract import JobStatus
from deepfix_notebook.report import RunStore
from deepfix_notebook.report._app import ReportApp
from deepfix_notebook.report._backend import open_backend, run_analysis

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture
def server(fresh_seeded: Seeded, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DEEPFIX_HOME": str(tmp_path / "server-home"),
        "DEEPFIX_ALLOWED_TRACKING_URIS": fresh_seeded.uri,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    env.pop("DEEPFIX_API_KEY", None)
    err = tmp_path / "serve.err"
    command = [sys.executable, "-m", "deepfix_notebook.cli", "serve", "--port", str(port)]
    with err.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, tail(err)
            try:
                with urllib.request.urlopen(f"{url}/api/v1/health", timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, tail(err)
                time.sleep(0.2)
        yield url
    finally:
        stop_process_tree(process)


def test_analyze_on_a_server_polls_and_writes_back(fresh_seeded: Seeded, server: str) -> None:
    backend = open_backend(server, fresh_seeded.uri)
    app = ReportApp(RunStore(fresh_seeded.uri, fresh_seeded.experiment), backend)
    asyncio.run(app.check_backend())
    assert app.notices.topics == []
    run_id = fresh_seeded.ids["lightning_style"]
    asyncio.run(app.open_run(run_id))
    assert app.run.analyze_button.label == "Analyze"
    asyncio.run(app.run.analyze())
    assert app.notices.topics == []
    assert app.run.analyze_button.label == "Re-analyze"
    saved = RunStore(fresh_seeded.uri).details(run_id)
    assert saved.analysis is not None and saved.analysis.backend == server
    assert "analyses by" in app.view[0].object and server in app.view[0].object

    seen: list[JobStatus] = []
    result = asyncio.run(run_analysis(backend, fresh_seeded.ids["quickstart"], seen.append))
    assert result.backend == server and seen[-1].status.value in {"completed", "partial"}
    backend.close()
