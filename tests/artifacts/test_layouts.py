"""Directory layouts: canonical, legacy ones, writers, and paths that try to leave the run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from deepfix_notebook.artifacts import (
    ArtifactError,
    DatasetInfo,
    MetricsTable,
    load_directory,
    load_run,
    write_analysis,
    write_run,
)
from deepfix_notebook.contract import AnalysisResult, ErrorCode


def put(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_missing_directory_is_artifact_not_found(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as info:
        load_directory(tmp_path / "nope")
    assert info.value.code is ErrorCode.ARTIFACT_NOT_FOUND


def test_directory_without_artifacts_says_what_is_expected(tmp_path: Path) -> None:
    put(tmp_path, "notes.txt", "hello")
    with pytest.raises(ArtifactError) as info:
        load_directory(tmp_path)
    assert info.value.code is ErrorCode.ARTIFACT_NOT_FOUND
    assert "training_artifacts/metrics.csv" in info.value.message


def test_dataset_only_run_is_valid_with_a_warning(tmp_path: Path) -> None:
    put(
        tmp_path, "dataset/metadata.yaml", "dataset_name: d\nnum_train_samples: 9\nnum_classes: 2\n"
    )
    bundle = load_directory(tmp_path)
    assert bundle.metrics is None and bundle.dataset is not None
    assert any("training analysis needs it" in w for w in bundle.warnings)


def test_legacy_root_layout(tmp_path: Path) -> None:
    put(tmp_path, "metrics.csv", "step,loss\n0,3\n1,2\n2,1\n")
    put(tmp_path, "params.yaml", "lr: 0.01\n")
    bundle = load_directory(tmp_path)
    assert bundle.layout == "legacy-root"
    assert bundle.params is not None and bundle.params.learning_rate == 0.01


def test_legacy_training_yaml_with_values(tmp_path: Path) -> None:
    put(
        tmp_path,
        "training_artifacts/training_artifacts.yaml",
        "metrics_values:\n  epoch: [0, 1, 2]\n  loss: [1.0, .nan, 0.5]\n"
        "  val_loss: [1.1, null, 0.7]\nparams:\n  learning_rate: 0.001\n",
    )
    bundle = load_directory(tmp_path)
    assert bundle.layout == "legacy-yaml"
    assert bundle.metrics is not None
    loss = bundle.metrics.series("train_loss")[2]
    assert np.isnan(loss[1])  # NaN is data
    assert bundle.metrics.series("val_loss")[0].tolist() == [0, 2]  # null is "not logged"
    assert bundle.params is not None and bundle.params.learning_rate == 0.001


def test_legacy_training_yaml_with_path(tmp_path: Path) -> None:
    put(tmp_path, "training_artifacts/training_artifacts.yaml", "metrics_path: old.csv\n")
    put(tmp_path, "old.csv", "step,loss\n0,3\n1,2\n2,1\n")
    assert load_directory(tmp_path).metrics is not None


@pytest.mark.parametrize("evil", ["../outside.csv", "/etc/passwd", "a/../../outside.csv"])
def test_legacy_metrics_path_cannot_leave_the_run(tmp_path: Path, evil: str) -> None:
    root = tmp_path / "run"
    put(tmp_path, "outside.csv", "step,loss\n0,3\n1,2\n2,1\n")
    put(root, "training_artifacts/training_artifacts.yaml", f"metrics_path: {evil}\n")
    with pytest.raises(ArtifactError) as info:
        load_directory(root)
    assert info.value.code is ErrorCode.ARTIFACT_INVALID
    assert "leaves the run" in info.value.message


def test_absolute_metrics_path_of_another_machine_falls_back_to_the_name(tmp_path: Path) -> None:
    put(tmp_path, "training_artifacts/training_artifacts.yaml", "metrics_path: /home/x/m.csv\n")
    put(tmp_path, "training_artifacts/m.csv", "step,loss\n0,3\n1,2\n2,1\n")
    assert load_directory(tmp_path).metrics is not None


def test_symlink_out_of_the_run_is_refused(tmp_path: Path) -> None:
    put(tmp_path, "secret.csv", "step,loss\n0,3\n1,2\n2,1\n")
    root = tmp_path / "run"
    put(root, "training_artifacts/training_artifacts.yaml", "metrics_path: link.csv\n")
    (root / "link.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(ArtifactError) as info:
        load_directory(root)
    assert "outside" in info.value.message


def test_legacy_dataset_and_deepchecks(tmp_path: Path) -> None:
    put(tmp_path, "training_artifacts/metrics.csv", "step,loss\n0,3\n1,2\n2,1\n")
    put(tmp_path, "dataset/dataset.yaml", "dataset_name: old\nstatistics: {mean: [0.1]}\n")
    put(
        tmp_path,
        "deepchecks/deepchecks.yaml",
        "dataset_name: old\nresults: {data_integrity: [{header: Data Duplicates}]}\n"
        "config: {train_test_validation: true}\n",
    )
    bundle = load_directory(tmp_path)
    assert bundle.dataset is not None and bundle.dataset.statistics == {"mean": [0.1]}
    assert bundle.deepchecks is not None
    assert bundle.deepchecks.config == {"train_test_validation": True}


def test_write_run_round_trips(tmp_path: Path) -> None:
    metrics = {
        "step": [0, 1, 2, 3],
        "epoch": [0, 0, 1, 1],
        "loss": [1.0, 0.7, float("nan"), float("inf")],
        "val_loss": [None, 0.9, None, 0.8],
    }
    dataset = DatasetInfo(
        dataset_name="toy", num_train_samples=30, num_classes=2, class_counts={"a": 20, "b": 10}
    )
    write_run(
        tmp_path,
        metrics=metrics,
        params={"learning_rate": np.float32(0.01), "batch_size": np.int64(8)},
        dataset=dataset,
        statistics={"train_mean": np.array([0.5, 0.25])},
        deepchecks={"results": {"data_integrity": [{"header": "Data Duplicates"}]}},
    )
    bundle = load_directory(tmp_path)
    table = bundle.metrics
    assert table is not None
    loss = table.series("train_loss")[2]
    assert loss[0] == 1.0 and np.isnan(loss[2]) and np.isinf(loss[3])
    assert table.series("val_loss")[0].tolist() == [1, 3]
    assert bundle.params is not None and bundle.params.batch_size == 8
    assert bundle.dataset is not None and bundle.dataset.imbalance_ratio == 2.0
    assert bundle.dataset.statistics == {"train_mean": [0.5, 0.25]}
    # A table written back reads back the same.
    write_run(tmp_path / "copy", metrics=table)
    again = load_directory(tmp_path / "copy").metrics
    assert again is not None
    assert again.step.tolist() == table.step.tolist()
    np.testing.assert_array_equal(again.dense("val_loss"), table.dense("val_loss"))
    assert again.display_name("train_loss") == "loss"


def test_from_columns_arrays_treat_nan_as_not_logged() -> None:
    table, _ = MetricsTable.from_columns(
        {"train_loss": np.array([1.0, 0.5, 0.25]), "val_loss": np.array([np.nan, 0.6, np.nan])}
    )
    assert table.series("val_loss")[0].tolist() == [1]


def test_write_analysis_and_read_it_back(tmp_path: Path) -> None:
    put(tmp_path, "training_artifacts/metrics.csv", "step,loss\n0,3\n1,2\n2,1\n")
    result = AnalysisResult.model_validate(
        {
            "request_id": "req_1",
            "run_id": "run_1",
            "status": "completed",
            "summary": "Looks healthy.",
            "agent_results": [{"agent_name": "TrainingArtifactsAnalyzer"}],
            "execution_time": 0.01,
        }
    )
    path = write_analysis(result, tmp_path)
    assert json.loads(path.read_text())["run_id"] == "run_1"
    bundle = load_run(tmp_path)
    assert bundle.previous_analysis is not None
    assert bundle.previous_analysis["summary"] == "Looks healthy."
    assert not list(tmp_path.glob("deepfix/.*"))  # no temp files left behind


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_run(tmp_path, metrics={"train_loss": [1.0, 0.5, 0.25]}, params={"lr": 0.1})
    finally:
        os.umask(old)
    for name in ("training_artifacts/metrics.csv", "training_artifacts/params.yaml"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
