"""A sweep of runs in a real ``mlflow server`` over HTTP (artifacts proxied by the server)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from conftest import curves, log
from mlflow import MlflowClient

from deepfix_notebook.artifacts import _mlflow_sweep
from deepfix_notebook.sweeps import run_sweep


def test_a_sweep_over_http_reads_saves_and_reuses(
    mlflow_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_by_one(*args: object) -> None:
        raise AssertionError("histories are read in bulk, not run by run")

    monkeypatch.setattr(_mlflow_sweep, "_history", one_by_one)
    # 12 runs of 30 points: an answer cut at 50 points is asked again in halves
    monkeypatch.setattr(_mlflow_sweep, "BULK_POINTS", 50)
    client = MlflowClient(tracking_uri=mlflow_server)
    name = f"http-sweep-{uuid.uuid4().hex[:8]}"
    experiment_id = client.create_experiment(name)
    rng = np.random.default_rng(3)
    ids = [
        log(client, experiment_id, f"r{i}", {"learning_rate": repr(lr)}, curves(lr >= 0.3, rng))
        for i, lr in enumerate([1e-3, 1e-2, 0.5, 1.0] * 3)
    ]

    first = run_sweep(name, tracking_uri=mlflow_server, save=True)
    assert {run.run_id for run in first.runs} == set(ids)
    assert {run.status for run in first.runs} == {"analysed"} and first.warnings == []
    high = {run.run_id for run in first.runs if "exploding_loss" in {c.value for c in run.problems}}
    assert len(high) == 6  # the runs at 0.5 and 1.0

    again = run_sweep(name, tracking_uri=mlflow_server)
    assert {run.status for run in again.runs} == {"reused"}
    assert [r.problems for r in again.runs] == [r.problems for r in first.runs]
