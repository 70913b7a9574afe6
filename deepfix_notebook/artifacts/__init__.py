"""Reading, validating, normalising and writing a run's artifacts (CONTRACT.md §1).

``load_run(source)`` gives an `ArtifactBundle` from a directory or an MLflow run; a broken rule
raises `ArtifactError` with a contract error code, soft problems land in ``bundle.warnings``.
"""

from __future__ import annotations

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
from deepfix_notebook.artifacts._csv import read_metrics_csv
from deepfix_notebook.artifacts._dataset import DatasetInfo
from deepfix_notebook.artifacts._deepchecks import CheckResult, DeepchecksResults
from deepfix_notebook.artifacts._directory import load_directory
from deepfix_notebook.artifacts._errors import ArtifactError
from deepfix_notebook.artifacts._load import load_run, log_run, save_analysis
from deepfix_notebook.artifacts._memory import bundle_from_memory
from deepfix_notebook.artifacts._names import CANONICAL_METRICS, canonical_name
from deepfix_notebook.artifacts._params import TrainingParams
from deepfix_notebook.artifacts._store import deepfix_home, resolve_tracking_uri
from deepfix_notebook.artifacts._table import Metric, MetricsTable
from deepfix_notebook.artifacts._writer import write_analysis, write_run

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary
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
    "SampleShare",
    "TrainingParams",
    "active_mlflow_run",
    "bundle_from_memory",
    "canonical_name",
    "deepfix_home",
    "list_runs",
    "load_directory",
    "load_mlflow_analysis",
    "load_mlflow_run",
    "load_run",
    "log_run",
    "read_checks",
    "read_metrics_csv",
    "resolve_tracking_uri",
    "save_analysis",
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


def load_mlflow_run(run_id: str, tracking_uri: str | None = None) -> ArtifactBundle:
    """Load a run from MLflow (see `load_run`); imports mlflow on first call."""
    from deepfix_notebook.artifacts._mlflow import load_mlflow_run as load

    return load(run_id, tracking_uri)


def load_mlflow_analysis(run_id: str, tracking_uri: str | None = None) -> AnalysisResult | None:
    """The analysis logged with an MLflow run (``deepfix/analysis.json``), or None; reads that
    file alone (see `_mlflow.load_mlflow_analysis`). Imports mlflow on first call."""
    from deepfix_notebook.artifacts._mlflow import load_mlflow_analysis as load

    return load(run_id, tracking_uri)
