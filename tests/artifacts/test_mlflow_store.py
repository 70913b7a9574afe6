"""MLflow stores on disk (SQLite), with real MLflow: default store, precedence, round trips,
metric-history fallback, error codes, write-back and temp-dir hygiene."""

from __future__ import annotations

import math
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException

from deepfix_notebook.artifacts import (
    ArtifactError,
    deepfix_home,
    load_mlflow_run,
    load_run,
    log_run,
    resolve_tracking_uri,
    save_analysis,
)
from deepfix_notebook.artifacts import _mlflow as mlflow_module
from deepfix_notebook.contract import AnalysisResult, ErrorCode

LAYOUT_FILES = (
    "training_artifacts/metrics.csv",
    "training_artifacts/params.yaml",
    "dataset/metadata.yaml",
)


def _local_path(artifact_uri: str) -> Path:
    parsed = urlparse(artifact_uri)
    assert parsed.scheme == "file", artifact_uri
    return Path(unquote(parsed.path)).resolve()


def _files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def download_roots(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, set[str]]]:
    """Spy on the real `_download_layout`: each call's temp root and the files it held after."""
    calls: list[tuple[Path, set[str]]] = []
    real = mlflow_module._download_layout

    def spy(client: Any, run_id: str, root: Path, uri: str, **kwargs: Any) -> tuple[str, ...]:
        try:
            return real(client, run_id, root, uri, **kwargs)
        finally:
            calls.append((root, _files_under(root)))

    monkeypatch.setattr(mlflow_module, "_download_layout", spy)
    return calls


def _analysis(run_id: str) -> AnalysisResult:
    return AnalysisResult.model_validate(
        {
            "request_id": "req_roundtrip",
            "run_id": run_id,
            "status": "completed",
            "summary": "Training looks healthy.",
            "agent_results": [
                {
                    "agent_name": "TrainingArtifactsAnalyzer",
                    "analyzed_artifacts": ["training_artifacts/metrics.csv"],
                    "additional_outputs": {"best_epoch": 19},
                }
            ],
            "execution_time": 1.5,
            "timestamp": "2025-10-15T10:30:00Z",
        }
    )


# --------------------------------------------------------------------------- which store


def test_default_store_is_created_under_deepfix_home_on_first_log(
    deepfix_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_data: dict[str, Any]
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    home = deepfix_env
    assert deepfix_home() == home
    assert not home.exists()
    expected_uri = f"sqlite:///{(home / 'mlflow.db').resolve()}"
    assert resolve_tracking_uri() == expected_uri

    run_id = log_run(**run_data, run_name="first")
    named_id = log_run(**run_data, experiment="team/vision")

    assert (home / "mlflow.db").is_file()
    assert (home / "artifacts").is_dir()
    client = MlflowClient(tracking_uri=expected_uri)
    run = client.get_run(run_id)
    assert run.info.run_name == "first"
    artifact_dir = _local_path(run.info.artifact_uri)
    assert artifact_dir.is_relative_to((home / "artifacts").resolve())
    assert LAYOUT_FILES[0] in _files_under(artifact_dir)
    named_dir = _local_path(client.get_run(named_id).info.artifact_uri)
    assert named_dir.is_relative_to((home / "artifacts" / "team_vision").resolve())

    bundle = load_mlflow_run(run_id)
    assert bundle.tracking_uri == expected_uri
    assert bundle.metrics is not None and len(bundle.metrics) == 20
    # load_run with a bare run id (not a path) goes to the same default store.
    assert load_run(run_id).run_id == run_id
    assert sorted(p.name for p in cwd.iterdir()) == []


def test_tracking_uri_env_wins_over_default(
    deepfix_env: Path, sqlite_store: Any, monkeypatch: pytest.MonkeyPatch, run_data: dict[str, Any]
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", sqlite_store.uri)
    assert resolve_tracking_uri() == sqlite_store.uri

    run_id = log_run(**run_data, experiment=sqlite_store.experiment)

    run = MlflowClient(tracking_uri=sqlite_store.uri).get_run(run_id)
    assert run.info.experiment_id == sqlite_store.experiment_id
    assert _local_path(run.info.artifact_uri).is_relative_to(sqlite_store.artifact_root.resolve())
    assert not (deepfix_env / "mlflow.db").exists()
    bundle = load_mlflow_run(run_id)
    assert bundle.tracking_uri == sqlite_store.uri
    assert bundle.files == LAYOUT_FILES


def test_explicit_uri_wins_over_env_and_default(
    deepfix_env: Path,
    make_sqlite_store: Any,
    monkeypatch: pytest.MonkeyPatch,
    run_data: dict[str, Any],
) -> None:
    env_store = make_sqlite_store("env")
    explicit = make_sqlite_store("explicit")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env_store.uri)
    assert resolve_tracking_uri(explicit.uri) == explicit.uri

    run_id = log_run(**run_data, tracking_uri=explicit.uri, experiment=explicit.experiment)

    assert MlflowClient(tracking_uri=explicit.uri).get_run(run_id).info.run_id == run_id
    with pytest.raises(MlflowException):
        MlflowClient(tracking_uri=env_store.uri).get_run(run_id)
    assert not (deepfix_env / "mlflow.db").exists()
    assert load_mlflow_run(run_id, explicit.uri).tracking_uri == explicit.uri
    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(run_id)  # the env store, which does not have it
    assert info.value.code is ErrorCode.RUN_NOT_FOUND


# --------------------------------------------------------------------------- round trips


def test_log_then_load_round_trip(
    sqlite_store: Any, run_data: dict[str, Any], check_round_trip: Any
) -> None:
    metrics = run_data["metrics"]
    metrics["train_loss"][7] = math.nan  # a diverged step is data, not an error
    metrics["val_loss"] = [v if i % 2 == 0 else None for i, v in enumerate(metrics["val_loss"])]

    run_id = log_run(
        **run_data,
        tracking_uri=sqlite_store.uri,
        experiment=sqlite_store.experiment,
        run_name="round-trip",
    )
    bundle = load_mlflow_run(run_id, sqlite_store.uri)

    check_round_trip(bundle, run_data, run_id)
    assert np.isnan(bundle.metrics.series("train_loss")[2][7])
    assert len(bundle.metrics.series("val_loss")[2]) == 10
    # MLflow sees the params (as strings) and the last value of each metric.
    run = MlflowClient(tracking_uri=sqlite_store.uri).get_run(run_id)
    assert run.data.params == {
        "learning_rate": "0.001",
        "batch_size": "32",
        "optimizer": "adam",
        "num_epochs": "20",
    }
    assert run.data.metrics["train_loss"] == pytest.approx(metrics["train_loss"][-1])


def test_metric_history_fallback(sqlite_store: Any) -> None:
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    run_id = client.create_run(sqlite_store.experiment_id).info.run_id
    steps = list(range(12))
    loss = [1.5 * 0.8**s for s in steps]
    loss[4] = math.nan
    accuracy = [0.4 + 0.04 * s for s in steps]
    val_steps = steps[::3]
    val_loss = [1.6 * 0.85**s for s in val_steps]
    client.log_batch(
        run_id,
        metrics=[Metric("loss", v, 1000 + s, s) for s, v in zip(steps, loss, strict=True)]
        + [Metric("accuracy", v, 1000 + s, s) for s, v in zip(steps, accuracy, strict=True)],
        params=[
            Param("learning_rate", "0.01"),
            Param("batch_size", "64"),
            Param("optimizer", "sgd"),
        ],
    )
    for s, v in zip(val_steps, val_loss, strict=True):
        client.log_metric(run_id, "val_loss", v, step=s)

    bundle = load_mlflow_run(run_id, sqlite_store.uri)

    assert bundle.layout == "mlflow-history"
    assert bundle.files == ()
    table = bundle.metrics
    assert table is not None
    assert set(table.names) == {"train_loss", "val_loss", "train_accuracy"}
    assert table.display_name("train_loss") == "loss"
    assert table.display_name("train_accuracy") == "accuracy"
    np.testing.assert_array_equal(table.step, steps)
    got_steps, _, got_loss = table.series("train_loss")
    np.testing.assert_array_equal(got_steps, steps)
    np.testing.assert_array_equal(got_loss, loss)  # NaN kept
    got_steps, _, got_val = table.series("val_loss")
    np.testing.assert_array_equal(got_steps, val_steps)
    np.testing.assert_allclose(got_val, val_loss)
    np.testing.assert_allclose(table.series("train_accuracy")[2], accuracy)
    assert any("metric history" in w for w in bundle.warnings), bundle.warnings
    params = bundle.params
    assert params is not None
    assert params.learning_rate == 0.01 and type(params.learning_rate) is float
    assert params.batch_size == 64 and type(params.batch_size) is int
    assert params.optimizer == "sgd"


def test_bundle_carries_the_runs_name(sqlite_store: Any) -> None:
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    run_id = client.create_run(sqlite_store.experiment_id, run_name="lr-3e-4-adam").info.run_id
    for step in range(4):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)

    bundle = load_mlflow_run(run_id, sqlite_store.uri)

    assert bundle.run_id == run_id
    assert bundle.run_name == "lr-3e-4-adam"


# --------------------------------------------------------------------------- errors


def test_run_without_artifacts_or_metrics_is_artifact_not_found(sqlite_store: Any) -> None:
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    run_id = client.create_run(sqlite_store.experiment_id).info.run_id
    client.log_param(run_id, "learning_rate", "0.01")  # params alone are no training data

    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(run_id, sqlite_store.uri)

    assert info.value.code is ErrorCode.ARTIFACT_NOT_FOUND
    assert "training_artifacts/metrics.csv" in info.value.message
    assert info.value.details["run_id"] == run_id


@pytest.mark.parametrize("run_id", [uuid.UUID(int=0x5EED).hex, "nope"])
def test_unknown_run_is_run_not_found(sqlite_store: Any, run_id: str) -> None:
    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(run_id, sqlite_store.uri)

    assert info.value.code is ErrorCode.RUN_NOT_FOUND
    assert run_id in info.value.message
    assert info.value.details == {
        "run_id": run_id,
        "tracking_uri": sqlite_store.uri,
        "searched": [sqlite_store.uri],
    }
    assert info.value.to_response().error is ErrorCode.RUN_NOT_FOUND


def test_missing_sqlite_database_is_connection_error_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "mlflow.db"
    uri = f"sqlite:///{db}"

    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(uuid.UUID(int=1).hex, uri)

    assert info.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    assert uri in info.value.message
    assert info.value.details["tracking_uri"] == uri
    assert not db.exists()
    assert not db.parent.exists()


def test_invalid_metrics_csv_in_run_is_artifact_invalid(sqlite_store: Any) -> None:
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    run_id = client.create_run(sqlite_store.experiment_id).info.run_id
    client.log_text(run_id, "step,val_loss\n0,1.0\n1,0.9\n2,0.8\n3,0.7\n", LAYOUT_FILES[0])

    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(run_id, sqlite_store.uri)

    assert info.value.code is ErrorCode.ARTIFACT_INVALID
    assert info.value.file == LAYOUT_FILES[0]


# --------------------------------------------------------------------------- write-back


def test_save_analysis_is_read_back_as_previous_analysis(
    sqlite_store: Any, run_data: dict[str, Any]
) -> None:
    run_id = log_run(**run_data, tracking_uri=sqlite_store.uri, experiment=sqlite_store.experiment)
    first = load_mlflow_run(run_id, sqlite_store.uri)
    assert first.previous_analysis is None
    result = _analysis(run_id)

    where = save_analysis(result, tracking_uri=sqlite_store.uri)

    assert where == f"runs:/{run_id}/deepfix/analysis.json"
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    assert [a.path for a in client.list_artifacts(run_id, "deepfix")] == ["deepfix/analysis.json"]
    bundle = load_mlflow_run(run_id, sqlite_store.uri)
    assert bundle.files == (*LAYOUT_FILES, "deepfix/analysis.json")
    assert bundle.previous_analysis is not None
    assert bundle.previous_analysis["run_id"] == run_id
    assert bundle.previous_analysis["request_id"] == "req_roundtrip"
    assert AnalysisResult.model_validate(bundle.previous_analysis) == result


def test_save_analysis_to_unknown_run_is_run_not_found(sqlite_store: Any) -> None:
    missing = uuid.UUID(int=0xBAD).hex
    with pytest.raises(ArtifactError) as info:
        save_analysis(_analysis(missing), tracking_uri=sqlite_store.uri)
    assert info.value.code is ErrorCode.RUN_NOT_FOUND


# --------------------------------------------------------------------------- what is downloaded


def test_temp_download_dir_is_removed_after_success_and_failure(
    sqlite_store: Any,
    run_data: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    download_roots: list[tuple[Path, set[str]]],
) -> None:
    good = log_run(**run_data, tracking_uri=sqlite_store.uri, experiment=sqlite_store.experiment)
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    bad = client.create_run(sqlite_store.experiment_id).info.run_id
    client.log_text(bad, "step,val_loss\n0,1.0\n1,0.9\n2,0.8\n3,0.7\n", LAYOUT_FILES[0])
    watched = tmp_path / "watched-tmp"
    watched.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(watched))

    bundle = load_mlflow_run(good, sqlite_store.uri)
    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(bad, sqlite_store.uri)

    assert bundle.files == LAYOUT_FILES
    assert info.value.code is ErrorCode.ARTIFACT_INVALID
    assert len(download_roots) == 2
    for root, files in download_roots:
        assert root.parent == watched  # the temp dir really was made in the watched place
        assert root.name.startswith("deepfix-run-")
        assert files  # and held the downloads while loading
        assert not root.exists()
    assert sorted(watched.glob("deepfix-run-*")) == []


def test_only_layout_files_are_downloaded(
    sqlite_store: Any, run_data: dict[str, Any], download_roots: list[tuple[Path, set[str]]]
) -> None:
    run_id = log_run(**run_data, tracking_uri=sqlite_store.uri, experiment=sqlite_store.experiment)
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    client.log_text(run_id, "weights", "best_checkpoint/model.bin")
    client.log_text(run_id, "notes", "other/notes.txt")
    client.log_text(run_id, "scratch", "training_artifacts/extra.txt")
    listed = {a.path for a in client.list_artifacts(run_id)}
    assert {"best_checkpoint", "other", "training_artifacts", "dataset"} <= listed

    bundle = load_mlflow_run(run_id, sqlite_store.uri)

    assert bundle.files == LAYOUT_FILES
    assert [files for _, files in download_roots] == [set(LAYOUT_FILES)]


@pytest.mark.parametrize("given", ["{folder}", "file://{folder}"])
def test_a_folder_as_tracking_uri_says_which_database_to_use(tmp_path: Path, given: str) -> None:
    uri = given.format(folder=tmp_path / "store")
    with pytest.raises(ArtifactError) as raised:
        log_run(metrics={"step": [0, 1], "train_loss": [1.0, 0.5]}, tracking_uri=uri)
    error = raised.value
    assert error.code is ErrorCode.VALIDATION_ERROR
    assert f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}" in error.message
    assert not (tmp_path / "store").exists()  # nothing written
