"""`MetricsTable`: a run's metrics, normalised, as numpy columns on one step axis."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from deepfix_notebook.artifacts._names import (
    canonical_names,
    choose_sources,
    is_axis,
    is_ignored,
    stand_in_loss,
)

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
MetricsFormat = Literal["wide", "long", "history", "columns"]


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric: its values and the rows of the table's step axis they were logged at.

    ``rows`` is ``None`` when the metric was logged at every step. NaN and Inf in ``values`` are
    data (a diverged loss); a step where the metric was not logged has no row at all.
    """

    name: str
    source_name: str
    values: FloatArray
    rows: IntArray | None = None

    def __len__(self) -> int:
        return int(self.values.shape[0])


@dataclass(frozen=True, slots=True)
class MetricsTable:
    """Normalised metrics: a strictly increasing ``step`` axis, ``epoch`` per step, metrics."""

    step: IntArray
    epoch: FloatArray | None
    metrics: Mapping[str, Metric]
    format: MetricsFormat = "wide"
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.step.shape[0])

    def __contains__(self, name: object) -> bool:
        return name in self.metrics

    def __iter__(self) -> Iterator[str]:
        return iter(self.metrics)

    @property
    def names(self) -> list[str]:
        return list(self.metrics)

    def display_name(self, name: str) -> str:
        """The name the run logged ``name`` under (e.g. ``val_acc`` for ``val_accuracy``)."""
        return self.metrics[name].source_name

    def series(self, name: str) -> tuple[IntArray, FloatArray | None, FloatArray]:
        """``(steps, epochs, values)`` of the rows where ``name`` was logged."""
        metric = self.metrics[name]
        if metric.rows is None:
            return self.step, self.epoch, metric.values
        epochs = None if self.epoch is None else self.epoch[metric.rows]
        return self.step[metric.rows], epochs, metric.values

    def dense(self, name: str) -> FloatArray:
        """``name`` on the full step axis, NaN where it was not logged."""
        metric = self.metrics[name]
        if metric.rows is None:
            return metric.values
        out = np.full(len(self), np.nan)
        out[metric.rows] = metric.values
        return out

    def to_pandas(self) -> pd.DataFrame:
        """A wide DataFrame indexed by step (needs pandas)."""
        import pandas as pd

        data: dict[str, Any] = {}
        if self.epoch is not None:
            data["epoch"] = self.epoch
        data.update({name: self.dense(name) for name in self.metrics})
        return pd.DataFrame(data, index=pd.Index(self.step, name="step"))

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Sequence[float] | npt.ArrayLike],
        *,
        format: MetricsFormat = "columns",
        file: str = "metrics",
    ) -> tuple[MetricsTable, list[str]]:
        """Build from wide columns (``step``/``epoch`` optional; missing cells as ``None``).

        Returns the table and the warnings raised while building it.
        """
        from deepfix_notebook.artifacts._rows import wide_to_table

        arrays = {str(name): to_column(raw) for name, raw in columns.items()}
        lengths = {values.shape[0] for values, _ in arrays.values()}
        if len(lengths) > 1:
            raise ValueError(f"metric columns have different lengths: {sorted(lengths)}")
        return wide_to_table(arrays, format=format, file=file)


def to_column(raw: Sequence[float | None] | npt.ArrayLike) -> tuple[FloatArray, BoolArray]:
    """Values and the mask of cells that were logged.

    In a list, ``None`` is "not logged" and ``nan`` is data (a diverged loss). In an array or a
    DataFrame column, ``nan`` is all a missing cell can be, so it means "not logged".
    """
    if isinstance(raw, list | tuple):
        logged = np.array([v is not None for v in raw], dtype=bool)
        values = np.array([np.nan if v is None else v for v in raw], dtype=np.float64)
    else:
        values = np.asarray(raw, dtype=np.float64).ravel()
        logged = ~np.isnan(values)
    return values.ravel(), logged.ravel()


def normalise(
    columns: Mapping[str, tuple[FloatArray, IntArray | None]],
) -> tuple[dict[str, Metric], list[str]]:
    """Name metrics canonically; each canonical name takes the column logged most often.

    ``columns`` maps source names to ``(values, rows)``. Spellings that lose keep their own name;
    MLflow's system metrics are dropped; a run that logged no loss gets a stand-in
    (`stand_in_loss`).
    """
    columns = {name: column for name, column in columns.items() if not is_ignored(name)}
    groups: dict[str, list[tuple[str, int]]] = {}
    for source, canonical in canonical_names(columns).items():
        if canonical is not None:
            groups.setdefault(canonical, []).append((source, int(columns[source][0].shape[0])))
    chosen, notes = stand_in_loss(
        {choose_sources(group): canonical for canonical, group in groups.items()}
    )
    metrics: dict[str, Metric] = {}
    for source, (values, rows) in columns.items():
        if is_axis(source):
            continue
        name = chosen.get(source, source)
        if name in metrics:  # an unknown column literally named like a canonical one
            name = f"{source} (original)"
        metrics[name] = Metric(name=name, source_name=source, values=values, rows=rows)
    for group in groups.values():
        if len(group) > 1:
            kept = next(source for source, _ in group if source in chosen)
            others = ", ".join(s for s, _ in group if s != kept)
            notes.append(f"{chosen[kept]} is taken from '{kept}'; {others} kept under own names")
    return dict(sorted(metrics.items(), key=_display_order)), notes


def _display_order(item: tuple[str, Metric]) -> tuple[int, str]:
    from deepfix_notebook.artifacts._names import CANONICAL_METRICS

    name = item[0]
    rank = CANONICAL_METRICS.index(name) if name in CANONICAL_METRICS else len(CANONICAL_METRICS)
    return rank, name
