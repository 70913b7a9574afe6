"""`load_run`: one entry point for a directory or an MLflow run id; `log_run` and friends."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from deepfix_notebook.artifacts._bundle import ArtifactBundle
from deepfix_notebook.artifacts._dataset import DatasetInfo
from deepfix_notebook.artifacts._directory import load_directory
from deepfix_notebook.artifacts._names import canonical_name
from deepfix_notebook.artifacts._run_ref import RunRef, remember_run, run_ref
from deepfix_notebook.artifacts._store import resolve_tracking_uri
from deepfix_notebook.artifacts._table import MetricsTable
from deepfix_notebook.artifacts._writer import MetricsLike, analysis_json, write_analysis, write_run

if TYPE_CHECKING:
    from deepfix_notebook.contract import AnalysisResult


def load_run(
    source: Any, *, tracking_uri: str | None = None, connected: str | None = None
) -> ArtifactBundle:
    """The bundle of a run: anything `run_ref` accepts (a run directory, an MLflow run id,
    ``runs:/ID`` or run name, an MLflow run object, a `RunRef`, a DataFrame, a bundle).

    An MLflow run is read from ``tracking_uri`` alone when given, else looked for in every
    candidate store, ``connected`` (`connect`'s store) first (`candidate_stores`).
    """
    ref = run_ref(source, tracking_uri=tracking_uri, connected=connected)
    if ref.bundle is not None:
        return ref.bundle
    if ref.path is not None:
        return load_directory(ref.path)
    assert ref.run_id is not None
    from deepfix_notebook.artifacts._mlflow import load_mlflow_run

    return load_mlflow_run(ref.run_id, ref.tracking_uri, connected=connected)


def log_run(
    *,
    metrics: MetricsLike,
    params: Mapping[str, Any] | None = None,
    dataset: DatasetInfo | Mapping[str, Any] | None = None,
    statistics: Mapping[str, Any] | None = None,
    deepchecks: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    run_name: str | None = None,
    status: str | None = None,
) -> str:
    """Write the canonical layout to an MLflow run (a new one unless ``run_id``); its id.

    Params are logged as MLflow params too, and the last value of each recognised metric as an
    MLflow metric, so run listings show them. ``status`` (e.g. ``FINISHED``) ends the run.
    """
    from deepfix_notebook.artifacts._mlflow import log_artifacts

    uri = resolve_tracking_uri(tracking_uri)
    with tempfile.TemporaryDirectory(prefix="deepfix-log-") as tmp:
        write_run(
            tmp,
            metrics=metrics,
            params=params,
            dataset=dataset,
            statistics=statistics,
            deepchecks=deepchecks,
        )
        run_id = log_artifacts(
            tmp,
            run_id=run_id,
            tracking_uri=uri,
            experiment=experiment,
            run_name=run_name,
            params=params,
            summary_metrics=_last_values(metrics),
            status=status,
        )
    remember_run(RunRef(run_id=run_id, tracking_uri=uri))
    return run_id


def save_analysis(
    result: AnalysisResult,
    *,
    directory: str | Path | None = None,
    tracking_uri: str | None = None,
) -> str:
    """Write ``result`` back to its run: ``deepfix/analysis.json`` of a directory or MLflow run."""
    if directory is not None:
        return str(write_analysis(result, directory))
    from deepfix_notebook.artifacts._mlflow import log_text

    log_text(result.run_id, analysis_json(result), "deepfix/analysis.json", tracking_uri)
    return f"runs:/{result.run_id}/deepfix/analysis.json"


def _last_values(metrics: MetricsLike) -> dict[str, tuple[float, int]]:
    table = metrics if isinstance(metrics, MetricsTable) else MetricsTable.from_columns(metrics)[0]
    last: dict[str, tuple[float, int]] = {}
    for name in table:
        if canonical_name(table.display_name(name)) is None:
            continue
        steps, _, values = table.series(name)
        if values.size:
            last[name] = (float(values[-1]), int(steps[-1]))
    return {k: v for k, v in last.items() if np.isfinite(v[0])}
