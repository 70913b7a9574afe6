"""`deepfix validate`/`analyze` through the real console script on runs that cannot be read:
one error line per run, exit 1, never a traceback (a FIFO, a plain HTTP artifact location, a
step beyond int64, a run id that is a path to a real run directory)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from mlflow import MlflowClient

from deepfix_notebook.artifacts import log_run, write_run

METRICS = "training_artifacts/metrics.csv"
WIDE_1E30 = "step,epoch,train_loss\n0,0,1.0\n1,1,0.9\n1e30,2,0.8\n3,3,0.7\n"


def deepfix(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    script = shutil.which("deepfix")
    assert script is not None, "install the package: pip install -e ."
    env = {**os.environ, "DEEPFIX_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def assert_one_error_line(out: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    for text in expected:
        assert text in out.stdout, out.stdout


@pytest.fixture
def store(copy_blank_store: Callable[[Path], str], tmp_path: Path) -> str:
    return copy_blank_store(tmp_path / "store" / "mlflow.db")


def _artifacts(uri: str, run_id: str) -> Path:
    parsed = urlparse(MlflowClient(tracking_uri=uri).get_run(run_id).info.artifact_uri)
    return Path(unquote(parsed.path))


def test_a_fifo_named_metrics_csv_is_an_error_line(
    store: str, run_data: dict[str, Any], tmp_path: Path
) -> None:
    run_id = log_run(**run_data, tracking_uri=store, experiment="fifo")
    metrics = _artifacts(store, run_id) / METRICS
    metrics.unlink()
    os.mkfifo(metrics)
    for command in ("validate", "analyze"):
        out = deepfix(
            command, "--run-id", run_id, "--tracking-uri", store, cwd=tmp_path, home=tmp_path / "h"
        )
        assert_one_error_line(out, "ARTIFACT_INVALID", METRICS, "not a regular file")


def test_a_plain_http_artifact_location_is_an_error_line(store: str, tmp_path: Path) -> None:
    client = MlflowClient(tracking_uri=store)
    experiment = client.create_experiment("plain", artifact_location="http://127.0.0.1:9/path")
    run_id = client.create_run(experiment).info.run_id
    for step in range(5):
        client.log_metric(run_id, "train_loss", 1.0 / (step + 1), step=step)
    for command in ("validate", "analyze"):
        out = deepfix(
            command, "--run-id", run_id, "--tracking-uri", store, cwd=tmp_path, home=tmp_path / "h"
        )
        assert_one_error_line(out, "ARTIFACT_INVALID", "http://127.0.0.1:9/path")


def test_a_step_of_1e30_is_reported_as_given(store: str, tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "training_artifacts").mkdir(parents=True)
    (run / METRICS).write_text(WIDE_1E30)
    client = MlflowClient(tracking_uri=store)
    run_id = client.create_run(client.create_experiment("steps")).info.run_id
    client.log_artifacts(run_id, str(run))
    for source in (("--run-id", run_id, "--tracking-uri", store), (str(run),)):
        out = deepfix("validate", *source, cwd=tmp_path, home=tmp_path / "h")
        assert_one_error_line(out, "ARTIFACT_INVALID", "row 3 is 1e+30", "int64")
        assert "-9223372036854775808" not in out.stdout


def test_a_run_id_that_names_a_real_directory_is_not_read(
    store: str, run_data: dict[str, Any], tmp_path: Path
) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    write_run(tmp_path / "etc", **run_data)  # a valid run at ../../etc of the working dir
    for command in ("validate", "analyze"):
        out = deepfix(command, "--run-id", "../../etc", cwd=work, home=tmp_path / "h")
        assert_one_error_line(out, "VALIDATION_ERROR", "'../../etc'", "32 hexadecimal")
        assert "valid    " not in out.stdout and "completed" not in out.stdout
