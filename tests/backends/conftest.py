"""Fixtures of the backend suite: the same runs, logged to a real ``mlflow server``, analysed by
`LocalBackend` in-process and by `RemoteBackend` through the project's server (uvicorn on
127.0.0.1, whose allowlist holds that MLflow server's URL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import pytest
from backend_helpers import Runs, make_backend
from process_helpers import serve_in_thread

from deepfix_notebook.backends import AnalysisBackend

EPOCHS = np.arange(30)


def _curves() -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """train_loss, val_loss and learning rate of each scenario."""
    e = EPOCHS
    peak = 2 * 0.9**8
    rising = np.where(e < 10, 2.1 * 0.85**e, 2.1 * 0.85**10 + 0.05 * (e - 10))
    return {
        "healthy": (2 * 0.85**e, 2.1 * 0.88**e + 0.01, 0.001),
        "overfitting": (2 * 0.8**e, rising, 0.001),
        "diverging": (
            np.where(e < 8, 2 * 0.9**e, peak * 1.6 ** (e - 8)),
            np.where(e < 8, 2.1 * 0.9**e, 1.05 * peak * 1.6 ** (e - 8)),
            0.5,
        ),
    }


@pytest.fixture(scope="module")
def runs(mlflow_server: str, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Three scenarios (healthy, overfitting, diverging), with params and dataset metadata."""
    from deepfix_notebook.artifacts import log_run

    experiment = f"deepfix-backends-{uuid.uuid4().hex[:8]}"
    by_name = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DEEPFIX_HOME", str(tmp_path_factory.mktemp("backends-home")))
        for name, (train, val, lr) in _curves().items():
            by_name[name] = log_run(
                metrics={
                    "step": [int(x) * 50 for x in EPOCHS],
                    "epoch": [float(x) for x in EPOCHS],
                    "train_loss": [float(x) for x in train],
                    "val_loss": [float(x) for x in val],
                },
                params={"learning_rate": lr, "batch_size": 32, "optimizer": "adam"},
                dataset={
                    "dataset_name": "toy-animals",
                    "num_train_samples": 1000,
                    "num_val_samples": 200,
                    "num_classes": 3,
                    "class_counts": {"cat": 800, "dog": 150, "bird": 50},
                },
                tracking_uri=mlflow_server,
                experiment=experiment,
                run_name=name,
            )
    return Runs(mlflow_server, experiment, by_name)


@pytest.fixture(scope="module")
def deepfix_server(runs: Runs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The project's server on 127.0.0.1, allowed to read the MLflow server; its URL."""
    from deepfix_notebook.server import Settings, create_app

    base = tmp_path_factory.mktemp("backends-server")
    settings = Settings(
        allowed_tracking_uris=[runs.tracking_uri],
        job_store_url=f"sqlite:///{base / 'jobs.db'}",
        max_concurrent=2,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture(params=["local", "remote"])
def backend(request: pytest.FixtureRequest, runs: Runs) -> Iterator[AnalysisBackend]:
    """Each backend in turn, reading the same MLflow server."""
    backend = make_backend(request.param, request, runs)
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture
def local_and_remote(
    request: pytest.FixtureRequest, runs: Runs
) -> Iterator[tuple[AnalysisBackend, AnalysisBackend]]:
    """Both backends at once, to compare their answers."""
    local, remote = make_backend("local", request, runs), make_backend("remote", request, runs)
    try:
        yield local, remote
    finally:
        local.close()
        remote.close()


@pytest.fixture
def current(backend: AnalysisBackend) -> Iterator[AnalysisBackend]:
    """``backend`` made the process's current one (what `analyze`, `ask` and the magics use)
    for the test; the embedded engine again afterwards."""
    from deepfix_notebook.backends import LocalBackend, use

    use(backend)
    try:
        yield backend
    finally:
        use(LocalBackend())
