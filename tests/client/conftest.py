"""Fixtures of the client tests: a real DeepFix server (uvicorn on 127.0.0.1, a real MLflow
SQLite store), and, for the faults a real server cannot be made to produce on demand (a 503 with
Retry-After, a flaky 502), scripted answers through httpx's transport seam; a fake clock so
retries and polling are checked to the exact delay without sleeping."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from client_helpers import API_KEY, FakeClock, LiveServer

SERVER_START_TIMEOUT_S = 30.0

# --------------------------------------------------------------------------- time


@pytest.fixture
def clock() -> FakeClock:
    """A fake monotonic clock: ``clock.sleep`` advances it and records the delay."""
    return FakeClock()


# --------------------------------------------------------------------------- a real server


def _make_store(base: Path) -> tuple[str, str]:
    """A SQLite MLflow store under ``base`` with an experiment keeping its artifacts there."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    base.mkdir(parents=True)
    artifacts = base / "artifacts"
    artifacts.mkdir()
    uri = f"sqlite:///{base / 'mlflow.db'}"
    store = SqlAlchemyStore(uri, artifacts.as_uri())  # type: ignore[no-untyped-call]
    experiment = f"deepfix-client-{uuid.uuid4().hex[:8]}"
    store.create_experiment(  # type: ignore[no-untyped-call]
        experiment, artifact_location=(artifacts / experiment).as_uri()
    )
    store.engine.dispose()
    return uri, experiment


def _small_run() -> dict[str, Any]:
    epochs = range(20)
    return {
        "metrics": {
            "step": [e * 50 for e in epochs],
            "epoch": [float(e) for e in epochs],
            "train_loss": [2.0 * 0.85**e for e in epochs],
            "val_loss": [2.1 * 0.88**e + 0.01 for e in epochs],
            "train_accuracy": [0.3 + 0.03 * e for e in epochs],
            "val_accuracy": [0.28 + 0.025 * e for e in epochs],
        },
        "params": {"learning_rate": 0.001, "batch_size": 32, "optimizer": "adam"},
        "dataset": {
            "dataset_name": "toy-animals",
            "num_train_samples": 1000,
            "num_classes": 3,
            "class_counts": {"cat": 500, "dog": 300, "bird": 200},
        },
    }


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The project's own server (`deepfix_notebook.server.create_app`) run by uvicorn in a
    thread on a free 127.0.0.1 port, with API key `API_KEY`, allowed to read one SQLite MLflow
    store holding one run logged with `log_run`."""
    base = tmp_path_factory.mktemp("deepfix-server")
    with pytest.MonkeyPatch.context() as env:
        # Nothing this module starts may reach ~/.deepfix or a store configured outside.
        env.setenv("DEEPFIX_HOME", str(base / "home"))
        env.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        env.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield from _serve(base)


def _serve(base: Path) -> Iterator[LiveServer]:
    import uvicorn

    from deepfix_notebook.artifacts import log_run
    from deepfix_notebook.server import Settings, create_app

    uri, experiment = _make_store(base / "mlflow")
    run_id = log_run(**_small_run(), tracking_uri=uri, experiment=experiment, status="FINISHED")
    settings = Settings(
        allowed_tracking_uris=[uri],
        api_key=API_KEY,
        job_store_url=f"sqlite:///{base / 'jobs.db'}",
        max_concurrent=2,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name="deepfix-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the DeepFix server did not start", pytrace=False)
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield LiveServer(f"http://127.0.0.1:{port}", uri, run_id, experiment)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def local_run(sqlite_store: Any, run_data: dict[str, Any]) -> tuple[str, str]:
    """A run logged with `log_run` to a fresh local SQLite store: ``(tracking_uri, run_id)``."""
    from deepfix_notebook.artifacts import log_run

    run_id = log_run(**run_data, tracking_uri=sqlite_store.uri, experiment=sqlite_store.experiment)
    return sqlite_store.uri, run_id
