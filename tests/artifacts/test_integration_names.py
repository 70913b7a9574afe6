"""Metric and parameter names as each integration logs them: plain PyTorch loops, Lightning,
Keras autolog, Hugging Face Trainer, scikit-learn autolog, xgboost/LightGBM eval sets,
TensorBoard; MLflow system metrics; which way a metric improves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deepfix_notebook.artifacts import (
    ArtifactError,
    MetricsTable,
    bundle_from_memory,
    canonical_name,
    canonical_names,
    higher_is_better,
    read_metrics_csv,
)
from deepfix_notebook.artifacts._params import parse_params
from deepfix_notebook.contract import ErrorCode


@pytest.mark.parametrize(
    ("logged", "canonical"),
    [
        # plain PyTorch loops
        ("loss", "train_loss"),
        ("train/loss", "train_loss"),
        ("val/loss", "val_loss"),
        ("lr", "learning_rate"),
        ("Loss/train", "train_loss"),  # TensorBoard tutorial's add_scalar("Loss/train", ...)
        ("Accuracy/val", "val_accuracy"),
        # Lightning
        ("train_loss_step", "train_loss"),
        ("train_loss_epoch", "train_loss"),
        ("val_acc", "val_accuracy"),
        ("lr-Adam", "learning_rate"),
        ("lr-SGD/pg1", "learning_rate"),
        ("lr-AdamW-momentum", None),
        # Keras autolog
        ("accuracy", "train_accuracy"),
        ("val_loss", "val_loss"),
        ("validation_loss", "val_loss"),
        ("validation_accuracy", "val_accuracy"),
        ("learning_rate", "learning_rate"),
        # Hugging Face Trainer
        ("eval_loss", "val_loss"),
        ("eval_accuracy", "val_accuracy"),
        ("grad_norm", "grad_norm"),
        ("eval_runtime", None),
        ("train_samples_per_second", None),
        # scikit-learn autolog
        ("training_accuracy_score", "train_accuracy"),
        ("training_f1_score", "train_f1"),
        ("training_log_loss", "train_loss"),
        ("training_roc_auc", "train_auc"),
        ("training_precision_score", "train_precision"),
        ("training_recall_score", "train_recall"),
        ("training_root_mean_squared_error", "train_rmse"),
        ("training_r2_score", "train_r2"),
        ("training_score", None),  # accuracy or R² depending on the estimator
        # xgboost / LightGBM eval sets, one at a time
        ("train-logloss", "train_loss"),
        ("eval-logloss", "val_loss"),
        ("training-binary_logloss", "train_loss"),
        ("valid-multi_logloss", "val_loss"),
        ("valid_1-binary_error", "val_error"),
        ("validation_1-error@0.7", "val_error"),
        ("validation_1-mlogloss", "val_loss"),
        ("validation_1-auc", "val_auc"),
        ("valid_1-l2", "val_mse"),
        ("valid_1-l1", "val_mae"),
        ("train-rmse", "train_rmse"),
        ("validation_0-logloss", "val_loss"),  # alone, an indexed set is a validation set
        ("l2", None),  # a bare `l2` may be anything
        # TensorBoard
        ("epoch_loss", "train_loss"),
        ("epoch_accuracy", "train_accuracy"),
        ("validation/epoch_loss", "val_loss"),
        ("epoch_learning_rate", "learning_rate"),
        # MLflow system metrics
        ("system/cpu_utilization_percentage", None),
    ],
)
def test_integration_names(logged: str, canonical: str | None) -> None:
    assert canonical_name(logged) == canonical


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (  # XGBClassifier.fit(eval_set=[(X_train, y_train), (X_val, y_val)])
            ["validation_0-logloss", "validation_1-logloss", "validation_0-auc"],
            ["train_loss", "val_loss", "train_auc"],
        ),
        (  # LightGBM names an eval set that is the training data `training`
            ["training-binary_logloss", "valid_1-binary_logloss"],
            ["train_loss", "val_loss"],
        ),
        (  # ... unless it is a copy: then the first set is the training set
            ["valid_0-binary_logloss", "valid_1-binary_logloss"],
            ["train_loss", "val_loss"],
        ),
        (  # with a train set named, every indexed set is validation
            ["train-logloss", "validation_0-logloss", "validation_1-logloss"],
            ["train_loss", "val_loss", "val_loss"],
        ),
        (["validation_0-rmse"], ["val_rmse"]),  # XGBRegressor.fit(eval_set=[(X_val, y_val)])
    ],
)
def test_eval_sets_are_read_together(names: list[str], expected: list[str]) -> None:
    assert list(canonical_names(names).values()) == expected


@pytest.mark.parametrize(
    ("name", "higher"),
    [
        ("val_accuracy", True),
        ("validation_1-auc", True),
        ("training_f1_score", True),
        ("val_precision", True),
        ("recall", True),
        ("eval_iou", True),
        ("validation_1-ndcg@5", True),
        ("val_loss", False),
        ("validation_1-logloss", False),
        ("valid_1-binary_error", False),
        ("train-rmse", False),
        ("val_mae", False),
        ("perplexity", False),
        ("my_accuracy_loss", False),  # a loss, whatever else it says
        ("learning_rate", None),
        ("grad_norm", None),
        ("eval_runtime", None),
    ],
)
def test_which_way_a_metric_improves(name: str, higher: bool | None) -> None:
    assert higher_is_better(name) is higher


def table(columns: dict[str, list[float]]) -> MetricsTable:
    return MetricsTable.from_columns(columns)[0]


def test_the_first_set_wins_and_the_loss_word_beats_other_spellings() -> None:
    values = [1.0, 0.8, 0.6]
    t = table(
        {"train-logloss": values, "validation_2-logloss": values, "validation_1-logloss": values}
    )
    assert t.display_name("val_loss") == "validation_1-logloss"
    assert "validation_2-logloss" in t.names
    keras = table({"binary_crossentropy": values, "loss": values, "logloss": values})
    assert keras.display_name("train_loss") == "loss"


def test_system_metrics_are_dropped() -> None:
    t = table({"loss": [1.0, 0.5, 0.2], "system/gpu_0_utilization_percentage": [90, 91, 92]})
    assert t.names == ["train_loss"]


def test_a_loss_like_metric_stands_in_when_no_loss_was_logged() -> None:
    t = table({"validation_0-rmse": [3.0, 2.0, 1.5], "validation_1-rmse": [3.1, 2.4, 2.2]})
    assert t.display_name("train_loss") == "validation_0-rmse"
    assert t.display_name("val_loss") == "validation_1-rmse"
    assert any("rmse (lower is better) stands in" in note for note in t.notes)
    errors = table({"train-binary_error": [0.3, 0.2, 0.1], "valid-binary_error": [0.3, 0.25, 0.2]})
    assert errors.display_name("train_loss") == "train-binary_error"
    logged = table({"training_log_loss": [0.7, 0.5, 0.4], "training_roc_auc": [0.6, 0.7, 0.8]})
    assert logged.display_name("train_loss") == "training_log_loss" and not logged.notes


def test_a_run_with_scores_but_no_loss_loads_with_a_warning() -> None:
    bundle = bundle_from_memory(
        {"validation_0-auc": [0.7, 0.8, 0.85], "validation_1-auc": [0.6, 0.7, 0.72]}
    )
    assert bundle.metrics is not None and "train_loss" not in bundle.metrics
    (warning,) = [w for w in bundle.warnings if "no training loss was logged" in w]
    assert "validation_0-auc" in warning and "logloss" in warning
    lone = bundle_from_memory({"validation_0-rmse": [3.0, 2.0, 1.5, 1.4]})  # eval set = val data
    assert lone.metrics is not None and lone.metrics.display_name("val_loss") == "validation_0-rmse"
    assert any("no training loss was logged" in w for w in lone.warnings)
    with pytest.raises(ArtifactError) as info:  # a hand-made file without a train loss
        bundle_from_memory({"val_loss": [1.0, 0.9, 0.8]})
    assert info.value.code is ErrorCode.ARTIFACT_INVALID


def test_keras_validation_duplicates_do_not_warn(tmp_path: Path) -> None:
    """Keras autolog logs `validation_*` at step 0 after each epoch beside `val_*` per epoch."""
    rows = ["key,value,step"]
    for epoch in range(5):
        rows += [f"loss,{1 / (epoch + 1)},{epoch}", f"val_loss,{1.2 / (epoch + 1)},{epoch}"]
        rows += [f"validation_loss,{1.2 / (epoch + 1)},0"]
    path = tmp_path / "metrics.csv"
    path.write_text("\n".join(rows) + "\n")
    t, warnings = read_metrics_csv(path)
    assert t.display_name("val_loss") == "val_loss"
    assert warnings == []
    np.testing.assert_allclose(t.series("val_loss")[2], [1.2 / (e + 1) for e in range(5)])


@pytest.mark.parametrize(
    ("params", "learning_rate", "source"),
    [
        (
            {"optimizer_name": "adam", "optimizer_learning_rate": "0.0010000000474974513"},
            1e-3,
            "optimizer_learning_rate",
        ),
        ({"eta": "0.3", "objective": "binary:logistic", "num_boost_round": "10"}, 0.3, "eta"),
        ({"learning_rate": "None", "n_estimators": "10"}, None, None),  # XGBClassifier default
        ({"learning_rate": "constant", "learning_rate_init": "0.001"}, 1e-3, "learning_rate_init"),
        ({"learning_rate": "optimal", "eta0": "0.0"}, None, None),  # SGDClassifier
        ({"learning_rate": "5e-05", "lr_scheduler_type": "linear"}, 5e-5, "learning_rate"),
    ],
)
def test_integration_params(
    params: dict[str, str], learning_rate: float | None, source: str | None
) -> None:
    parsed, warnings = parse_params(params, file="MLflow params")
    assert parsed.learning_rate == (None if learning_rate is None else pytest.approx(learning_rate))
    assert parsed.sources.get("learning_rate") == source
    assert warnings == []


def test_keras_optimizer_and_a_bad_learning_rate() -> None:
    parsed, _ = parse_params({"optimizer_name": "adam", "optimizer_clipnorm": "1.0"}, file="p")
    assert parsed.optimizer == "adam" and parsed.grad_clip == 1.0
    with pytest.raises(ArtifactError):
        parse_params({"learning_rate": "fast"}, file="p")
