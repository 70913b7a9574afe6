"""The overview's rows: one per MLflow run, with health and key metrics; what the search and
the filters match."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from deepfix_notebook.report._panels import RUN_COLUMNS, health_html

if TYPE_CHECKING:
    import pandas as pd

    from deepfix_notebook.artifacts._mlflow import RunSummary
    from deepfix_notebook.report._store import Health

KEY_METRICS = ("val_loss", "val_accuracy", "train_loss", "loss", "accuracy")
MAX_METRIC_COLUMNS = 3
STATUSES = ("FINISHED", "RUNNING", "FAILED", "KILLED", "SCHEDULED")
HEALTH_FILTERS = ("has high", "has medium or high", "healthy", "not analysed")


def health_cell(health: Health | None, *, computing: bool) -> str:
    """The health cell of a run (`health_html`); None is a run not read yet. A run without an
    analysis is being analysed for display (``computing``) or waits for Analyze."""
    if health is None:
        return health_html("reading")
    if health.state == "none":
        return health_html("analysing" if computing else "not-analysed", note=health.note)
    note = health.note
    if health.state == "computed" and note is None:
        note = "Analyze on the Run page saves it."
    return health_html(health.state, health.counts, note=note)


def health_matches(health: Health | None, wanted: str) -> bool:
    """Whether a run's known ``health`` passes the health filter ``wanted`` (`HEALTH_FILTERS`);
    a run whose health is not known passes none of them."""
    if health is None:
        return False
    if wanted == "not analysed":
        return health.state == "none"
    if health.counts is None:
        return False
    high, medium = health.counts.get("high", 0), health.counts.get("medium", 0)
    if wanted == "has high":
        return high > 0
    if wanted == "has medium or high":
        return high + medium > 0
    if wanted == "healthy":
        return high + medium == 0
    raise ValueError(f"unknown health filter {wanted!r}; use one of {HEALTH_FILTERS}")


def runs_frame(runs: Sequence[RunSummary], health: Mapping[str, str]) -> pd.DataFrame:
    """Runs indexed by run id: name, status, experiment, start, health, up to three key metrics.

    ``health`` holds the health cells (`health_cell`) of the runs read so far; the others show
    as being read.
    """
    import pandas as pd

    metrics = [m for m in KEY_METRICS if any(m in run.metrics for run in runs)]
    data: dict[str, list[object]] = {column: [] for column in ("run", "status", "experiment")}
    data |= {"started": [], "health": [], **{m: [] for m in metrics[:MAX_METRIC_COLUMNS]}}
    for run in runs:
        data["run"].append(run.run_name)
        data["status"].append(run.status)
        data["experiment"].append(run.experiment)
        data["started"].append(
            run.start_time.strftime("%Y-%m-%d %H:%M") if run.start_time is not None else ""
        )
        data["health"].append(health.get(run.run_id) or health_html("reading"))
        for metric in metrics[:MAX_METRIC_COLUMNS]:
            data[metric].append(run.metrics.get(metric, float("nan")))
    index = pd.Index([run.run_id for run in runs], name="run_id", dtype=object)
    frame = pd.DataFrame(data, index=index)
    # Text stays text, even with no rows (an empty column would be float).
    return frame.astype(dict.fromkeys(RUN_COLUMNS, object))


def search_text(run: RunSummary) -> str:
    """What a search matches against: name, id, experiment, status and ``key=value`` params."""
    params = " ".join(f"{k}={v}" for k, v in run.params.items())
    return f"{run.run_name} {run.run_id} {run.experiment} {run.status} {params}".casefold()


def matches(run: RunSummary, query: str, status: str, experiment: str) -> bool:
    """Whether ``run`` passes the overview's filters (``""`` means any)."""
    if status and run.status != status:
        return False
    if experiment and run.experiment != experiment:
        return False
    words = query.casefold().split()
    text = search_text(run) if words else ""
    return all(word in text for word in words)
