"""Runs logged by each integration's own MLflow support (scripts/integration_runs.py: xgboost,
LightGBM, scikit-learn, Lightning, Keras 3 on torch, a tiny Hugging Face model), analysed through
both backends: the embedded engine and the project's server reading the same store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from process_helpers import serve_in_thread

from deepfix_notebook.artifacts import ArtifactError
from deepfix_notebook.backends import AnalysisBackend, LocalBackend, RemoteBackend
from deepfix_notebook.client import DeepFixClient, PollingConfig
from deepfix_notebook.contract import AnalysisResult

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")
pytest.importorskip("lightning")
pytest.importorskip("transformers")


@dataclass(frozen=True)
class Run:
    experiment: str
    name: str
    run_id: str
    expect: set[str]
    expect_any: set[str]
    forbid: set[str]


def _codes(tag: str) -> set[str]:
    return {code for code in tag.split(",") if code}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[Run]]:
    """The integrations' store, written once by the script in a fresh process."""
    out = tmp_path_factory.mktemp("integrations")
    env = {**os.environ, "KERAS_BACKEND": "torch", "MLFLOW_DISABLE_TELEMETRY": "true"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "integration_runs.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    uri = done.stdout.strip().splitlines()[-1]
    import mlflow

    client = mlflow.MlflowClient(uri)
    runs = []
    for experiment in client.search_experiments():
        for found in client.search_runs([experiment.experiment_id]):
            tags = found.data.tags
            runs.append(
                Run(
                    experiment.name,
                    found.info.run_name or "",
                    found.info.run_id,
                    _codes(tags.get("deepfix.expect", "")),
                    _codes(tags.get("deepfix.expect_any", "")),
                    _codes(tags.get("deepfix.forbid", "")),
                )
            )
    assert {r.experiment for r in runs} >= {
        "xgboost", "lightgbm", "sklearn", "lightning", "keras", "huggingface"
    }  # fmt: skip
    return uri, runs


@pytest.fixture(scope="module")
def server(store: tuple[str, list[Run]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from deepfix_notebook.server import Settings, create_app

    settings = Settings(
        allowed_tracking_uris=[store[0]],
        job_store_url=f"sqlite:///{tmp_path_factory.mktemp('jobs') / 'jobs.db'}",
        max_concurrent=2,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture(params=["local", "remote"])
def backend(request: pytest.FixtureRequest, store: tuple[str, list[Run]]) -> AnalysisBackend:
    uri = store[0]
    if request.param == "local":
        return LocalBackend(tracking_uri=uri)
    url = request.getfixturevalue("server")
    polling = PollingConfig(initial_interval=0.05, max_interval=0.2, max_wait_time=60.0)
    client = DeepFixClient(url, polling=polling, offline_mode="strict")
    request.addfinalizer(client.close)
    return RemoteBackend(url, tracking_uri=uri, offline="strict", client=client)


def medium_codes(result: AnalysisResult) -> set[str]:
    return {
        a.findings.code.value
        for agent in result.agent_results
        for a in agent.analysis
        if a.findings.code is not None and a.findings.severity.rank >= 1
    }


def test_every_integration_run_gets_the_diagnosis_its_label_asks_for(
    backend: AnalysisBackend, store: tuple[str, list[Run]]
) -> None:
    wrong = []
    for run in store[1]:
        if run.experiment == "sklearn":
            continue  # final scores only: see the next test
        found = medium_codes(backend.analyze(run.run_id))
        if (
            not run.expect <= found
            or (run.expect_any and not run.expect_any & found)
            or run.forbid & found
        ):
            wrong.append(f"{run.experiment}/{run.name}: {sorted(found)}")
    assert not wrong, wrong


def test_a_run_with_final_scores_only_says_what_to_log(
    backend: AnalysisBackend, store: tuple[str, list[Run]]
) -> None:
    (run,) = [r for r in store[1] if r.experiment == "sklearn"]
    with pytest.raises(ArtifactError, match="log the loss every epoch or more often"):
        backend.analyze(run.run_id)
