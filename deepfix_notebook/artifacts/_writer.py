"""Writing the canonical layout: metrics, params, dataset, deepchecks and analysis results."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from deepfix_notebook.artifacts import _layout as layout
from deepfix_notebook.artifacts._dataset import DatasetInfo
from deepfix_notebook.artifacts._table import MetricsTable, to_column

if TYPE_CHECKING:
    from deepfix_notebook.contract import AnalysisResult

MetricsLike = MetricsTable | Mapping[str, Any]


def write_run(
    directory: str | Path,
    *,
    metrics: MetricsLike | None = None,
    params: Mapping[str, Any] | None = None,
    dataset: DatasetInfo | Mapping[str, Any] | None = None,
    statistics: Mapping[str, Any] | None = None,
    deepchecks: Mapping[str, Any] | None = None,
    deepchecks_config: Mapping[str, Any] | None = None,
) -> Path:
    """Write the given artifacts under ``directory`` in the canonical layout; returns it.

    ``metrics`` is a `MetricsTable` or wide columns (name -> values; ``None``/NaN where not
    logged; ``step`` and ``epoch`` optional). Each file is written atomically.
    """
    root = Path(directory)
    if metrics is not None:
        _write_metrics(root / layout.METRICS, metrics)
    if params is not None:
        _write_text(root / layout.PARAMS, _yaml(params))
    if dataset is not None:
        if isinstance(dataset, DatasetInfo):
            statistics = statistics or dataset.statistics or None
            data = dataset.model_dump(exclude={"statistics", "extra"}, exclude_none=True)
            dataset = {**data, **dataset.extra}
        _write_text(root / layout.DATASET, _yaml(dataset))
    if statistics is not None:
        _write_text(root / layout.STATISTICS, json.dumps(_plain(statistics), indent=2))
    if deepchecks is not None:
        _write_text(root / layout.DEEPCHECKS, _yaml(deepchecks))
    if deepchecks_config is not None:
        _write_text(root / layout.DEEPCHECKS_CONFIG, _yaml(deepchecks_config))
    return root


def write_analysis(result: AnalysisResult, directory: str | Path) -> Path:
    """Write ``result`` to ``deepfix/analysis.json`` of the run at ``directory``."""
    target = Path(directory) / layout.ANALYSIS
    _write_text(target, analysis_json(result))
    return target


def analysis_json(result: AnalysisResult) -> str:
    return result.model_dump_json(indent=2)


def _columns(metrics: MetricsLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(values, logged mask) per column to write."""
    if isinstance(metrics, MetricsTable):
        table = metrics
        columns = {"step": (table.step.astype(np.float64), np.ones(len(table), dtype=bool))}
        if table.epoch is not None:
            columns["epoch"] = (table.epoch, ~np.isnan(table.epoch))
        for name in table:
            logged = np.ones(len(table), dtype=bool)
            rows = table.metrics[name].rows
            if rows is not None:
                logged = np.zeros(len(table), dtype=bool)
                logged[rows] = True
            columns[table.display_name(name)] = (table.dense(name), logged)
        return columns
    converted = {str(name): to_column(values) for name, values in metrics.items()}
    if len({values.shape[0] for values, _ in converted.values()}) > 1:
        raise ValueError("metric columns have different lengths")
    return converted


def _write_metrics(path: Path, metrics: MetricsLike) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = _columns(metrics)
    arrays = [
        pa.array(values.astype(np.int64)) if name == "step" else pa.array(values, mask=~logged)
        for name, (values, logged) in columns.items()
    ]
    table = pa.table(arrays, names=list(columns))
    tmp = _temporary(path)
    try:
        pacsv.write_csv(table, str(tmp))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _temporary(path: Path) -> Path:
    """A fresh name beside ``path`` for an atomic write (created with the user's umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def _write_text(path: Path, text: str) -> None:
    tmp = _temporary(path)
    try:
        with tmp.open("x", encoding="utf-8") as handle:
            handle.write(text)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True)


def _plain(value: Any) -> Any:
    """numpy scalars and arrays, tuples and paths -> plain YAML/JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value
