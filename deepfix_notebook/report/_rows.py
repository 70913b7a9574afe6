"""The overview's rows: one per MLflow run, with health and key metrics; what search matches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from deepfix_notebook.views.panels import RUN_COLUMNS, health_html

if TYPE_CHECKING:
    import pandas as pd

    from deepfix_notebook.artifacts._mlflow import RunSummary

KEY_METRICS = ("val_loss", "val_accuracy", "train_loss", "loss", "accuracy")
MAX_METRIC_COLUMNS = 3
STATUSES = ("FINISHED", "RUNNING", "FAILED", "KILLED", "SCHEDULED")

Counts = Mapping[str, int] | None


def runs_frame(runs: Sequence[RunSummary], known: Mapping[str, Counts]) -> pd.DataFrame:
    """Runs indexed by run id: name, status, experiment, start, health, up to three key metrics.

    ``known`` holds the health counts of the runs read so far (None: not analysed); the others
    show as pending.
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
        data["health"].append(
            health_html(known[run.run_id])
            if run.run_id in known
            else health_html(None, pending=True)
        )
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
