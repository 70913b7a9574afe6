"""Dataset metadata and statistics from arrays, images and DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import deepfix_notebook as dfx
from deepfix_notebook.artifacts import load_mlflow_run
from deepfix_notebook.training import describe_dataset


def test_labels_give_counts_and_features_give_moments() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 2.0, size=(4000, 3))
    metadata, statistics = describe_dataset(
        np.array([0] * 3000 + [1] * 900 + [2] * 100), features=x, val_features=x[:500], name="t"
    )
    assert metadata["class_counts"] == {"0": 3000, "1": 900, "2": 100}
    assert metadata["num_classes"] == 3 and metadata["num_train_samples"] == 4000
    assert metadata["num_val_samples"] == 500
    assert statistics["train_mean"] == pytest.approx([5.0] * 3, abs=0.1)
    assert statistics["train_std"] == pytest.approx([2.0] * 3, abs=0.1)


@pytest.mark.parametrize("shape", [(64, 3, 8, 8), (64, 8, 8, 3)])
def test_images_are_summarised_per_channel(shape: tuple[int, ...]) -> None:
    images = np.zeros(shape)
    channel_axis = 1 if shape[1] == 3 else 3
    for channel in range(3):
        index = [slice(None)] * 4
        index[channel_axis] = channel
        images[tuple(index)] = channel * 10.0
    _, statistics = describe_dataset(features=images)
    assert statistics["train_mean"] == [0.0, 10.0, 20.0]


def test_dataframes_by_column_and_sampling() -> None:
    frame = pd.DataFrame({"age": np.arange(300_000) % 100, "city": ["x"] * 300_000})
    _, statistics = describe_dataset(features=frame, max_samples=10_000)
    assert set(statistics["train_mean"]) == {"age"}
    assert statistics["train_mean"]["age"] == pytest.approx(49.5, abs=1.5)


def test_class_names_must_match() -> None:
    with pytest.raises(ValueError, match="2 class names for 3 classes"):
        describe_dataset([0, 1, 2], class_names=["a", "b"])


def test_tracker_writes_metadata_and_statistics_that_the_engine_reads() -> None:
    rng = np.random.default_rng(1)
    with dfx.track("raw-features", experiment="datasets") as run:
        run.log_dataset(
            labels=rng.integers(0, 2, 500),
            features=rng.normal(1000.0, 100.0, size=(500, 4)),  # raw, unscaled inputs
            val_features=rng.normal(1000.0, 100.0, size=(100, 4)),
        )
        for epoch in range(20):
            run.log(epoch=epoch, train_loss=1 / (epoch + 1), val_loss=1.2 / (epoch + 1))
    assert run.run_id is not None and run.result is not None
    bundle = load_mlflow_run(run.run_id)
    assert bundle.dataset is not None and bundle.dataset.num_val_samples == 100
    assert bundle.dataset.statistics["train_mean"] == pytest.approx([1000.0] * 4, rel=0.05)
    codes = {a.findings.code.value for _, a in run.result.findings() if a.findings.code}
    assert "unnormalized_inputs" in codes
