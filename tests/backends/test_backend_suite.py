"""One suite, two backends: `LocalBackend` (the embedded engine, in-process) and `RemoteBackend`
(the project's server over HTTP) answer the `AnalysisBackend` protocol alike for the same runs
of a real ``mlflow server``. Where they legitimately differ (what only this machine holds), the
remote one refuses with an error saying what to do instead, before anything is sent."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from backend_helpers import Runs

from deepfix_notebook._version import __version__
from deepfix_notebook.artifacts import ArtifactError, load_mlflow_run
from deepfix_notebook.backends import AnalysisBackend, JobNotFound
from deepfix_notebook.contract import (
    AnalysisResult,
    AnalysisStatus,
    ErrorCode,
    JobState,
    JobStatus,
    KnowledgeQuery,
    QueryType,
)

DONE = (AnalysisStatus.COMPLETED, AnalysisStatus.PARTIAL)
# The problem each scenario is logged with (CONTRACT.md §3); healthy has none of these.
SYMPTOMS = {"healthy": None, "overfitting": "overfitting", "diverging": "exploding_loss"}
TRAINING_PROBLEMS = {"overfitting", "exploding_loss", "nan_loss", "loss_not_decreasing"}


def problem_codes(result: AnalysisResult) -> dict[str, set[str]]:
    """The problem codes each agent found."""
    return {
        agent.agent_name: {a.findings.code.value for a in agent.analysis if a.findings.code}
        for agent in result.agent_results
    }


def all_codes(result: AnalysisResult) -> set[str]:
    return set().union(*problem_codes(result).values())


def is_local(backend: AnalysisBackend) -> bool:
    return backend.name == "local"


# --------------------------------------------------------------------------- the protocol


def test_is_an_analysis_backend(backend: AnalysisBackend) -> None:
    assert isinstance(backend, AnalysisBackend)
    assert is_local(backend) or backend.name.startswith("http://127.0.0.1:")


def test_health(backend: AnalysisBackend) -> None:
    health = backend.health()
    assert health.status == "ok"
    assert health.version == __version__
    assert health.engine == "embedded"


@pytest.mark.parametrize("scenario", list(SYMPTOMS))
def test_analyze_a_logged_run(backend: AnalysisBackend, runs: Runs, scenario: str) -> None:
    run_id = runs.by_name[scenario]
    seen: list[JobStatus] = []
    result = backend.analyze(run_id, on_progress=seen.append)
    assert result.status in DONE
    assert result.run_id == run_id
    assert result.backend == backend.name
    assert "TrainingArtifactsAnalyzer" in problem_codes(result)
    symptom = SYMPTOMS[scenario]
    if symptom is None:
        assert not all_codes(result) & TRAINING_PROBLEMS, all_codes(result)
    else:
        assert symptom in all_codes(result)
    assert seen, "on_progress was never called"
    assert seen[-1].status.value == result.status.value
    assert seen[-1].progress == 1.0


@pytest.mark.parametrize("scenario", list(SYMPTOMS))
def test_local_and_remote_find_the_same_problems(
    local_and_remote: tuple[AnalysisBackend, AnalysisBackend], runs: Runs, scenario: str
) -> None:
    local, remote = local_and_remote
    run_id = runs.by_name[scenario]
    here, there = local.analyze(run_id), remote.analyze(run_id)
    assert (here.status, here.run_id) == (there.status, there.run_id)
    assert problem_codes(here) == problem_codes(there)
    assert here.summary == there.summary
    assert here.warnings == there.warnings
    assert (here.backend, there.backend) == (local.name, remote.name)


def test_run_id_forms_and_a_bundle_from_mlflow(backend: AnalysisBackend, runs: Runs) -> None:
    run_id = runs.by_name["overfitting"]
    bundle = load_mlflow_run(run_id, runs.tracking_uri)
    for source in (f"runs:/{run_id}", f"  {run_id} ", bundle):
        result = backend.analyze(source)
        assert result.run_id == run_id, source
        assert "overfitting" in all_codes(result), source


def test_submit_then_status_then_result(backend: AnalysisBackend, runs: Runs) -> None:
    run_id = runs.by_name["healthy"]
    request_id = backend.submit(run_id)
    status = backend.status(request_id)
    assert (status.request_id, status.run_id) == (request_id, run_id)
    assert status.status in set(JobState)
    result = backend.result(request_id, timeout=60)
    assert (result.request_id, result.run_id) == (request_id, run_id)
    assert result.status in DONE
    final = backend.status(request_id)
    assert final.status.value == result.status.value
    assert final.progress == 1.0
    assert final.finished_at is not None and final.error is None


def test_unknown_job_is_job_not_found(backend: AnalysisBackend) -> None:
    with pytest.raises(JobNotFound, match="req_never_submitted"):
        backend.status("req_never_submitted")
    with pytest.raises(JobNotFound, match="req_never_submitted"):
        backend.result("req_never_submitted", timeout=5)


def test_unknown_run_is_run_not_found(backend: AnalysisBackend) -> None:
    missing = uuid.uuid4().hex
    with pytest.raises(ArtifactError) as raised:
        backend.analyze(missing)
    assert raised.value.code is ErrorCode.RUN_NOT_FOUND
    assert missing in raised.value.message

    request_id = backend.submit(missing)
    with pytest.raises(ArtifactError) as again:
        backend.result(request_id, timeout=60)
    assert again.value.code is ErrorCode.RUN_NOT_FOUND
    status = backend.status(request_id)
    assert status.status is JobState.FAILED
    assert status.error is not None and missing in status.error


def test_query_knowledge_returns_ranked_items(backend: AnalysisBackend) -> None:
    query = KnowledgeQuery(
        query="validation loss rises while training loss keeps falling",
        query_type=QueryType.DIAGNOSTIC,
        max_results=5,
        min_confidence=0.5,
    )
    response = backend.query_knowledge(query)
    assert response.query == query.query
    assert 1 <= len(response.results) <= query.max_results
    scores = [item.relevance_score for item in response.results]
    assert scores == sorted(scores, reverse=True)
    assert len({item.id for item in response.results}) == len(response.results)
    assert all(item.confidence >= query.min_confidence for item in response.results)


def test_local_and_remote_rank_the_same_knowledge(
    local_and_remote: tuple[AnalysisBackend, AnalysisBackend],
) -> None:
    local, remote = local_and_remote
    query = KnowledgeQuery(
        query="learning rate too high, loss explodes", query_type=QueryType.SOLUTION
    )
    here, there = local.query_knowledge(query), remote.query_knowledge(query)
    assert [(i.id, i.relevance_score) for i in here.results] == [
        (i.id, i.relevance_score) for i in there.results
    ]


# --------------------------------------------------------------------------- where they differ


def _only_here(backend: AnalysisBackend, source: Any, error: type[Exception]) -> None:
    """``source`` is analysed by the local backend; the remote one refuses it, saying why."""
    if is_local(backend):
        assert backend.analyze(source).status in DONE
        assert backend.result(backend.submit(source), timeout=60).status in DONE
        return
    for call in (backend.analyze, backend.submit):
        with pytest.raises(error, match=r"on this machine only.*connect\('local'\)"):
            call(source)


def test_a_run_directory_is_analysed_locally_only(
    backend: AnalysisBackend, make_run_dir: Any
) -> None:
    directory: Path = make_run_dir()
    _only_here(backend, directory, ValueError)
    _only_here(backend, str(directory), ValueError)


def test_a_dataframe_is_analysed_locally_only(
    backend: AnalysisBackend, run_data: dict[str, Any]
) -> None:
    import pandas as pd

    _only_here(backend, pd.DataFrame(run_data["metrics"]), TypeError)
