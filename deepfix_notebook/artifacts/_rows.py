"""Columnar row logic shared by every metrics source: axes, ordering, duplicates, pivoting.

Everything here is vectorised with numpy: no Python loop runs per row, so a 1e7-row file costs
what its arrays cost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from deepfix_notebook.artifacts._errors import invalid
from deepfix_notebook.artifacts._names import (
    canonical_name,
    higher_is_better,
    is_axis,
    is_eval_set,
)
from deepfix_notebook.artifacts._table import (
    FloatArray,
    IntArray,
    MetricsFormat,
    MetricsTable,
    normalise,
)

BoolArray = npt.NDArray[np.bool_]
Column = tuple[FloatArray, BoolArray]  # values (NaN where not logged), logged mask

MIN_TRAIN_LOSS_ROWS = 3  # CONTRACT.md §1
INT64_LIMIT = 2**63  # steps are int64: the first value that is not one


def wide_to_table(
    columns: Mapping[str, Column], *, format: MetricsFormat, file: str
) -> tuple[MetricsTable, list[str]]:
    """Turn wide columns into a table: find the axes, check order, merge duplicate steps."""
    warnings: list[str] = []
    axes = {is_axis(name): name for name in columns if is_axis(name)}
    n_rows = len(next(iter(columns.values()))[0]) if columns else 0
    epoch = _epoch_column(columns[axes["epoch"]], axes["epoch"], file) if "epoch" in axes else None
    if "step" in axes:
        step = _step_column(columns[axes["step"]], axes["step"], file)
    elif epoch is not None and _is_step_like(epoch):
        step = epoch.astype(np.int64)
        warnings.append(f"{file} has no step column; the epoch column is used as the step.")
    else:
        step = np.arange(n_rows, dtype=np.int64)
        warnings.append(f"{file} has no step column; rows are numbered from 0 as steps.")
    _require_non_decreasing(step, axes.get("step", "step"), file)

    metric_columns = {name: col for name, col in columns.items() if not is_axis(name)}
    starts = _group_starts(step)
    if len(starts) < len(step):
        metric_columns, epoch, merged_warning = _merge_duplicates(metric_columns, epoch, starts)
        step = step[starts]
        if merged_warning:
            warnings.append(f"{file}: {merged_warning}")
    sparse = {name: _sparse(values, logged) for name, (values, logged) in metric_columns.items()}
    metrics, notes = normalise(sparse)
    return MetricsTable(step, epoch, metrics, format=format, notes=tuple(notes)), warnings


def long_to_table(
    key_ids: npt.NDArray[np.int32],
    keys: Sequence[str],
    values: FloatArray,
    steps: FloatArray,
    *,
    format: MetricsFormat,
    file: str,
) -> tuple[MetricsTable, list[str]]:
    """Pivot ``key,value,step`` rows to a table; a repeated (key, step) keeps its last value."""
    warnings: list[str] = []
    step_all = _step_column((steps, ~np.isnan(steps)), "step", file)
    axis, rows_of = _step_axis(step_all)
    per_key: dict[str, tuple[FloatArray, IntArray]] = {}
    repeated: dict[str, int] = {}
    for key_id, key in enumerate(keys):
        positions = np.flatnonzero(key_ids == key_id)
        if positions.size == 0:
            continue
        key_steps = step_all[positions]
        if np.any(key_steps[1:] < key_steps[:-1]):
            order = np.argsort(key_steps, kind="stable")
            positions, key_steps = positions[order], key_steps[order]
        last = np.flatnonzero(np.r_[key_steps[1:] != key_steps[:-1], True])
        repeated[key] = int(positions.size - last.size)
        per_key[key] = (values[positions[last]], rows_of(key_steps[last]))
    epoch = None
    epoch_key = next((key for key in per_key if is_axis(key) == "epoch"), None)
    if epoch_key is not None:
        epoch_values, epoch_rows = per_key[epoch_key]
        epoch = np.full(axis.shape, np.nan)
        epoch[epoch_rows] = epoch_values
        _epoch_column((epoch, ~np.isnan(epoch)), epoch_key, file)
    sparse = {
        key: (vals, None if rows.size == axis.size else rows.astype(np.int64))
        for key, (vals, rows) in per_key.items()
    }
    metrics, notes = normalise(sparse)
    # Keras autolog logs `validation_loss` at step 0 after every epoch, beside `val_loss`: a
    # spelling that lost to another is not worth a warning.
    read = {
        m.source_name
        for m in metrics.values()
        if m.name != m.source_name or canonical_name(m.source_name) in (None, m.name)
    }
    count = sum(n for key, n in repeated.items() if key in read or is_axis(key))
    if count:
        warnings.append(f"{file}: {count} repeated (metric, step) rows; the last value is kept.")
    return MetricsTable(axis, epoch, metrics, format=format, notes=tuple(notes)), warnings


def _step_axis(steps: IntArray) -> tuple[IntArray, Callable[[IntArray], IntArray]]:
    """The sorted distinct steps, and a function mapping steps to their rows on that axis."""
    if steps.size and int(steps.max()) < 4 * steps.size + 1024:  # a compact range: O(n)
        present = np.zeros(int(steps.max()) + 1, dtype=bool)
        present[steps] = True
        rank = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(np.int64), lambda s: rank[s]
    axis = np.unique(steps)
    return axis, lambda s: np.searchsorted(axis, s).astype(np.int64)


def check_training_rules(table: MetricsTable, file: str) -> list[str]:
    """CONTRACT.md §1: at least three rows with a train loss; negative losses are warned of."""
    if "train_loss" not in table:
        return [_without_train_loss(table, file), *_negative_losses(table, file)]
    logged = len(table.metrics["train_loss"])
    if logged < MIN_TRAIN_LOSS_ROWS:
        raise invalid(
            f"Only {logged} row(s) have a train loss; DeepFix needs at least "
            f"{MIN_TRAIN_LOSS_ROWS} to judge a run, so log the loss every epoch or more often.",
            file=file,
            field=table.display_name("train_loss"),
            rows=logged,
        )
    return _negative_losses(table, file)


def _without_train_loss(table: MetricsTable, file: str) -> str:
    """The warning for a run that logged no training loss but scores or eval-set curves (an
    xgboost run with ``eval_metric="auc"``, or one validation set); else `ARTIFACT_INVALID`."""
    found = ", ".join(table.display_name(n) for n in table.names) or "none"
    curves = [
        table.display_name(name)
        for name in table.names
        if len(table.metrics[name]) >= MIN_TRAIN_LOSS_ROWS
        and canonical_name(name) is not None
        and (higher_is_better(name) or is_eval_set(table.display_name(name)))
    ]
    if not curves:
        raise invalid(
            "No train-loss column found; log the training loss as `loss` or `train_loss` "
            f"(metrics found: {found}).",
            file=file,
            field="train_loss",
        )
    return (
        f"{file}: no training loss was logged (metrics found: {found}), so the rules that "
        "need one are skipped. Log the loss on the training data too: a `loss`/`train_loss` "
        "metric, or with xgboost/LightGBM the training set as the first eval set and a loss "
        "metric (logloss, rmse, ...)."
    )


def _negative_losses(table: MetricsTable, file: str) -> list[str]:
    warnings = []
    for name in ("train_loss", "val_loss", "test_loss"):
        if name not in table:
            continue
        steps, _, values = table.series(name)
        with np.errstate(invalid="ignore"):
            negative = np.flatnonzero(values < 0)
        if negative.size:
            lowest = negative[np.argmin(values[negative])]
            warnings.append(
                f"{file}: {table.display_name(name)} is negative at {negative.size} step(s) "
                f"(lowest {values[lowest]:.4g} at step {int(steps[lowest])}); fine for some "
                "losses, but check its sign."
            )
    return warnings


def _step_column(column: Column, name: str, file: str) -> IntArray:
    values, logged = column
    with np.errstate(invalid="ignore"):
        bad = ~logged | ~np.isfinite(values) | (values < 0) | (values != np.floor(values))
        bad |= values >= INT64_LIMIT  # would wrap to a negative int64
    if np.any(bad):
        row = int(np.argmax(bad))
        shown = "empty" if not logged[row] else repr(float(values[row]))
        raise invalid(
            f"{name} must be a whole number from 0 to {INT64_LIMIT - 1} (an int64) on every "
            f"row, but row {row + 1} is {shown}.",
            file=file,
            field=name,
            row=row + 1,
            value=shown,
        )
    return values.astype(np.int64)


def _epoch_column(column: Column, name: str, file: str) -> FloatArray:
    values, logged = column
    bad = logged & (~np.isfinite(values) | (values < 0))
    if np.any(bad):
        row = int(np.argmax(bad))
        raise invalid(
            f"{name} must be a number >= 0, but row {row + 1} is {float(values[row])!r}.",
            file=file,
            field=name,
            row=row + 1,
        )
    return np.where(logged, values, np.nan)


def _is_step_like(epoch: FloatArray) -> bool:
    with np.errstate(invalid="ignore"):
        whole = np.all(epoch == np.floor(epoch)) and np.all(epoch < INT64_LIMIT)
    return bool(np.all(np.isfinite(epoch)) and whole)


def _require_non_decreasing(step: IntArray, name: str, file: str) -> None:
    backwards = np.flatnonzero(step[1:] < step[:-1])
    if backwards.size:
        row = int(backwards[0]) + 1
        raise invalid(
            f"{name} goes backwards at row {row + 1} (from {int(step[row - 1])} to "
            f"{int(step[row])}); rows must be ordered by step. If the run was resumed from a "
            "checkpoint, keep only the rows of the final attempt.",
            file=file,
            field=name,
            row=row + 1,
        )


def _group_starts(step: IntArray) -> IntArray:
    if step.size == 0:
        return step
    return np.flatnonzero(np.r_[True, step[1:] != step[:-1]])


def _merge_duplicates(
    columns: Mapping[str, Column], epoch: FloatArray | None, starts: IntArray
) -> tuple[dict[str, Column], FloatArray | None, str]:
    """Rows sharing a step become one; per column the last logged value wins."""
    index = np.arange(len(next(iter(columns.values()))[0]) if columns else 0)
    merged: dict[str, Column] = {}
    conflicts = 0
    for name, (values, logged) in columns.items():
        last = np.maximum.reduceat(np.where(logged, index, -1), starts)
        counts = np.add.reduceat(logged.astype(np.int64), starts)
        conflicts += int(np.count_nonzero(counts > 1))
        has = last >= 0
        merged[name] = (np.where(has, values[np.maximum(last, 0)], np.nan), has)
    if epoch is not None:
        epoch_logged = ~np.isnan(epoch)
        last = np.maximum.reduceat(np.where(epoch_logged, index, -1), starts)
        epoch = np.where(last >= 0, epoch[np.maximum(last, 0)], np.nan)
    message = (
        f"{conflicts} value(s) logged twice for the same step; the last one is kept."
        if conflicts
        else ""
    )
    return merged, epoch, message


def _sparse(values: FloatArray, logged: BoolArray) -> tuple[FloatArray, IntArray | None]:
    if bool(np.all(logged)):
        return values, None
    rows = np.flatnonzero(logged).astype(np.int64)
    return values[rows], rows
