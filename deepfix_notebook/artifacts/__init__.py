"""Reading, validating, normalising and writing a run's artifacts (CONTRACT.md §1).

``run_ref(source)`` says which run the user means (`RunRef`), parsed once; ``load_run(source)``
gives its `ArtifactBundle`, from a directory or an MLflow run; a broken rule
raises `ArtifactError` with a contract error code, soft problems land in ``bundle.warnings``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from deepfix_notebook.artifacts._bundle import ArtifactBundle
from deepfix_notebook.artifacts._checks import (
    BrokenCheck,
    CheckKind,
    CheckView,
    ClassPerformance,
    DomainDrift,
    DriftScores,
    NewLabels,
    OutlierProbabilities,
    PpsChange,
    PredictivePower,
    PropertyOutliers,
    SampleShare,
    read_checks,
)
from deepfix_notebook.artifacts._credentials import redact_uri
from deepfix_notebook.artifacts._csv import read_metrics_csv
from deepfix_notebook.artifacts._dataset import DatasetInfo
from deepfix_notebook.artifacts._deepchecks import CheckResult, DeepchecksResults
from deepfix_notebook.artifacts._directory import load_directory
from deepfix_notebook.artifacts._errors import ArtifactError
from deepfix_notebook.artifacts._load import load_run, log_run, save_analysis
from deepfix_notebook.artifacts._memory import bundle_from_memory
from deepfix_notebook.artifacts._names import (
    CANONICAL_METRICS,
    canonical_name,
    canonical_names,
    higher_is_better,
)
from deepfix_notebook.artifacts._params import TrainingParams
from deepfix_notebook.artifacts._run_id import is_run_id, parse_run_id
from deepfix_notebook.artifacts._run_ref import RunRef, last_run, remember_run, run_ref
from deepfix_notebook.artifacts._store import (
    Store,
    candidate_stores,
    deepfix_home,
    resolve_tracking_uri,
)
from deepfix_notebook.artifacts._table import Metric, MetricsTable
from deepfix_notebook.artifacts._writer import write_analysis, write_run

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary
    from deepfix_notebook.artifacts._mlflow_sweep import ExperimentRun
    from deepfix_notebook.contract import AnalysisResult

__all__ = [
    "CANONICAL_METRICS",
    "ArtifactBundle",
    "ArtifactError",
    "BrokenCheck",
    "CheckKind",
    "CheckResult",
    "CheckView",
    "ClassPerformance",
    "DatasetInfo",
    "DeepchecksResults",
    "DomainDrift",
    "DriftScores",
    "Metric",
    "MetricsTable",
    "NewLabels",
    "OutlierProbabilities",
    "PpsChange",
    "PredictivePower",
    "PropertyOutliers",
    "RunRef",
    "SampleShare",
    "Store",
    "TrainingParams",
    "active_mlflow_run",
    "bound_mlflow_http",
    "bundle_from_memory",
    "candidate_stores",
    "canonical_name",
    "canonical_names",
    "deepfix_home",
    "experiment_runs",
    "find_runs",
    "higher_is_better",
    "is_run_id",
    "last_run",
    "list_runs",
    "load_directory",
    "load_mlflow_analysis",
    "load_mlflow_run",
    "load_run",
    "log_run",
    "logged_analyses",
    "metric_histories",
    "parse_run_id",
    "read_checks",
    "read_metrics_csv",
    "redact_uri",
    "remember_run",
    "resolve_tracking_uri",
    "run_bundle",
    "run_by_name",
    "run_ref",
    "save_analysis",
    "write_analyses",
    "write_analysis",
    "write_run",
]


def active_mlflow_run(
    tracking_uri: str | None = None, *, experiment: str | None = None, run_name: str | None = None
) -> AbstractContextManager[str]:
    """A new MLflow run made the fluent API's active run for a block (see `_mlflow.active_run`)."""
    from deepfix_notebook.artifacts._mlflow import active_run

    return active_run(tracking_uri, experiment=experiment, run_name=run_name)


def list_runs(
    tracking_uri: str | None = None, *, experiment: str | None = None, limit: int = 50
) -> list[RunSummary]:
    """The newest MLflow runs, newest first (see `RunSummary`); imports mlflow on first call."""
    from deepfix_notebook.artifacts._mlflow import list_runs as runs

    return runs(tracking_uri, experiment=experiment, limit=limit)


def load_mlflow_run(
    run_id: str,
    tracking_uri: str | None = None,
    *,
    artifact_guard: Callable[[str], None] | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ArtifactBundle:
    """Load a run from MLflow (see `load_run`); ``artifact_guard`` may refuse the run's artifact
    location before it is contacted, ``max_bytes`` bounds the files read and ``max_rows`` the
    metric steps (see `_mlflow.load_mlflow_run`). Imports mlflow on first call."""
    from deepfix_notebook.artifacts._mlflow import load_mlflow_run as load

    return load(
        run_id,
        tracking_uri,
        artifact_guard=artifact_guard,
        max_bytes=max_bytes,
        max_rows=max_rows,
    )


def bound_mlflow_http(values: dict[str, str]) -> None:
    """Set MLflow's HTTP settings (``MLFLOW_HTTP_REQUEST_TIMEOUT``, ...) the user did not set
    (see `_mlflow_store.bound_mlflow_http`); does not import mlflow."""
    from deepfix_notebook.artifacts._mlflow_store import bound_mlflow_http as bound

    bound(values)


def load_mlflow_analysis(run_id: str, tracking_uri: str | None = None) -> AnalysisResult | None:
    """The analysis logged with an MLflow run (``deepfix/analysis.json``), or None; reads that
    file alone (see `_mlflow.load_mlflow_analysis`). Imports mlflow on first call."""
    from deepfix_notebook.artifacts._mlflow import load_mlflow_analysis as load

    return load(run_id, tracking_uri)


def find_runs(
    *,
    run_name: str | None = None,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    connected: str | None = None,
) -> tuple[str, list[RunSummary]]:
    """Runs by name and/or every run of an experiment, from the first candidate store that has
    any, and that store's URI (see `_mlflow.find_runs`). Imports mlflow on first call."""
    from deepfix_notebook.artifacts._mlflow import find_runs as find

    return find(
        run_name=run_name, experiment=experiment, tracking_uri=tracking_uri, connected=connected
    )


def run_by_name(
    run_name: str,
    *,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    connected: str | None = None,
) -> tuple[str, str]:
    """``(run id, store URI)`` of the one run called ``run_name``; several are an error that
    lists them (see `_mlflow.run_by_name`). Imports mlflow on first call."""
    from deepfix_notebook.artifacts._mlflow import run_by_name as find

    return find(run_name, experiment=experiment, tracking_uri=tracking_uri, connected=connected)


def experiment_runs(
    experiment: str,
    tracking_uri: str | None = None,
    *,
    filter_string: str = "",
    max_runs: int | None = None,
    connected: str | None = None,
) -> tuple[str, list[ExperimentRun]]:
    """The runs of an experiment for a sweep, paged, and the store's URI (see
    `_mlflow_sweep.experiment_runs`). Imports mlflow on first call."""
    from deepfix_notebook.artifacts._mlflow_sweep import experiment_runs as runs

    return runs(
        experiment,
        tracking_uri,
        filter_string=filter_string,
        max_runs=max_runs,
        connected=connected,
    )


def metric_histories(
    tracking_uri: str, runs: Sequence[ExperimentRun]
) -> dict[str, tuple[MetricsTable, list[str]]]:
    """Metric histories of many runs, in bulk (see `_mlflow_sweep.metric_histories`)."""
    from deepfix_notebook.artifacts._mlflow_sweep import metric_histories as histories

    return histories(tracking_uri, runs)


def run_bundle(
    run: ExperimentRun, tracking_uri: str, history: tuple[MetricsTable, list[str]] | None
) -> ArtifactBundle:
    """The bundle of one listed run (see `_mlflow_sweep.run_bundle`)."""
    from deepfix_notebook.artifacts._mlflow_sweep import run_bundle as bundle

    return bundle(run, tracking_uri, history)


def logged_analyses(tracking_uri: str, runs: Sequence[ExperimentRun]) -> dict[str, str]:
    """Run id -> text of its ``deepfix/analysis.json`` (see `_mlflow_sweep.logged_analyses`)."""
    from deepfix_notebook.artifacts._mlflow_sweep import logged_analyses as read

    return read(tracking_uri, runs)


def write_analyses(
    tracking_uri: str, documents: Sequence[tuple[ExperimentRun, str]]
) -> dict[str, str]:
    """Write analyses back to many runs; run id -> reason for those that failed (see
    `_mlflow_sweep.write_analyses`)."""
    from deepfix_notebook.artifacts._mlflow_sweep import write_analyses as write

    return write(tracking_uri, documents)
