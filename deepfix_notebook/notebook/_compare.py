"""`compare`: analyse several runs with the current backend and put them side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from os import PathLike
from typing import Any

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.contract import AnalysisResult
from deepfix_notebook.notebook._views import ComparisonView

MAX_RUNS = 50
Progress = Callable[[int, int, str], None]  # (runs done, runs in all, the run now analysed)


def compare(
    sources: Sequence[Any],
    *,
    experiment: str | None = None,
    limit: int = 20,
    metric: str = "val_loss",
    align: str = "step",
    on_progress: Progress | None = None,
) -> ComparisonView:
    """Analyse ``sources`` (anything `run_ref` accepts, or the newest runs of ``experiment``)
    and build the comparison; ``on_progress`` hears of each run before it is analysed."""
    from deepfix_notebook._api import current_backend
    from deepfix_notebook.artifacts import ArtifactError, RunRef, run_ref

    backend = current_backend()
    if experiment is not None:
        try:
            runs = backend.runs(experiment=experiment, limit=limit)
        except ArtifactError as error:
            raise ValueError(error.message) from None
        if not runs:
            raise ValueError(f"Experiment {experiment!r} has no runs to compare.")
        sources = [RunRef(run_id=run.run_id, tracking_uri=backend.tracking_uri) for run in runs]
    if len(sources) < 2:
        raise ValueError("Comparing needs at least two runs.")
    if len(sources) > MAX_RUNS:
        raise ValueError(f"Compare at most {MAX_RUNS} runs at a time (got {len(sources)}).")
    results: dict[str, AnalysisResult] = {}
    tables: dict[str, MetricsTable] = {}
    params: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for done, source in enumerate(sources):
        if on_progress is not None:
            on_progress(done, len(sources), _label(source, done))
        try:
            analysed = backend.analyze_run(run_ref(source, connected=backend.tracking_uri))
        except ArtifactError as error:
            raise ValueError(f"{source}: {error.message}") from None
        name = _unique(analysed.result.run_id, results)
        results[name] = analysed.result
        bundle = analysed.bundle
        if bundle is not None and bundle.metrics is not None:
            tables[name] = bundle.metrics
        params[name] = dict(bundle.params.raw) if bundle and bundle.params is not None else {}
        if bundle is not None and bundle.run_name:
            names[name] = bundle.run_name
    return ComparisonView(results, tables, params, metric=metric, align=align, names=names)


def _label(source: Any, index: int) -> str:
    """How progress names a run: its id, name or path; a run held in memory by its place."""
    label = getattr(source, "label", source)
    return str(label) if isinstance(label, str | PathLike) else f"run {index + 1}"


def _unique(name: str, taken: dict[str, Any]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} ({n})", n + 1
    return candidate
