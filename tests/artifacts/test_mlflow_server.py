"""Against a real ``mlflow server`` over HTTP (127.0.0.1 only): round trip, metric-history
fallback, unknown runs, and a refused connection that fails fast."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

from deepfix_notebook.artifacts import ArtifactError, load_mlflow_run, log_run, save_analysis
from deepfix_notebook.contract import AnalysisResult, ErrorCode

pytestmark = pytest.mark.slow


def test_log_then_load_round_trip_over_http(
    mlflow_server: str,
    server_experiment: tuple[str, str],
    run_data: dict[str, Any],
    check_round_trip: Any,
) -> None:
    run_data["metrics"]["train_loss"][3] = math.nan
    run_data["metrics"]["val_loss"][1] = None

    run_id = log_run(
        **run_data, tracking_uri=mlflow_server, experiment=server_experiment[0], run_name="http"
    )
    bundle = load_mlflow_run(run_id, mlflow_server)

    check_round_trip(bundle, run_data, run_id)
    assert bundle.tracking_uri == mlflow_server
    run = MlflowClient(tracking_uri=mlflow_server).get_run(run_id)
    assert run.info.experiment_id == server_experiment[1]
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # proxied through the server
    assert run.data.params["batch_size"] == "32"

    result = AnalysisResult.model_validate(
        {
            "request_id": "req_http",
            "run_id": run_id,
            "status": "completed",
            "summary": "ok",
            "agent_results": [{"agent_name": "TrainingArtifactsAnalyzer"}],
            "execution_time": 0.5,
        }
    )
    assert save_analysis(result, tracking_uri=mlflow_server) == (
        f"runs:/{run_id}/deepfix/analysis.json"
    )
    again = load_mlflow_run(run_id, mlflow_server)
    assert again.previous_analysis is not None
    assert again.previous_analysis["request_id"] == "req_http"
    assert again.files[-1] == "deepfix/analysis.json"


def test_metric_history_fallback_over_http(
    mlflow_server: str, server_experiment: tuple[str, str]
) -> None:
    client = MlflowClient(tracking_uri=mlflow_server)
    run_id = client.create_run(server_experiment[1]).info.run_id
    steps = list(range(10))
    loss = [2.0 / (s + 1) for s in steps]
    val_loss = [2.2 / (s + 1) for s in steps]
    client.log_batch(
        run_id,
        metrics=[Metric("loss", v, 1, s) for s, v in zip(steps, loss, strict=True)]
        + [Metric("val_loss", v, 1, s) for s, v in zip(steps, val_loss, strict=True)],
        params=[Param("lr", "0.003"), Param("batch_size", "128")],
    )
    client.log_metric(run_id, "accuracy", 0.5, step=9)

    bundle = load_mlflow_run(run_id, mlflow_server)

    assert bundle.layout == "mlflow-history"
    assert bundle.files == ()
    table = bundle.metrics
    assert table is not None
    assert set(table.names) == {"train_loss", "val_loss", "train_accuracy"}
    assert table.display_name("train_loss") == "loss"
    steps_got, _, loss_got = table.series("train_loss")
    np.testing.assert_array_equal(steps_got, steps)
    np.testing.assert_allclose(loss_got, loss)
    np.testing.assert_allclose(table.series("val_loss")[2], val_loss)
    acc_steps, _, acc = table.series("train_accuracy")
    assert acc_steps.tolist() == [9] and acc.tolist() == [0.5]
    assert any("metric history" in w for w in bundle.warnings), bundle.warnings
    assert bundle.params is not None
    assert bundle.params.learning_rate == 0.003 and type(bundle.params.learning_rate) is float
    assert bundle.params.batch_size == 128 and type(bundle.params.batch_size) is int


@pytest.mark.parametrize("run_id", [uuid.UUID(int=0xC0FFEE).hex, "nope"])
def test_unknown_run_over_http_is_run_not_found(mlflow_server: str, run_id: str) -> None:
    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(run_id, mlflow_server)

    assert info.value.code is ErrorCode.RUN_NOT_FOUND
    assert info.value.details == {
        "run_id": run_id,
        "tracking_uri": mlflow_server,
        "searched": [mlflow_server],
    }


def test_refused_uri_is_connection_error_fast(refused_uri: str, run_data: dict[str, Any]) -> None:
    start = time.monotonic()
    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(uuid.UUID(int=2).hex, refused_uri)
    elapsed = time.monotonic() - start

    assert info.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    assert elapsed < 10, f"took {elapsed:.1f} s"
    assert refused_uri in info.value.message
    assert info.value.details["tracking_uri"] == refused_uri
    assert info.value.to_response().error is ErrorCode.MLFLOW_CONNECTION_ERROR

    start = time.monotonic()
    with pytest.raises(ArtifactError) as info:
        log_run(**run_data, tracking_uri=refused_uri)
    assert info.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    assert time.monotonic() - start < 10


def test_a_server_that_stops_right_after_answering_is_a_connection_error(
    start_mlflow_server: Any, run_data: dict[str, Any]
) -> None:
    server = start_mlflow_server()
    run_id = log_run(**run_data, tracking_uri=server.url, run_name="then-down")
    load_mlflow_run(run_id, server.url)  # answered: its health is remembered for a moment
    server.stop()

    start = time.monotonic()
    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(run_id, server.url)
    assert info.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    assert time.monotonic() - start < 30, "MLflow's retries are bounded"
