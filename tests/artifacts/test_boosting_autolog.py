"""Real runs logged by ``mlflow.xgboost.autolog()`` and ``mlflow.lightgbm.autolog()`` (tiny CPU
models, a temp SQLite store) are read with their eval sets, losses and learning rates, and
analysed end to end by ``deepfix analyze --run-id``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest

from deepfix_notebook import analyze
from deepfix_notebook.artifacts import ArtifactBundle, load_mlflow_run
from deepfix_notebook.cli import main

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

Train = Callable[[Callable[[], Any]], tuple[str, ArtifactBundle]]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5))
    y = (x[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    return x[:200], y[:200], x[200:], y[200:]


@pytest.fixture
def store(copy_blank_store: Any, tmp_path: Path) -> Iterator[str]:
    """A SQLite store MLflow's fluent API logs to, with autologging on for both libraries."""
    uri = copy_blank_store(tmp_path / "store" / "mlflow.db")
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment("boost", (tmp_path / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=experiment)
    options = {"log_models": False, "log_datasets": False, "silent": True}
    mlflow.xgboost.autolog(importance_types=[], **options)
    mlflow.lightgbm.autolog(**options)
    try:
        yield uri
    finally:
        mlflow.xgboost.autolog(disable=True)
        mlflow.lightgbm.autolog(disable=True)
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


@pytest.fixture
def train(store: str) -> Train:
    """``train(fit)``: run ``fit`` in a new MLflow run; the run id and its loaded bundle."""

    def run(fit: Callable[[], Any]) -> tuple[str, ArtifactBundle]:
        with mlflow.start_run() as active:
            fit()
        return active.info.run_id, load_mlflow_run(active.info.run_id, store)

    return run


def sources(bundle: ArtifactBundle) -> dict[str, str]:
    assert bundle.metrics is not None
    return {name: bundle.metrics.display_name(name) for name in bundle.metrics.names}


def test_xgboost_eval_set_runs_load_and_are_analysed(
    train: Train, store: str, data: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    xt, yt, xv, yv = data
    model = xgb.XGBClassifier(n_estimators=15, eval_metric=["logloss", "error", "auc"])
    run_id, bundle = train(lambda: model.fit(xt, yt, eval_set=[(xt, yt), (xv, yv)], verbose=False))

    assert sources(bundle) == {
        "train_loss": "validation_0-logloss",
        "val_loss": "validation_1-logloss",
        "train_auc": "validation_0-auc",
        "val_auc": "validation_1-auc",
        "train_error": "validation_0-error",
        "val_error": "validation_1-error",
    }
    assert bundle.metrics is not None and len(bundle.metrics.metrics["train_loss"]) == 15
    assert main(["analyze", "--run-id", run_id, "--tracking-uri", store, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["run_id"] == run_id and result["status"] == "completed"
    training = next(
        a for a in result["agent_results"] if a["agent_name"] == "TrainingArtifactsAnalyzer"
    )
    assert training["error_message"] is None


def test_xgboost_native_api_train_and_eval_sets_and_eta(train: Train, data: Any) -> None:
    xt, yt, xv, yv = data
    dtrain, dval = xgb.DMatrix(xt, yt), xgb.DMatrix(xv, yv)
    params = {"eta": 0.3, "objective": "binary:logistic", "max_depth": 3}
    _, bundle = train(
        lambda: xgb.train(
            params, dtrain, 12, evals=[(dtrain, "train"), (dval, "eval")], verbose_eval=False
        )
    )
    assert sources(bundle) == {"train_loss": "train-logloss", "val_loss": "eval-logloss"}
    assert bundle.params is not None and bundle.params.learning_rate == 0.3
    assert bundle.params.sources["learning_rate"] == "eta"


def test_xgboost_runs_without_a_training_loss_load_with_a_warning(train: Train, data: Any) -> None:
    xt, yt, xv, yv = data
    auc = xgb.XGBClassifier(n_estimators=10, eval_metric="auc")
    _, scores = train(lambda: auc.fit(xt, yt, eval_set=[(xt, yt), (xv, yv)], verbose=False))
    assert sources(scores) == {"train_auc": "validation_0-auc", "val_auc": "validation_1-auc"}
    assert any("no training loss was logged" in w for w in scores.warnings)
    result = analyze(scores)  # boosted trees are judged on their eval set alone
    training = next(r for r in result.agent_results if r.agent_name == "TrainingArtifactsAnalyzer")
    assert training.error_message is None

    regressor = xgb.XGBRegressor(n_estimators=10)  # early-stopping style: one validation set
    _, lone = train(lambda: regressor.fit(xt, xt[:, 1], eval_set=[(xv, xv[:, 1])], verbose=False))
    assert sources(lone) == {"val_loss": "validation_0-rmse"}
    assert lone.metrics is not None and any(
        "rmse (lower is better)" in n for n in lone.metrics.notes
    )
    assert any("no training loss was logged" in w for w in lone.warnings)


def test_lightgbm_eval_sets(train: Train, data: Any) -> None:
    xt, yt, xv, yv = data
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1)
    _, sklearn_api = train(lambda: model.fit(xt, yt, eval_set=[(xt, yt), (xv, yv)]))
    assert sources(sklearn_api) == {
        "train_loss": "training-binary_logloss",
        "val_loss": "valid_1-binary_logloss",
    }
    assert sklearn_api.params is not None and sklearn_api.params.learning_rate == 0.1

    dtrain = lgb.Dataset(xt, yt)
    dval = lgb.Dataset(xv, yv, reference=dtrain)
    params = {"objective": "binary", "metric": ["binary_error"], "verbose": -1}
    _, errors = train(
        lambda: lgb.train(
            params, dtrain, 10, valid_sets=[dtrain, dval], valid_names=["train", "valid"]
        )
    )
    assert sources(errors) == {"train_loss": "train-binary_error", "val_loss": "valid-binary_error"}
    assert errors.metrics is not None
    assert any("error (lower is better) stands in" in note for note in errors.metrics.notes)

    multi = {"objective": "multiclass", "num_class": 2, "verbose": -1}
    _, multiclass = train(lambda: lgb.train(multi, dtrain, 10, valid_sets=[dtrain, dval]))
    assert sources(multiclass) == {
        "train_loss": "training-multi_logloss",
        "val_loss": "valid_1-multi_logloss",
    }


def _medium_codes(result: Any) -> set[str]:
    return {
        a.findings.code.value
        for r in result.agent_results
        for a in r.analysis
        if a.findings.code is not None and a.findings.severity.rank >= 1
    }


def test_boosting_rules_on_real_runs(train: Train) -> None:
    """An eta too high for 200 deep rounds on noisy labels overfits within a few rounds; a small
    eta with early stopping on the validation set ends clean."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(900, 8))
    y = (x[:, 0] + x[:, 1] + 1.2 * rng.normal(size=900) > 0).astype(int)
    xt, yt, xv, yv = x[:600], y[:600], x[600:], y[600:]

    hasty = xgb.XGBClassifier(n_estimators=200, learning_rate=0.5, max_depth=6)
    _, overfit = train(lambda: hasty.fit(xt, yt, eval_set=[(xt, yt), (xv, yv)], verbose=False))
    result = analyze(overfit)
    assert {"overfitting", "learning_rate_too_high"} <= _medium_codes(result)
    plan = " ".join(a.recommendations.action for a in result.agent_results[-1].analysis)
    assert "early_stopping_rounds=" in plan and "eta" in plan and "epoch" not in plan

    def careful() -> None:
        dtrain, dval = lgb.Dataset(xt, yt), lgb.Dataset(xv, yv)
        params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 7, "verbose": -1}
        lgb.train(
            params,
            dtrain,
            1000,
            valid_sets=[dval],
            valid_names=["valid"],
            callbacks=[lgb.early_stopping(20, verbose=False)],
        )

    _, clean = train(careful)
    assert _medium_codes(analyze(clean)) == set()
