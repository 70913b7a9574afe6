"""`track` and `log`: a plain loop's metrics reach MLflow and the analysis, failures included."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

import deepfix_notebook as dfx
from deepfix_notebook.artifacts import list_runs, load_mlflow_run


def train(run: dfx.training.TrackedRun | None, epochs: int = 30, nan_at: int | None = None) -> None:
    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        loss = 2 * math.exp(-epoch / 6) + 0.05 + 0.01 * rng.random()
        if nan_at is not None and epoch >= nan_at:
            loss = float("nan")
        if run is None:
            dfx.log(epoch=epoch, train_loss=loss)
        else:
            run.log(epoch=epoch, train_loss=loss)
        if epoch % 5 == 4:  # validation every 5 epochs, its own row at the same step
            val = 0.5 + 0.002 * (epoch - 12) ** 2
            if run is None:
                dfx.log(step=epoch, epoch=epoch, val_loss=val)
            else:
                run.log(step=epoch, epoch=epoch, val_loss=val)


def test_sync_run_is_saved_to_the_local_store_and_analysed() -> None:
    with dfx.track("baseline", experiment="tracker", params={"lr": 0.01}) as run:
        run.log_params(batch_size=32, optimizer="sgd")
        run.log_dataset(labels=[0, 1, 1, 2, 2, 2] * 50, name="toy", num_val_samples=60)
        train(run)
    assert run.run_id is not None and run.result is not None
    assert run.result.run_id == run.run_id
    home = Path(os.environ["DEEPFIX_HOME"])
    assert (home / "mlflow.db").is_file()
    (summary,) = list_runs(experiment="tracker")
    assert summary.status == "FINISHED" and summary.run_name == "baseline"
    bundle = load_mlflow_run(run.run_id)
    assert bundle.metrics is not None
    assert bundle.metrics.series("val_loss")[0].tolist() == [4, 9, 14, 19, 24, 29]
    assert len(bundle.metrics.series("train_loss")[2]) == 30
    assert bundle.params is not None and bundle.params.learning_rate == 0.01
    assert bundle.dataset is not None and bundle.dataset.class_counts == {
        "0": 50,
        "1": 100,
        "2": 150,
    }
    assert bundle.previous_analysis is not None  # written back to deepfix/analysis.json
    codes = {a.findings.code.value for _, a in run.result.findings() if a.findings.code}
    assert "overfitting" in codes


def test_module_level_log_goes_to_the_active_run() -> None:
    with dfx.track("module-log", analysis_mode="off") as run:
        train(None, epochs=12)
    assert run.result is None and run.run_id is not None
    assert len(run.rows) == 12 + 2


def test_log_outside_a_run_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="No DeepFix run is active"):
        dfx.log(train_loss=1.0)


def test_an_exception_saves_what_was_logged_marks_failed_and_reraises() -> None:
    with pytest.raises(ZeroDivisionError), dfx.track("crash", experiment="tracker-fail") as run:
        train(run, epochs=8)
        1 / 0  # noqa: B018
    assert run.run_id is not None
    (summary,) = list_runs(experiment="tracker-fail")
    assert summary.status == "FAILED"
    bundle = load_mlflow_run(run.run_id)
    assert bundle.metrics is not None and len(bundle.metrics.series("train_loss")[2]) == 8


def test_nan_is_data_and_is_diagnosed() -> None:
    with dfx.track("nan") as run:
        train(run, epochs=20, nan_at=12)
    assert run.result is not None
    assert any(
        a.findings.code and a.findings.code.value == "nan_loss" for _, a in run.result.findings()
    )


def test_async_mode_submits() -> None:
    from deepfix_notebook.backends import current

    with dfx.track("async", analysis_mode="async") as run:
        train(run, epochs=15)
    assert run.request_id is not None
    result = current().result(run.request_id, timeout=30)
    assert result.run_id == run.run_id


def test_bad_values_are_rejected() -> None:
    with dfx.track("bad", analysis_mode="off") as run:
        with pytest.raises(TypeError, match="'loss' must be a number"):
            run.log(loss="high")
        with pytest.raises(ValueError, match="at least one metric"):
            run.log(step=3)
    with pytest.raises(ValueError, match="analysis_mode"), dfx.track("x", analysis_mode="later"):  # type: ignore[arg-type]
        pass


def test_a_run_too_short_to_analyse_is_saved_and_warned_about() -> None:
    from deepfix_notebook.training import AnalysisSkippedWarning

    with (
        pytest.warns(AnalysisSkippedWarning, match="did not analyse it: Only 2 row"),
        dfx.track("short", experiment="short") as run,
    ):
        run.log(train_loss=1.0)
        run.log(train_loss=0.9)
    assert run.result is None and run.run_id is not None
    (summary,) = list_runs(experiment="short")
    assert summary.status == "FINISHED"


def test_server_options_reach_the_analysis(refused_uri: str) -> None:
    from deepfix_notebook.backends import ServerUnreachableWarning

    with (
        pytest.warns(ServerUnreachableWarning),
        dfx.track("remote", server_url=refused_uri, max_retries=0) as run,
    ):
        train(run, epochs=12)
    assert run.result is not None and run.result.status.value == "failed"
    assert run.result.backend == f"{refused_uri} (unreachable)"
    assert load_mlflow_run(run.run_id).previous_analysis is None  # a skipped result stays out
