"""`deepfix demo`: real numpy trainings logged to a real MLflow SQLite store, then diagnosed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from deepfix_notebook.cli import main

pytestmark = pytest.mark.slow

NAMES = ["healthy", "overfitting", "diverging", "learning-rate-too-low", "imbalanced"]
# The problem each run is built to show: it must be among the run's findings.
EXPECTED = {
    "overfitting": "overfitting",
    "diverging": "learning_rate_too_high",
    "learning-rate-too-low": "learning_rate_too_low",
    "imbalanced": "class_imbalance",
}


def mlflow_runs(uri: str, experiment: str) -> list[Any]:
    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r} in {uri}"
    return client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])


def codes(result: dict[str, Any]) -> set[str]:
    return {a["findings"]["code"] for r in result["agent_results"] for a in r["analysis"]}


def test_text_demo_seeds_the_local_store_and_names_each_problem(deepfix_env: Path) -> None:
    script = shutil.which("deepfix")
    assert script is not None, "install the package: pip install -e ."
    out = subprocess.run([script, "demo"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr

    uri = f"sqlite:///{(deepfix_env / 'mlflow.db').resolve()}"
    assert f"runs go to {uri}" in out.stdout
    runs = mlflow_runs(uri, "deepfix-demo")
    assert [r.info.run_name for r in runs] == NAMES
    assert {r.info.status for r in runs} == {"FINISHED"}
    blocks = {b.split("  ", 1)[0]: b for b in out.stdout.split("\n\n")[1:-1]}
    assert list(blocks) == NAMES
    for run in runs:
        block = blocks[run.info.run_name]
        assert f"(run {run.info.run_id})" in block
        artifacts = {a.path for a in MlflowClient(uri).list_artifacts(run.info.run_id, "deepfix")}
        assert artifacts == {"deepfix/analysis.json"}  # the diagnosis was written back
    assert "The run looks healthy" in blocks["healthy"]
    assert "findings:" not in blocks["healthy"]
    assert "nan_loss (high)" in blocks["diverging"]
    for name, code in EXPECTED.items():
        assert f"{code} (" in blocks[name], blocks[name]
    assert "deepfix analyze --run-id RUN_ID" in out.stdout


def test_json_demo_into_a_given_store_is_reproducible(
    sqlite_store: Any, deepfix_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["demo", "--format", "json", "--tracking-uri", sqlite_store.uri]
    assert main([*args, "--experiment", "first"]) == 0
    assert main([*args, "--experiment", "second"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["run_name"] for line in lines] == NAMES * 2
    assert not deepfix_env.exists(), "the default store must stay untouched"

    for experiment, batch in (("first", lines[:5]), ("second", lines[5:])):
        runs = mlflow_runs(sqlite_store.uri, experiment)
        assert [r.info.run_id for r in runs] == [line["run_id"] for line in batch]
    for line in lines:
        assert line["result"]["run_id"] == line["run_id"]
        assert line["result"]["status"] == "completed"
        if line["run_name"] in EXPECTED:
            assert EXPECTED[line["run_name"]] in codes(line["result"])
    # Fixed seeds: the second demo trains the same models and gets the same diagnoses.
    for first, second in zip(lines[:5], lines[5:], strict=True):
        assert first["result"]["summary"] == second["result"]["summary"]
        assert codes(first["result"]) == codes(second["result"])


def test_unreachable_store_is_a_one_line_error(
    refused_uri: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "--tracking-uri", refused_uri])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"deepfix demo: Cannot reach the MLflow tracking store at {refused_uri}")


def test_blank_experiment_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "--experiment", " "])
    assert info.value.code == 2
    assert "--experiment needs a name" in capsys.readouterr().err
