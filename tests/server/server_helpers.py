"""Helpers of the server tests: a gated engine, polling, request bodies, fixture types.

Imported by module name (``from server_helpers import ...``): ``conftest`` is ambiguous when
several test folders have one."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from deepfix_notebook.engine import Engine
from deepfix_notebook.server import Settings

GATE_TIMEOUT_S = 30.0
HISTORY_POINTS = 10_000  # per metric: the run takes a second or more to load from MLflow
STOP_TIMEOUT_S = 15.0


class GatedEngine(Engine):
    """The real engine, held at the start of each analysis until ``gate`` is set: a way to
    keep jobs running for as long as a test needs (never longer than `GATE_TIMEOUT_S`)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self._entered = threading.Semaphore(0)

    def analyze(self, *args: Any, **kwargs: Any) -> Any:
        self._entered.release()
        if not self.gate.wait(GATE_TIMEOUT_S):
            raise RuntimeError("the test never opened the gate")
        return super().analyze(*args, **kwargs)

    def wait_entered(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until ``count`` more analyses reached the gate."""
        for _ in range(count):
            assert self._entered.acquire(timeout=timeout), "no analysis reached the gate"


def wait_for_status(
    http: httpx.Client, request_id: str, states: set[str], timeout: float = 30.0
) -> dict[str, Any]:
    """Poll the status route until the job is in one of ``states``; its last status."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(f"/api/v1/status/{request_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in states:
            return body
        assert time.monotonic() < deadline, f"job still {body['status']} after {timeout} s"
        time.sleep(0.05)


def analyze_body(run_id: str, uri: str, **options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"run_id": run_id, "mlflow_tracking_uri": uri}
    if options:
        body["analysis_options"] = options
    return body


def log_long_history(uri: str, experiment_id: str) -> str:
    """A run whose metrics are MLflow history only (no metrics.csv): slow to load."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(tracking_uri=uri)
    run_id: str = client.create_run(experiment_id).info.run_id
    stamp = int(time.time() * 1000)
    points = [
        Metric(name, 2.0 / (1 + step / scale), stamp, step)
        for step in range(HISTORY_POINTS)
        for name, scale in (("train_loss", 1000), ("val_loss", 1200))
    ]
    for start in range(0, len(points), 1000):  # MLflow takes 1000 metrics per batch
        client.log_batch(run_id, metrics=points[start : start + 1000])
    client.set_terminated(run_id)
    return run_id


ASYNC = {"Prefer": "respond-async"}
ENVELOPE_KEYS = {"error", "message", "details", "timestamp"}


@dataclass(frozen=True)
class MlflowRuns:
    """A SQLite tracking store and the runs logged to it."""

    uri: str
    full: str  # metrics, params and dataset metadata
    metrics_only: str  # no dataset, no deepchecks


@dataclass
class RunningServer:
    """A uvicorn server in a thread, serving ``app`` at ``url``."""

    app: FastAPI
    settings: Settings
    url: str
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60.0, **kwargs)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(STOP_TIMEOUT_S)
        self.sock.close()
        assert not self.thread.is_alive(), "the server did not stop"


StartServer = Callable[..., RunningServer]
