"""Real SQLite MLflow stores of small sweeps, logged through MLflow's client."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

EPOCHS = 30
T0_MS = 1_700_000_000_000
DIVERGES_FROM = 0.3  # the planted pattern: a learning rate this high or higher diverges


@dataclass(frozen=True)
class Sweep:
    uri: str
    experiment: str
    artifacts: Path
    run_ids: dict[str, str]  # run name -> id


def curves(diverges: bool, rng: np.random.Generator) -> dict[str, np.ndarray]:
    epoch = np.arange(EPOCHS, dtype=np.float64)
    if diverges:
        train = 0.7 * np.exp(0.12 * epoch) + 0.02 * rng.standard_normal(EPOCHS)
    else:
        train = 0.1 + 0.6 * np.exp(-0.25 * epoch) + 0.003 * rng.standard_normal(EPOCHS)
    val = train * 1.05 + 0.005 * rng.standard_normal(EPOCHS)
    return {"train_loss": train, "val_loss": val, "val_accuracy": np.clip(1 - val / 1.4, 0, 1)}


def log(
    client: MlflowClient,
    experiment_id: str,
    name: str,
    params: dict[str, str],
    metrics: dict[str, np.ndarray],
) -> str:
    run_id: str = client.create_run(experiment_id, start_time=T0_MS, run_name=name).info.run_id
    client.log_batch(
        run_id,
        metrics=[
            Metric(key, float(value), T0_MS + step, step)
            for key, values in metrics.items()
            for step, value in enumerate(values)
        ],
        params=[Param(key, value) for key, value in params.items()],
    )
    client.set_terminated(run_id)
    return run_id


def build(
    base: Path,
    blank: Path,
    *,
    runs: int,
    planted: bool = True,
    seed: int = 7,
    experiment: str = "lr-sweep",
) -> Sweep:
    """``runs`` runs over a learning-rate grid 1e-4..1 (log-spaced), with a random optimizer,
    batch size and seed. ``planted``: the runs at a learning rate >= 0.3 diverge; otherwise
    the diverging runs are drawn at random, whatever their parameters."""
    db = base / "mlflow.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(blank, db)
    uri = f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri)
    experiment_id = client.create_experiment(experiment, (base / "artifacts").as_uri())
    rng = np.random.default_rng(seed)
    grid = np.geomspace(1e-4, 1.0, 9)
    ids = {}
    for index in range(runs):
        lr = float(grid[index % grid.size])
        diverges = lr >= DIVERGES_FROM if planted else bool(rng.random() < 0.25)
        params = {
            "learning_rate": repr(lr),
            "optimizer": str(rng.choice(["adam", "sgd"])),
            "batch_size": str(int(rng.choice([16, 32, 64]))),
            "seed": str(int(rng.integers(0, 10_000))),
        }
        name = f"run-{index:02d}"
        ids[name] = log(client, experiment_id, name, params, curves(diverges, rng))
    return Sweep(uri, experiment, base / "artifacts", ids)


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory, blank_mlflow_db: Path) -> Sweep:
    """45 runs; those with a learning rate >= 0.3 diverge (read-only: tests must not write)."""
    return build(tmp_path_factory.mktemp("planted"), blank_mlflow_db, runs=45)


@pytest.fixture
def make_sweep(tmp_path: Path, blank_mlflow_db: Path) -> Callable[..., Sweep]:
    """A new store per call, for tests that write to it."""
    count = [0]

    def make(**kwargs: object) -> Sweep:
        count[0] += 1
        return build(tmp_path / f"sweep{count[0]}", blank_mlflow_db, **kwargs)  # type: ignore[arg-type]

    return make
