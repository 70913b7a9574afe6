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

    _only_here(backend, pd.DataFrame(run_data["metrics"]), ValueError)


# --------------------------------------------------------------------------- what callers ask


def test_analyze_run_gives_the_result_and_what_to_draw(
    backend: AnalysisBackend, runs: Runs
) -> None:
    """The result, and the run as this process reads it: curves and params, on both backends
    (a server reads the run for the analysis, this process for display)."""
    run_id = runs.by_name["overfitting"]
    analysed = backend.analyze_run(run_id)
    assert analysed.result.run_id == run_id and analysed.result.backend == backend.name
    assert "overfitting" in all_codes(analysed.result)
    bundle = analysed.bundle
    assert bundle is not None and bundle.metrics is not None and analysed.note is None
    assert {"train_loss", "val_loss"} <= set(bundle.metrics.names)
    assert bundle.params is not None and bundle.params.learning_rate == 0.001
    assert backend.analyze_run(run_id, read=False).bundle is None


def test_mlflow_run_objects_and_names_are_runs(
    current: AnalysisBackend, runs: Runs, mlflow_server: str
) -> None:
    """An ``mlflow.entities.Run`` and a run name (within its experiment) name the same run as
    its id, on both backends; a name that is not there says where it was looked for."""
    from mlflow import MlflowClient

    import deepfix_notebook as dfx

    run_id = runs.by_name["diverging"]
    entity = MlflowClient(tracking_uri=mlflow_server).get_run(run_id)
    by_object = dfx.analyze(entity)
    by_name = dfx.analyze("diverging", experiment=runs.experiment)
    assert by_object.run_id == by_name.run_id == run_id
    assert "exploding_loss" in all_codes(by_object) & all_codes(by_name)
    with pytest.raises(ArtifactError) as missing:
        dfx.analyze("no-such-run", experiment=runs.experiment)
    assert missing.value.code is ErrorCode.RUN_NOT_FOUND
    assert mlflow_server in missing.value.message and "no run id either" in missing.value.message


def test_runs_lists_the_store_the_backend_reads(backend: AnalysisBackend, runs: Runs) -> None:
    listed = backend.runs(experiment=runs.experiment)
    assert {run.run_id for run in listed} == set(runs.by_name.values())
    assert {run.run_name for run in listed} == set(runs.by_name)
    assert all(run.experiment == runs.experiment for run in listed)


def test_jobs_lists_what_was_submitted(backend: AnalysisBackend, runs: Runs) -> None:
    request_id = backend.submit(runs.by_name["healthy"])
    backend.result(request_id, timeout=60)
    assert request_id in {job.request_id for job in backend.jobs()}


def test_compare_runs(current: AnalysisBackend, runs: Runs) -> None:
    """`%deepfix compare`'s work on both backends (through a server it used to fail with
    ``'RemoteBackend' object has no attribute 'load'``): results, curves and params per run."""
    from deepfix_notebook.notebook._compare import compare

    for view in (
        compare([runs.by_name["healthy"], runs.by_name["overfitting"]]),
        compare([], experiment=runs.experiment),
    ):
        assert set(view.tables) == set(view.results) == set(view.params)
        assert {r.run_id for r in view.results.values()} >= {
            runs.by_name["healthy"],
            runs.by_name["overfitting"],
        }
        assert all(params["optimizer"] == "adam" for params in view.params.values())


def test_ask_goes_through_the_current_backend(current: AnalysisBackend) -> None:
    import deepfix_notebook as dfx

    response = dfx.ask("gradient norm explodes", domain="optimization", query_type="solution")
    assert response.results and all(item.confidence >= 0.7 for item in response.results)


def test_the_reports_calls(backend: AnalysisBackend, runs: Runs) -> None:
    """What the web report asks of its backend: health, an Analyze of a run it read (submit,
    status, result), and background analyses for the overview only when they cost no job."""
    import asyncio

    from deepfix_notebook.report import RunStore
    from deepfix_notebook.report._backend import backend_problem, run_analysis
    from deepfix_notebook.report._background import display_analyses

    assert backend_problem(backend) is None
    store = RunStore(runs.tracking_uri, runs.experiment)
    (summary,) = [run for run in store.runs() if run.run_name == "overfitting"]
    details = store.details(summary.run_id)
    assert details.bundle is not None
    seen: list[JobStatus] = []
    result = asyncio.run(run_analysis(backend, details.bundle, seen.append, poll=0.05))
    assert result.run_id == summary.run_id and "overfitting" in all_codes(result)
    assert seen and seen[-1].status.value == result.status.value
    worker = display_analyses(store, backend)
    assert (worker is not None) == backend.in_process == is_local(backend)
    if worker is not None:
        worker.close()
    health = store.analyse_for_display(summary, backend)
    assert health.state == "computed" and health.counts


def test_the_analyze_magic(current: AnalysisBackend, runs: Runs, mlflow_server: str) -> None:
    """``%deepfix analyze`` with a run id, ``$run`` (an MLflow run object) and
    ``$run.info.run_id``, and ``%deepfix compare``, on both backends, with curves."""
    from IPython.testing import globalipapp
    from IPython.utils.capture import capture_output
    from mlflow import MlflowClient

    from deepfix_notebook.notebook import MIME_ANALYSIS

    globalipapp.start_ipython()
    ip = globalipapp.get_ipython()
    ip.display_formatter.active_types = ip.display_formatter.format_types
    ip.run_line_magic("load_ext", "deepfix_notebook")
    run_id = runs.by_name["overfitting"]
    ip.user_ns["suite_run"] = MlflowClient(tracking_uri=mlflow_server).get_run(run_id)
    for line in (run_id, "$suite_run", "$suite_run.info.run_id"):
        with capture_output() as cap:
            ip.run_line_magic("deepfix", f"analyze {line} --out suite_result")
        data = next(o.data for o in cap.outputs if MIME_ANALYSIS in o.data)
        assert data[MIME_ANALYSIS]["result"]["run_id"] == run_id, line
        assert data[MIME_ANALYSIS]["curves"] is not None, line
        assert ip.user_ns["suite_result"].backend == current.name
    with capture_output() as cap:
        ip.run_line_magic("deepfix", f"compare {run_id} {runs.by_name['healthy']}")
    kinds = {kind for o in cap.outputs for kind in o.data}
    assert "application/vnd.deepfix.comparison+json" in kinds


def test_the_run_is_read_once_where_the_analysis_runs(
    backend: AnalysisBackend, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, the engine's read is the only one; through a server, the server fetches the
    run and this process sends its reference without downloading it first."""
    import threading

    from deepfix_notebook.artifacts import _mlflow

    readers: list[str] = []
    read = _mlflow.load_mlflow_run

    def counted(*args: Any, **kwargs: Any) -> Any:
        readers.append(threading.current_thread().name)
        return read(*args, **kwargs)

    monkeypatch.setattr(_mlflow, "load_mlflow_run", counted)
    assert backend.analyze(runs.by_name["healthy"]).status in DONE
    assert len(readers) == 1
    here = readers[0] == threading.current_thread().name
    assert here == is_local(backend), readers


def test_the_store_a_reference_names_is_where_the_run_is_read(
    backend: AnalysisBackend, runs: Runs, refused_uri: str
) -> None:
    """A `RunRef`'s store (``--tracking-uri``, where a name was found) goes with it: read
    there in-process, sent to the server, whose allowlist decides."""
    from deepfix_notebook.artifacts import RunRef
    from deepfix_notebook.client import DeepFixError

    run_id = runs.by_name["healthy"]
    here = RunRef(run_id=run_id, tracking_uri=runs.tracking_uri)
    assert backend.analyze(here).run_id == run_id
    elsewhere = RunRef(run_id=run_id, tracking_uri=refused_uri)
    with pytest.raises((ArtifactError, DeepFixError)) as raised:
        backend.analyze(elsewhere)
    expected = (
        ErrorCode.MLFLOW_CONNECTION_ERROR if is_local(backend) else ErrorCode.VALIDATION_ERROR
    )
    assert raised.value.code is expected
