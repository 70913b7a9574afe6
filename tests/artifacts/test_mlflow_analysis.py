"""`load_mlflow_analysis` on a real SQLite MLflow store: a run's logged analysis alone, read
without downloading its other artifacts, and clear errors for what is not an analysis."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

import deepfix_notebook as dfx
from deepfix_notebook.artifacts import (
    ArtifactError,
    load_mlflow_analysis,
    load_mlflow_run,
    log_run,
    save_analysis,
)
from deepfix_notebook.artifacts import _mlflow as mlflow_module
from deepfix_notebook.contract import ErrorCode

ANALYSIS = "deepfix/analysis.json"


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Spy on the real download of one artifact: the paths fetched."""
    fetched: list[str] = []
    real = mlflow_module._RunArtifacts.download_artifacts

    def spy(self: Any, run_id: str, path: str, dst_path: str, /) -> str:
        fetched.append(path)
        return real(self, run_id, path, dst_path)

    monkeypatch.setattr(mlflow_module._RunArtifacts, "download_artifacts", spy)
    return fetched


@pytest.fixture
def logged(sqlite_store: Any, run_data: dict[str, Any]) -> str:
    """A run with the full layout (metrics, params, dataset)."""
    return log_run(**run_data, tracking_uri=sqlite_store.uri, experiment=sqlite_store.experiment)


def test_present_analysis_is_read_alone(
    sqlite_store: Any,
    logged: str,
    downloads: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = dfx.analyze(logged, tracking_uri=sqlite_store.uri)
    save_analysis(result, tracking_uri=sqlite_store.uri)
    downloads.clear()  # the analysis read the whole run
    watched = tmp_path / "watched-tmp"
    watched.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(watched))

    found = load_mlflow_analysis(logged, sqlite_store.uri)

    assert found is not None
    assert found.request_id == result.request_id and found.run_id == logged
    assert found.counts_by_severity() == result.counts_by_severity()
    assert downloads == [ANALYSIS]  # not metrics.csv, params.yaml or the dataset
    assert list(watched.iterdir()) == []  # the temp dir it used is gone
    # The same analysis as the full read finds.
    assert load_mlflow_run(logged, sqlite_store.uri).previous_analysis == found.model_dump(
        mode="json"
    )


def test_absent_analysis_is_none_without_downloading(
    sqlite_store: Any, logged: str, downloads: list[str]
) -> None:
    assert load_mlflow_analysis(logged, sqlite_store.uri) is None
    assert downloads == []


def test_a_run_with_metric_history_only_has_no_analysis(sqlite_store: Any) -> None:
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    run_id = client.create_run(sqlite_store.experiment_id).info.run_id
    client.log_batch(run_id, metrics=[Metric("val_loss", 1.0 / (s + 1), 0, s) for s in range(5)])
    assert load_mlflow_analysis(run_id, sqlite_store.uri) is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"run_id": 3}', "is not a valid analysis ("),  # JSON, but not an analysis
        ("[1, 2]", "is not a valid analysis (top level"),
        ('{"run_id": "x",', "Not valid JSON at line 1"),
    ],
)
def test_invalid_analysis_is_artifact_invalid(
    sqlite_store: Any, logged: str, text: str, where: str
) -> None:
    MlflowClient(tracking_uri=sqlite_store.uri).log_text(logged, text, ANALYSIS)
    with pytest.raises(ArtifactError) as raised:
        load_mlflow_analysis(logged, sqlite_store.uri)
    error = raised.value
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert error.file == ANALYSIS
    assert where in error.message


def test_a_folder_named_like_the_analysis_is_no_analysis(sqlite_store: Any, logged: str) -> None:
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    client.log_text(logged, "{}", f"{ANALYSIS}/inside.json")
    assert load_mlflow_analysis(logged, sqlite_store.uri) is None


def test_run_without_artifacts_or_metrics_is_artifact_not_found(sqlite_store: Any) -> None:
    client = MlflowClient(tracking_uri=sqlite_store.uri)
    run_id = client.create_run(sqlite_store.experiment_id).info.run_id
    client.log_text(run_id, "notes", "other/notes.txt")  # not a DeepFix artifact
    with pytest.raises(ArtifactError) as raised:
        load_mlflow_analysis(run_id, sqlite_store.uri)
    assert raised.value.code is ErrorCode.ARTIFACT_NOT_FOUND
    assert "no DeepFix artifacts and no logged metrics" in raised.value.message
    with pytest.raises(ArtifactError) as full:  # what the full read says too
        load_mlflow_run(run_id, sqlite_store.uri)
    assert full.value.code is ErrorCode.ARTIFACT_NOT_FOUND


def test_unknown_run_and_missing_store(sqlite_store: Any, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as unknown:
        load_mlflow_analysis("0" * 32, sqlite_store.uri)
    assert unknown.value.code is ErrorCode.RUN_NOT_FOUND
    with pytest.raises(ArtifactError) as missing:
        load_mlflow_analysis("0" * 32, f"sqlite:///{tmp_path / 'none.db'}")
    assert missing.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    assert not (tmp_path / "none.db").exists()
