"""Loading a run from a directory with the layout of CONTRACT.md §1."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from deepfix_notebook.artifacts import _layout as layout
from deepfix_notebook.artifacts._bundle import ArtifactBundle, Layout
from deepfix_notebook.artifacts._csv import read_metrics_csv
from deepfix_notebook.artifacts._dataset import parse_dataset
from deepfix_notebook.artifacts._deepchecks import parse_deepchecks
from deepfix_notebook.artifacts._errors import ArtifactError, invalid
from deepfix_notebook.artifacts._params import parse_params
from deepfix_notebook.artifacts._rows import check_training_rules
from deepfix_notebook.artifacts._table import MetricsTable
from deepfix_notebook.artifacts._yaml import load_json, load_mapping
from deepfix_notebook.contract import ErrorCode


def load_directory(path: str | Path, *, run_id: str | None = None) -> ArtifactBundle:
    """Read every artifact of the run rooted at ``path``."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ArtifactError(
            ErrorCode.ARTIFACT_NOT_FOUND,
            f"No run directory at {str(root)!r}; pass the folder that holds "
            "training_artifacts/metrics.csv.",
            file=str(root),
        )
    for name in layout.KNOWN_FILES:  # a FIFO would block the reader: never open one
        if (root / name).exists() and not (root / name).is_file():
            raise invalid(
                f"{name} is not a regular file; log the file itself (not a pipe or a folder).",
                file=name,
            )
    present = tuple(name for name in layout.KNOWN_FILES if (root / name).is_file())
    if not present:
        raise ArtifactError(
            ErrorCode.ARTIFACT_NOT_FOUND,
            f"No DeepFix artifacts under {str(root)!r}; expected {layout.METRICS} "
            f"(and optionally {layout.PARAMS}, {layout.DATASET}, {layout.DEEPCHECKS}).",
            file=str(root),
        )
    bundle = ArtifactBundle(source=str(root), run_id=run_id, files=present)
    read_root(root, bundle)
    return bundle


History = Callable[[], tuple[MetricsTable, list[str]] | None]


def read_root(
    root: Path,
    bundle: ArtifactBundle,
    *,
    history: History | None = None,
    mlflow_params: Mapping[str, str] | None = None,
    max_rows: int | None = None,
) -> None:
    """Fill ``bundle`` from the files under ``root`` listed in ``bundle.files``.

    ``history`` gives the metrics when the run has no metrics file (MLflow's metric history);
    ``mlflow_params`` stand in for a missing params file; a metrics file of more than
    ``max_rows`` steps is refused while it is read.
    """
    _load_training(root, bundle, history, mlflow_params, max_rows)
    _load_dataset(root, bundle)
    _load_deepchecks(root, bundle)
    _load_previous_analysis(root, bundle)


def _load_training(
    root: Path,
    bundle: ArtifactBundle,
    history: History | None,
    mlflow_params: Mapping[str, str] | None,
    max_rows: int | None = None,
) -> None:
    files = set(bundle.files)
    style: Layout = "canonical"
    params_doc: dict[str, Any] | None = None
    params_file = layout.PARAMS
    if layout.METRICS in files:
        table, warnings = read_metrics_csv(
            root / layout.METRICS, name=layout.METRICS, max_rows=max_rows
        )
        metrics_file = layout.METRICS
    elif layout.LEGACY_TRAINING_YAML in files:
        style, metrics_file = "legacy-yaml", layout.LEGACY_TRAINING_YAML
        table, warnings, params_doc = _legacy_training_yaml(root)
        params_file = layout.LEGACY_TRAINING_YAML
    elif layout.LEGACY_METRICS in files:
        style, metrics_file = "legacy-root", layout.LEGACY_METRICS
        table, warnings = read_metrics_csv(
            root / layout.LEGACY_METRICS, name=metrics_file, max_rows=max_rows
        )
    elif history is not None and (found := history()) is not None:
        style, metrics_file = "mlflow-history", "MLflow metric history"
        table, warnings = found
    else:
        bundle.warnings.append(
            f"No {layout.METRICS}: training analysis needs it (log metrics per step or epoch)."
        )
        table, warnings, metrics_file = None, [], ""
    if table is not None:
        warnings += check_training_rules(table, metrics_file)
        bundle.metrics, bundle.layout = table, style
        bundle.warnings.extend(warnings)
    for name in (layout.PARAMS, layout.LEGACY_PARAMS):
        if params_doc is None and name in files:
            params_doc, params_file = load_mapping(root / name, file=name), name
    if params_doc is None and mlflow_params:
        params_doc, params_file = dict(mlflow_params), "MLflow params"
    if params_doc is not None:
        bundle.params, warnings = parse_params(params_doc, file=params_file)
        bundle.warnings.extend(warnings)
    elif table is not None:
        bundle.warnings.append(
            f"No {layout.PARAMS}: advice about learning rate, batch size and epochs will be "
            "less specific."
        )


def _legacy_training_yaml(root: Path) -> tuple[MetricsTable, list[str], dict[str, Any] | None]:
    name = layout.LEGACY_TRAINING_YAML
    doc = load_mapping(root / name, file=name)
    params = doc.get("params")
    if params is not None and not isinstance(params, dict):
        raise invalid("`params` must be a mapping.", file=name, field="params")
    values = doc.get("metrics_values")
    if isinstance(values, dict) and values:
        columns = {str(k): v for k, v in values.items()}
        lengths = {len(v) if isinstance(v, list) else -1 for v in columns.values()}
        if -1 in lengths or len(lengths) != 1:
            raise invalid(
                "metrics_values must map each metric to a list, all of the same length.",
                file=name,
                field="metrics_values",
            )
        try:
            table, warnings = MetricsTable.from_columns(columns, format="columns", file=name)
        except (TypeError, ValueError) as exc:
            raise invalid(
                f"metrics_values must hold numbers: {exc}.", file=name, field="metrics_values"
            ) from exc
        return table, warnings, params
    metrics_path = doc.get("metrics_path")
    if not isinstance(metrics_path, str) or not metrics_path:
        raise invalid(
            "Needs `metrics_values` (metric -> list) or `metrics_path` (a CSV in the run).",
            file=name,
            field="metrics_path",
        )
    try:
        relative = layout.safe_relative(metrics_path, file=name)
    except ArtifactError:
        # Older writers stored the path on the training machine: look for the file in the run.
        relative = PurePosixPath("training_artifacts", PurePosixPath(metrics_path).name)
        if not (root / relative).is_file():
            raise
    target = layout.inside(root, relative, file=name)
    if not target.is_file():
        raise ArtifactError(
            ErrorCode.ARTIFACT_NOT_FOUND,
            f"metrics_path {metrics_path!r} does not exist in the run.",
            file=name,
            field="metrics_path",
        )
    table, warnings = read_metrics_csv(target, name=str(relative))
    return table, warnings, params


def _load_dataset(root: Path, bundle: ArtifactBundle) -> None:
    files = set(bundle.files)
    statistics = None
    if layout.STATISTICS in files:
        statistics = load_json(root / layout.STATISTICS, file=layout.STATISTICS)
        if not isinstance(statistics, dict):
            raise invalid("statistics.json must be a JSON object.", file=layout.STATISTICS)
        _check_numeric_statistics(statistics, bundle)
    if layout.DATASET in files:
        doc = load_mapping(root / layout.DATASET, file=layout.DATASET)
        bundle.dataset, warnings = parse_dataset(doc, statistics, file=layout.DATASET)
    elif layout.LEGACY_DATASET in files:
        doc = load_mapping(root / layout.LEGACY_DATASET, file=layout.LEGACY_DATASET)
        bundle.dataset, warnings = parse_dataset(
            doc, statistics, file=layout.LEGACY_DATASET, legacy=True
        )
    else:
        return
    bundle.warnings.extend(warnings)


def _check_numeric_statistics(statistics: dict[str, Any], bundle: ArtifactBundle) -> None:
    for key, value in statistics.items():
        try:
            np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            bundle.warnings.append(f"{layout.STATISTICS}: '{key}' is not numeric; it is ignored.")


def _load_deepchecks(root: Path, bundle: ArtifactBundle) -> None:
    files = set(bundle.files)
    config = None
    if layout.DEEPCHECKS_CONFIG in files:
        config = load_mapping(root / layout.DEEPCHECKS_CONFIG, file=layout.DEEPCHECKS_CONFIG)
    for name in (layout.DEEPCHECKS, layout.LEGACY_DEEPCHECKS):
        if name in files:
            doc = load_mapping(root / name, file=name)
            bundle.deepchecks, warnings = parse_deepchecks(doc, config, file=name)
            bundle.warnings.extend(warnings)
            return


def _load_previous_analysis(root: Path, bundle: ArtifactBundle) -> None:
    if layout.ANALYSIS not in bundle.files:
        return
    try:
        doc = load_json(root / layout.ANALYSIS, file=layout.ANALYSIS)
    except ArtifactError as exc:
        bundle.warnings.append(f"{layout.ANALYSIS} is unreadable and ignored: {exc.message}")
        return
    if isinstance(doc, dict):
        bundle.previous_analysis = doc
