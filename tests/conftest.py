"""Shared fixtures: an isolated DeepFix/MLflow environment per test, real MLflow stores and server.

Nothing here mocks MLflow: ``sqlite_store`` is a real SQLite tracking store in a temp dir and
``mlflow_server`` a real ``mlflow server`` subprocess on 127.0.0.1.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from process_helpers import free_port, stop_process_tree, tail

# MLflow reads some settings at import time: set telemetry off before any test imports it.
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"

SERVER_START_TIMEOUT_S = 60.0
N_EPOCHS = 20


# --------------------------------------------------------------------------- environment


@pytest.fixture(autouse=True)
def deepfix_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test: telemetry off, ``DEEPFIX_HOME`` in a fresh temp dir (not yet created), and no
    ``MLFLOW_TRACKING_URI`` or ``mlflow.set_tracking_uri``, so nothing reaches ~/.deepfix or a
    store configured outside.

    Returns the ``DEEPFIX_HOME`` path.
    """
    home = tmp_path_factory.mktemp("env") / "deepfix-home"
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DEEPFIX_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    # What an earlier test passed to mlflow.set_tracking_uri (Lightning's MLFlowLogger does) is
    # this process's MLflow configuration, which DeepFix reads: start each test without it.
    tracking = sys.modules.get("mlflow.tracking._tracking_service.utils")
    if tracking is not None:
        monkeypatch.setattr(tracking, "_tracking_uri", None)
    return home


# --------------------------------------------------------------------------- run data


@pytest.fixture
def run_data() -> dict[str, Any]:
    """Keyword arguments of a small valid run for `write_run` / `log_run`: 20 epochs of
    decreasing train/val loss and rising accuracy, params and dataset metadata (a fresh copy)."""
    epochs = np.arange(N_EPOCHS)
    return {
        "metrics": {
            "step": [int(e) * 50 for e in epochs],
            "epoch": [float(e) for e in epochs],
            "train_loss": [float(2.0 * 0.85**e) for e in epochs],
            "val_loss": [float(2.1 * 0.88**e + 0.01) for e in epochs],
            "train_accuracy": [float(0.3 + 0.03 * e) for e in epochs],
            "val_accuracy": [float(0.28 + 0.025 * e) for e in epochs],
        },
        "params": {
            "learning_rate": 0.001,
            "batch_size": 32,
            "optimizer": "adam",
            "num_epochs": N_EPOCHS,
        },
        "dataset": {
            "dataset_name": "toy-animals",
            "num_train_samples": 1000,
            "num_val_samples": 200,
            "num_classes": 3,
            "class_counts": {"cat": 500, "dog": 300, "bird": 200},
        },
    }


@pytest.fixture
def make_run_dir(tmp_path: Path, run_data: dict[str, Any]) -> Callable[..., Path]:
    """``make_run_dir(name="run", **overrides)``: write `run_data` (keys overridden by
    ``overrides``) with `write_run` under ``tmp_path / name``; returns the run's directory."""
    from deepfix_notebook.artifacts import write_run

    def make(name: str = "run", **overrides: Any) -> Path:
        return write_run(tmp_path / name, **{**run_data, **overrides})

    return make


# --------------------------------------------------------------------------- SQLite store


@dataclass(frozen=True)
class SqliteStore:
    uri: str
    db: Path
    artifact_root: Path
    experiment: str
    experiment_id: str


@pytest.fixture
def make_sqlite_store(tmp_path: Path) -> Callable[[str], SqliteStore]:
    """``make_sqlite_store(name)``: a new SQLite tracking store under ``tmp_path / name``.

    Its experiment (and the Default one) keep artifacts in ``tmp_path / name / artifacts``, so
    nothing lands in ./mlruns.
    """
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    stores: list[Any] = []

    def make(name: str = "store") -> SqliteStore:
        base = tmp_path / name
        base.mkdir(parents=True)
        db = base / "mlflow.db"
        artifacts = base / "artifacts"
        artifacts.mkdir()
        uri = f"sqlite:///{db}"
        store = SqlAlchemyStore(uri, artifacts.as_uri())
        stores.append(store)
        experiment = f"deepfix-tests-{name}"
        experiment_id = store.create_experiment(
            experiment, artifact_location=(artifacts / experiment).as_uri()
        )
        return SqliteStore(uri, db, artifacts, experiment, str(experiment_id))

    yield make
    for store in stores:
        store.engine.dispose()


@pytest.fixture
def sqlite_store(make_sqlite_store: Callable[[str], SqliteStore]) -> SqliteStore:
    """A ``sqlite:///<tmp>/mlflow.db`` store with an experiment whose artifacts stay in tmp."""
    return make_sqlite_store("store")


@pytest.fixture(scope="session")
def blank_mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite database, made once per session: MLflow's migrations take
    seconds per new store, a copy (`copy_blank_store`) milliseconds."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    base = tmp_path_factory.mktemp("blank-store")
    db = base / "mlflow.db"
    SqlAlchemyStore(f"sqlite:///{db}", (base / "artifacts").as_uri()).engine.dispose()
    return db


@pytest.fixture
def copy_blank_store(blank_mlflow_db: Path) -> Callable[[Path], str]:
    """``copy_blank_store(path)``: a real, empty MLflow SQLite store at ``path`` (a copy of
    `blank_mlflow_db`); its URI. Log runs into experiments with their own artifact location."""

    def copy(db: Path) -> str:
        db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(blank_mlflow_db, db)
        return f"sqlite:///{db}"

    return copy


# --------------------------------------------------------------------------- MLflow server


class _Server:
    """A started ``mlflow server`` subprocess and every process it spawned."""

    def __init__(self, base: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout = base / "server.out"
        self.stderr = base / "server.err"
        env = {
            **os.environ,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            # No job runner (three huey consumers and a /dev/shm dir): not needed, slow to start.
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        }
        env.pop("MLFLOW_TRACKING_URI", None)
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", "1",
            "--backend-store-uri", f"sqlite:///{base / 'server.db'}",
            "--artifacts-destination", str(base / "artifacts"),
            "--serve-artifacts",
        ]  # fmt: skip
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                command, cwd=base, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )
        self._stopped = False

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mlflow server exited with {self.process.returncode} before answering "
                    f"/health:\n{tail(self.stderr)}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        raise RuntimeError(
            f"mlflow server did not answer {self.url}/health within {timeout:.0f} s:\n"
            f"{tail(self.stderr)}"
        )

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        stop_process_tree(self.process)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server`` (SQLite backend, proxied artifacts in tmp) on 127.0.0.1; its URL."""
    base = tmp_path_factory.mktemp("mlflow-server")
    server = _Server(base)
    atexit.register(server.stop)  # should the session die before the finaliser runs
    try:
        server.wait_healthy(SERVER_START_TIMEOUT_S)
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def start_mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Any]]:
    """``start_mlflow_server()``: a private started ``mlflow server`` (``.url``) the test may
    ``.stop()``, e.g. to take MLflow down mid-way; the shared `mlflow_server` must stay up."""
    servers: list[_Server] = []

    def start() -> _Server:
        server = _Server(tmp_path_factory.mktemp("mlflow-private"))
        servers.append(server)
        try:
            server.wait_healthy(SERVER_START_TIMEOUT_S)
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def server_experiment(mlflow_server: str) -> tuple[str, str]:
    """A fresh experiment on the server: ``(name, experiment_id)``."""
    from mlflow import MlflowClient

    name = f"deepfix-tests-{uuid.uuid4().hex[:12]}"
    return name, str(MlflowClient(tracking_uri=mlflow_server).create_experiment(name))


@pytest.fixture
def refused_uri() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` where nothing listens: the port stays bound (not listening)
    by this fixture for the whole test, so a connection is refused and no one else can take it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


# --------------------------------------------------------------------------- shared checks


@pytest.fixture
def check_round_trip() -> Callable[..., None]:
    """``check_round_trip(bundle, data, run_id)``: ``bundle`` (loaded from MLflow) holds exactly
    the metrics, params and dataset ``data`` (keyword arguments of `log_run`) was logged with."""
    from deepfix_notebook.artifacts import ArtifactBundle

    def check(bundle: ArtifactBundle, data: dict[str, Any], run_id: str) -> None:
        assert bundle.run_id == run_id
        assert bundle.source == f"runs:/{run_id}"
        assert bundle.layout == "canonical"
        assert bundle.files == (
            "training_artifacts/metrics.csv",
            "training_artifacts/params.yaml",
            "dataset/metadata.yaml",
        )
        metrics = data["metrics"]
        table = bundle.metrics
        assert table is not None
        expected_names = {k for k in metrics if k not in {"step", "epoch"}}
        assert set(table.names) == expected_names
        np.testing.assert_array_equal(table.step, np.asarray(metrics["step"]))
        assert table.epoch is not None
        np.testing.assert_array_equal(table.epoch, np.asarray(metrics["epoch"], dtype=float))
        for name in expected_names:
            column = metrics[name]
            logged = [i for i, v in enumerate(column) if v is not None]
            steps, _, values = table.series(name)
            np.testing.assert_array_equal(steps, np.asarray(metrics["step"])[logged], err_msg=name)
            # NaN is data and must survive (assert_array_equal treats NaN == NaN).
            np.testing.assert_array_equal(
                values, np.asarray([column[i] for i in logged], dtype=float), err_msg=name
            )
        params = bundle.params
        assert params is not None
        expected_params = data["params"]
        assert params.learning_rate == expected_params["learning_rate"]
        assert type(params.learning_rate) is float
        assert params.batch_size == expected_params["batch_size"]
        assert type(params.batch_size) is int
        dataset = bundle.dataset
        assert dataset is not None
        counts = data["dataset"]["class_counts"]
        assert dataset.dataset_name == data["dataset"]["dataset_name"]
        assert dataset.class_counts == counts
        assert dataset.imbalance_ratio == pytest.approx(max(counts.values()) / min(counts.values()))

    return check
