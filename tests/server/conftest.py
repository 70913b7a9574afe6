"""Server fixtures: a real MLflow SQLite store with logged runs, real uvicorn servers on
127.0.0.1 (each in a thread, stopped after the test), reached with httpx, and private Redis and
PostgreSQL servers (tests/services.py) for the session."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from server_helpers import MlflowRuns, RunningServer, StartServer
from services import postgres_server, redis_server

from deepfix_notebook.artifacts import log_run
from deepfix_notebook.engine import Engine
from deepfix_notebook.server import Settings, create_app

START_TIMEOUT_S = 15.0
N_EPOCHS = 20


def _metrics() -> dict[str, list[Any]]:
    epochs = range(N_EPOCHS)
    return {
        "step": [e * 50 for e in epochs],
        "epoch": [float(e) for e in epochs],
        "train_loss": [2.0 * 0.85**e for e in epochs],
        "val_loss": [2.1 * 0.88**e + 0.01 for e in epochs],
        "train_accuracy": [0.3 + 0.03 * e for e in epochs],
        "val_accuracy": [0.28 + 0.025 * e for e in epochs],
    }


@pytest.fixture(scope="session")
def mlflow_runs(tmp_path_factory: pytest.TempPathFactory) -> MlflowRuns:
    base = tmp_path_factory.mktemp("server-mlflow")
    uri = f"sqlite:///{base / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEEPFIX_HOME", str(base / "home"))
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        full = log_run(
            metrics=_metrics(),
            params={"learning_rate": 0.001, "batch_size": 32, "optimizer": "adam"},
            dataset={
                "dataset_name": "toy-animals",
                "num_train_samples": 1000,
                "num_val_samples": 200,
                "num_classes": 3,
                "class_counts": {"cat": 500, "dog": 300, "bird": 200},
            },
            tracking_uri=uri,
            experiment="server-tests",
        )
        metrics_only = log_run(metrics=_metrics(), tracking_uri=uri, experiment="server-tests")
    return MlflowRuns(uri=uri, full=full, metrics_only=metrics_only)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private ``redis-server`` on 127.0.0.1 for the session."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private PostgreSQL cluster on 127.0.0.1 for the session (SQLAlchemy URL)."""
    with postgres_server(tmp_path_factory.mktemp("postgres")) as server:
        yield server.url


@pytest.fixture(scope="session")
def down_uri() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` bound but not listening all session: connections refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def start_server(tmp_path: Path, mlflow_runs: MlflowRuns, down_uri: str) -> Iterator[StartServer]:
    """``start_server(engine=None, **settings)``: a started server; stopped after the test.

    Settings default to: the test store and the refused URI allowed, a job store in tmp_path.
    """
    running: list[RunningServer] = []

    def start(*, engine: Engine | None = None, **overrides: Any) -> RunningServer:
        values: dict[str, Any] = {
            "allowed_tracking_uris": [mlflow_runs.uri, down_uri],
            "job_store_url": f"sqlite:///{tmp_path / 'jobs.db'}",
            **overrides,
        }
        settings = Settings(**values)
        app = create_app(settings, engine=engine)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
        )
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        handle = RunningServer(app, settings, url, server, thread, sock)
        thread.start()
        running.append(handle)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the server did not start")
            time.sleep(0.02)
        return handle

    yield start
    for handle in reversed(running):
        if handle.thread.is_alive():
            handle.stop()


@pytest.fixture
def server(start_server: StartServer) -> RunningServer:
    """A server with the default test settings."""
    return start_server()


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with server.client() as http:
        yield http
