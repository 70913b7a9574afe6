"""The curves inside DeepFix's JSON outputs: downsampled, JSON-safe, small."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.views._downsample import downsample

MAX_NONFINITE = 200  # marks kept per curve where a run broke down (runs are thinned)


def curves_payload(
    table: MetricsTable, max_points: int = 1000, *, only: Iterable[str] | None = None
) -> dict[str, Any]:
    """``{"x": "step", "series": {name: {"label", "step", "epoch", "value"}}}``.

    Values are downsampled per metric to ``max_points``; NaN and ±Inf become the strings
    ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` (JSON has no numbers for them).
    """
    wanted = set(only) if only is not None else None
    series: dict[str, Any] = {}
    for name in table:
        if wanted is not None and name not in wanted:
            continue
        steps, epochs, values = table.series(name)
        x, y = downsample(steps, values, max_points, max_nonfinite=MAX_NONFINITE)
        entry: dict[str, Any] = {
            "label": table.display_name(name),
            "step": np.asarray(x, dtype=np.int64).tolist(),
            "value": [_json_number(v) for v in y.tolist()],
        }
        if epochs is not None:
            positions = np.searchsorted(steps, np.asarray(x, dtype=np.int64))
            entry["epoch"] = [_json_number(v) for v in epochs[positions].tolist()]
        series[name] = entry
    return {"x": "step", "has_epoch": table.epoch is not None, "series": series}


def _json_number(value: float) -> float | str:
    if value != value:  # NaN
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return round(value, 8)
