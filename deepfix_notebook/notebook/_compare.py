"""`compare`: analyse several runs with the current backend and put them side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.contract import AnalysisResult
from deepfix_notebook.notebook._views import ComparisonView

MAX_RUNS = 50


def compare(
    sources: Sequence[Any],
    *,
    experiment: str | None = None,
    limit: int = 20,
    metric: str = "val_loss",
    align: str = "step",
) -> ComparisonView:
    """Analyse ``sources`` (or the newest runs of ``experiment``) and build the comparison."""
    from deepfix_notebook._api import _backend_tracking_uri, current_backend
    from deepfix_notebook.artifacts import ArtifactError, list_runs

    if experiment is not None:
        try:
            sources = [
                r.run_id
                for r in list_runs(_backend_tracking_uri(), experiment=experiment, limit=limit)
            ]
        except ArtifactError as error:
            raise ValueError(error.message) from None
        if not sources:
            raise ValueError(f"Experiment {experiment!r} has no runs to compare.")
    if len(sources) < 2:
        raise ValueError("Comparing needs at least two runs.")
    if len(sources) > MAX_RUNS:
        raise ValueError(f"Compare at most {MAX_RUNS} runs at a time (got {len(sources)}).")
    backend = current_backend()
    results: dict[str, AnalysisResult] = {}
    tables: dict[str, MetricsTable] = {}
    params: dict[str, dict[str, Any]] = {}
    for source in sources:
        try:
            bundle = backend.load(source)  # type: ignore[attr-defined]
        except ArtifactError as error:
            raise ValueError(f"{source}: {error.message}") from None
        result = backend.analyze(bundle)
        name = _unique(result.run_id, results)
        results[name] = result
        if bundle.metrics is not None:
            tables[name] = bundle.metrics
        params[name] = dict(bundle.params.raw) if bundle.params is not None else {}
    return ComparisonView(results, tables, params, metric=metric, align=align)


def _unique(name: str, taken: dict[str, Any]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} ({n})", n + 1
    return candidate
