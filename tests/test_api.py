"""`deepfix_notebook.analyze` and `ask`: every kind of source, one result shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import deepfix_notebook as dfx
from deepfix_notebook.artifacts import ArtifactError, RunRef, load_directory, log_run, run_ref

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "runs" / "quickstart"


def overfitting_frame() -> pd.DataFrame:
    epochs = np.arange(40)
    return pd.DataFrame(
        {
            "loss": 2 * np.exp(-epochs / 8) + 0.05,
            "val_loss": 0.5 + 0.001 * (epochs - 12) ** 2,
            "note": ["x"] * 40,  # a text column is not a metric
        },
        index=pd.Index(epochs, name="epoch"),
    )


def codes(result: dfx.AnalysisResult) -> set[str]:
    return {
        a.findings.code.value
        for r in result.agent_results
        for a in r.analysis
        if a.findings.code is not None
    }


def test_directory_source() -> None:
    result = dfx.analyze(str(QUICKSTART))
    assert result.run_id == "quickstart" and result.status.value == "completed"


def test_dataframe_source_with_params_and_dataset() -> None:
    result = dfx.analyze(
        overfitting_frame(),
        params={"lr": 0.01, "optimizer": "sgd"},
        dataset={"dataset_name": "toy", "num_train_samples": 40, "num_classes": 2},
        run_id="frame",
        focus=["overfitting"],
    )
    assert result.run_id == "frame"
    assert {"overfitting", "small_dataset"} <= codes(result)


def test_mlflow_run_source(tmp_path: Path) -> None:
    bundle = load_directory(QUICKSTART)
    assert bundle.metrics is not None
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    run_id = log_run(metrics=bundle.metrics, tracking_uri=uri, experiment="api")
    result = dfx.analyze(run_id, tracking_uri=uri)
    assert result.run_id == run_id
    assert result.summary.startswith("The run looks healthy")


def test_bundle_source_and_bad_focus() -> None:
    bundle = load_directory(QUICKSTART)
    assert dfx.analyze(bundle).run_id == "quickstart"
    with pytest.raises(ValidationError):
        dfx.analyze(bundle, focus=["speed"])


def test_bad_sources_raise_artifact_errors(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError):
        dfx.analyze(str(tmp_path / "nothing-here"))
    with pytest.raises(ArtifactError):
        dfx.analyze(pd.DataFrame({"loss": [1.0, 0.5]}))


def test_ask() -> None:
    response = dfx.ask("gradient norm explodes", domain="optimization", query_type="solution")
    assert response.results and all(item.confidence >= 0.7 for item in response.results)
    assert any("clip" in item.content.lower() for item in response.results)


# --------------------------------------------------------------------------- which run


def log_curves(log: Any, epochs: int = 20) -> None:
    """A healthy run's loss curves, through ``log(key, value, step=...)``."""
    for epoch in range(epochs):
        log("loss", 2 / (epoch + 1), step=epoch)
        log("val_loss", 2.2 / (epoch + 1), step=epoch)


@pytest.fixture
def fluent_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy_blank_store: Any
) -> Iterator[str]:
    """A real SQLite store that MLflow's fluent API (``mlflow.start_run``) logs to, in a
    working directory of its own; its URI."""
    import mlflow

    monkeypatch.chdir(tmp_path)
    uri = copy_blank_store(tmp_path / "fluent.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_experiment("fluent")
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()


def test_mlflow_run_objects_names_and_the_last_run(fluent_store: str) -> None:
    """An ``mlflow.ActiveRun`` (while it runs), an ``mlflow.entities.Run``, ``runs:/ID``, the
    run's name, and no argument at all (the last run of this process) are the same run."""
    import mlflow

    with mlflow.start_run(run_name="fluent-run") as active:
        log_curves(mlflow.log_metric)
        during = dfx.analyze(active)
    run_id = active.info.run_id
    assert during.run_id == run_id
    entity = mlflow.MlflowClient().get_run(run_id)
    for source in (entity, f"runs:/{run_id}", "fluent-run", None):
        result = dfx.analyze(source)
        assert result.run_id == run_id, source
        assert result.summary.startswith("The run looks healthy"), source
    assert run_ref(entity) == run_ref(active) == RunRef(run_id=run_id)


def test_the_last_run_is_the_newest_of_deepfix_and_mlflow(fluent_store: str) -> None:
    import mlflow

    with dfx.track("tracked", analysis_mode="off", live=False) as tracked:
        log_curves(lambda key, value, step: tracked.log(step=step, **{key: value}))
    assert run_ref(None).run_id == tracked.run_id == run_ref(tracked).run_id
    assert dfx.analyze(tracked).run_id == tracked.run_id
    with mlflow.start_run() as active:
        log_curves(mlflow.log_metric)
    assert run_ref(None).run_id == active.info.run_id


def test_an_ambiguous_name_lists_the_runs_and_experiment_narrows_it(fluent_store: str) -> None:
    import mlflow

    ids = {}
    for experiment in ("first", "second"):
        mlflow.set_experiment(experiment)
        with mlflow.start_run(run_name="twin") as active:
            log_curves(mlflow.log_metric)
        ids[experiment] = active.info.run_id
    with pytest.raises(ArtifactError) as ambiguous:
        dfx.analyze("twin")
    error = ambiguous.value
    assert error.code.value == "VALIDATION_ERROR" and "2 runs are named 'twin'" in error.message
    assert all(run_id in error.message for run_id in ids.values())
    assert "--experiment" in error.message
    assert dfx.analyze("twin", experiment="second").run_id == ids["second"]


def test_what_is_not_a_run_says_what_is(fluent_store: str) -> None:
    for thing in (object(), 42, [1.0, 0.5]):
        with pytest.raises(TypeError, match="is not a run: give an MLflow run id, runs:/ID"):
            dfx.analyze(thing)
    missing = "0123456789abcdef0123456789abcdef"
    with pytest.raises(ArtifactError) as unknown:
        dfx.analyze(missing)
    assert unknown.value.code.value == "RUN_NOT_FOUND" and fluent_store in unknown.value.message
    with pytest.raises(ArtifactError) as no_name:
        dfx.analyze("no-run-has-this-name")
    assert no_name.value.code.value == "RUN_NOT_FOUND"
    assert "no run id either" in no_name.value.message and fluent_store in no_name.value.message


def test_run_refs_of_local_things(tmp_path: Path) -> None:
    """Parsed once, without MLflow: ids, directories, data in memory and bundles."""
    run_id = "0123456789ABCDEF0123456789abcdef"
    assert run_ref(f" runs:/{run_id} ") == RunRef(run_id=run_id.lower())
    assert run_ref(run_id, tracking_uri="sqlite:///x.db") == RunRef(
        run_id=run_id.lower(), tracking_uri="sqlite:///x.db"
    )
    assert run_ref(QUICKSTART) == run_ref(str(QUICKSTART)) == RunRef(path=QUICKSTART)
    assert run_ref("./not/there").path == Path("not/there")
    frame = run_ref(overfitting_frame(), run_id="frame")
    assert frame.run_id is None and frame.bundle is not None and frame.bundle.run_id == "frame"
    bundle = load_directory(QUICKSTART)
    assert run_ref(bundle).bundle is bundle and run_ref(bundle).run_id is None
    bundle.source, bundle.run_id = f"runs:/{run_id.lower()}", run_id.lower()
    assert run_ref(bundle).run_id == run_id.lower()  # read from MLflow: a server can read it
    with pytest.raises(ArtifactError, match="not an MLflow run id"):
        run_ref("runs:/my-run")
