"""Bundles from in-memory data: a DataFrame or columns of metrics, params and dataset dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from deepfix_notebook.artifacts._bundle import ArtifactBundle
from deepfix_notebook.artifacts._dataset import DatasetInfo, parse_dataset
from deepfix_notebook.artifacts._deepchecks import parse_deepchecks
from deepfix_notebook.artifacts._errors import invalid
from deepfix_notebook.artifacts._params import parse_params
from deepfix_notebook.artifacts._rows import check_training_rules
from deepfix_notebook.artifacts._table import MetricsTable


def bundle_from_memory(
    metrics: Any,
    *,
    params: Mapping[str, Any] | None = None,
    dataset: DatasetInfo | Mapping[str, Any] | None = None,
    statistics: Mapping[str, Any] | None = None,
    deepchecks: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    source: str = "memory",
) -> ArtifactBundle:
    """A bundle from a metrics DataFrame (or mapping of columns) and optional dicts.

    The same rules as for files apply; a DataFrame index named ``step`` or ``epoch`` is used as
    that axis.
    """
    table, warnings = _table(metrics)
    warnings += check_training_rules(table, "metrics")
    bundle = ArtifactBundle(
        source=source, run_id=run_id, metrics=table, layout="memory", warnings=warnings
    )
    if params is not None:
        bundle.params, more = parse_params(params, file="params")
        bundle.warnings.extend(more)
    if dataset is not None:
        if isinstance(dataset, DatasetInfo):
            bundle.dataset = dataset
        else:
            bundle.dataset, more = parse_dataset(dataset, statistics, file="dataset")
            bundle.warnings.extend(more)
    if deepchecks is not None:
        bundle.deepchecks, more = parse_deepchecks(deepchecks, None, file="deepchecks")
        bundle.warnings.extend(more)
    return bundle


def _table(metrics: Any) -> tuple[MetricsTable, list[str]]:
    if isinstance(metrics, MetricsTable):
        return metrics, []
    if hasattr(metrics, "columns") and hasattr(metrics, "index"):  # a pandas DataFrame
        columns: dict[str, Any] = {}
        index_name = getattr(metrics.index, "name", None)
        if index_name in {"step", "epoch"}:
            columns[str(index_name)] = np.asarray(metrics.index, dtype=np.float64)
        for name in metrics.columns:
            try:
                columns[str(name)] = np.asarray(metrics[name], dtype=np.float64)
            except (TypeError, ValueError):
                continue  # text columns (run names, notes) are not metrics
        metrics = columns
    if not isinstance(metrics, Mapping) or not metrics:
        raise invalid(
            "metrics must be a DataFrame or a mapping of column name -> values.",
            file="metrics",
        )
    try:
        return MetricsTable.from_columns(metrics, file="metrics")
    except (TypeError, ValueError) as exc:
        raise invalid(f"metrics columns must hold numbers: {exc}.", file="metrics") from exc
