"""`deepfix_notebook.analyze` and `ask`: every kind of source, one result shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import deepfix_notebook as dfx
from deepfix_notebook.artifacts import ArtifactError, load_directory, log_run

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
