"""Bundles from in-memory data: a DataFrame or columns of metrics, params and dataset dicts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from deepfix_notebook.artifacts._bundle import ArtifactBundle
from deepfix_notebook.artifacts._dataset import DatasetInfo, parse_dataset
from deepfix_notebook.artifacts._deepchecks import parse_deepchecks
from deepfix_notebook.artifacts._errors import invalid
from deepfix_notebook.artifacts._params import parse_params
from deepfix_notebook.artifacts._rows import check_training_rules
from deepfix_notebook.artifacts._table import Metric, MetricsTable

# NaN cells that end a DataFrame column count as values from this many steps on (one missing
# last row is more often an interrupted epoch than a loss that broke down).
TRAILING_NAN_ROWS = 2


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

    Missing cells and NaN values: in a mapping, a list says it exactly (``None`` = not logged
    at that row, ``nan`` = the value was NaN, e.g. a diverged loss); a numpy array's ``nan`` is
    "not logged". A DataFrame cannot tell the two apart (pandas stores both as NaN), so its
    rows are first merged by step with NaN as "not logged" (Lightning's step rows and epoch
    rows become one), and then the NaN cells after a metric's last number are values when
    they run on for at least `TRAILING_NAN_ROWS` steps and for longer than the metric's
    longest gap between two numbers: a metric that broke down stays NaN, while a sparse one
    (validation every epoch) only pauses between values. A column with no number at all is NaN
    throughout. NaN cells before a metric's first number or between two numbers are "not
    logged". A metric that simply stopped being logged partway therefore reads as NaN from
    there: drop those rows, or pass a mapping of lists to say exactly what was logged.
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
    frame = hasattr(metrics, "columns") and hasattr(metrics, "index")  # a pandas DataFrame
    if frame:
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
        table, warnings = MetricsTable.from_columns(metrics, file="metrics")
    except (TypeError, ValueError) as exc:
        raise invalid(f"metrics columns must hold numbers: {exc}.", file="metrics") from exc
    return (_nan_tails(table) if frame else table), warnings


def _nan_tails(table: MetricsTable) -> MetricsTable:
    """A DataFrame's trailing NaN cells as values where they cannot be a pause between values
    (the rule in `bundle_from_memory`); ``table`` was built with every NaN as "not logged"."""
    size = len(table)
    metrics: dict[str, Metric] = {}
    for name, metric in table.metrics.items():
        metrics[name] = metric
        if metric.rows is None:
            continue  # a number on every step: nothing missing
        rows = metric.rows
        last = int(rows[-1]) if rows.size else -1
        tail = size - 1 - last
        gap = int(np.max(np.diff(rows))) - 1 if rows.size >= 2 else 0
        if rows.size and (tail < TRAILING_NAN_ROWS or tail <= gap):
            continue
        extra = np.arange(last + 1, size, dtype=np.int64)
        filled = np.r_[rows, extra]
        metrics[name] = dataclasses.replace(
            metric,
            values=np.r_[metric.values, np.full(extra.size, np.nan)],
            rows=None if filled.size == size else filled,
        )
    return dataclasses.replace(table, metrics=metrics)
