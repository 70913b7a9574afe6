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
from deepfix_notebook.artifacts._run_id import RUNS_PREFIX, parse_run_id
from deepfix_notebook.artifacts._table import MetricsTable
from deepfix_notebook.artifacts._writer import MetricsLike, analysis_json, write_analysis, write_run

if TYPE_CHECKING:
    from deepfix_notebook.contract import AnalysisResult


def load_run(
    source: str | Path, *, tracking_uri: str | None = None, connected: str | None = None
) -> ArtifactBundle:
    """Load a run from a directory, or from MLflow when ``source`` is not an existing path.

    ``runs:/ID`` is always an MLflow run id, never a path (anything else after ``runs:/`` is a
    ``VALIDATION_ERROR``). An MLflow run is read from ``tracking_uri`` alone when given, else
    looked for in every candidate store, ``connected`` (`connect`'s store) first
    (`candidate_stores`).
    """
    if isinstance(source, str) and source.strip().startswith(RUNS_PREFIX):
        from deepfix_notebook.artifacts._mlflow import load_mlflow_run

        return load_mlflow_run(parse_run_id(source), tracking_uri, connected=connected)
    path = Path(source).expanduser()
    if (
        isinstance(source, Path)
        or path.exists()
        or (tracking_uri is None and _looks_like_path(source))
    ):
        return load_directory(path)
    from deepfix_notebook.artifacts._mlflow import load_mlflow_run

    return load_mlflow_run(str(source), tracking_uri, connected=connected)


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

    with tempfile.TemporaryDirectory(prefix="deepfix-log-") as tmp:
        write_run(
            tmp,
            metrics=metrics,
            params=params,
            dataset=dataset,
            statistics=statistics,
            deepchecks=deepchecks,
        )
        return log_artifacts(
            tmp,
            run_id=run_id,
            tracking_uri=tracking_uri,
            experiment=experiment,
            run_name=run_name,
            params=params,
            summary_metrics=_last_values(metrics),
            status=status,
        )


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


def _looks_like_path(source: str | Path) -> bool:
    text = str(source)
    return "/" in text or "\\" in text or text.startswith((".", "~"))


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
