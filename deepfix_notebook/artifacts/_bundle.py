"""`ArtifactBundle`: everything the engine needs to know about one run, already parsed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from deepfix_notebook.artifacts._dataset import DatasetInfo
from deepfix_notebook.artifacts._deepchecks import DeepchecksResults
from deepfix_notebook.artifacts._params import TrainingParams
from deepfix_notebook.artifacts._table import MetricsTable

Layout = Literal["canonical", "legacy-root", "legacy-yaml", "mlflow-history", "memory"]


@dataclass(slots=True)
class ArtifactBundle:
    """A run's artifacts, parsed and normalised. Soft problems are listed in ``warnings``."""

    source: str
    run_id: str | None = None
    run_name: str | None = None  # the tracking store's name for the run, where it has one
    tracking_uri: str | None = None
    metrics: MetricsTable | None = None
    params: TrainingParams | None = None
    dataset: DatasetInfo | None = None
    deepchecks: DeepchecksResults | None = None
    previous_analysis: dict[str, Any] | None = None
    files: tuple[str, ...] = ()
    layout: Layout = "canonical"
    warnings: list[str] = field(default_factory=list)

    @property
    def has_training(self) -> bool:
        return self.metrics is not None

    def summary(self) -> dict[str, Any]:
        """What was found, as plain data: the report `deepfix validate` prints."""
        metrics: dict[str, Any] = {}
        if self.metrics is not None:
            for name, metric in self.metrics.metrics.items():
                metrics[name] = {"source": metric.source_name, "rows": len(metric)}
        params = self.params
        return {
            "source": self.source,
            "run_id": self.run_id,
            "layout": self.layout,
            "files": list(self.files),
            "metrics": {
                "format": None if self.metrics is None else self.metrics.format,
                "steps": 0 if self.metrics is None else len(self.metrics),
                "has_epoch": self.metrics is not None and self.metrics.epoch is not None,
                "recognised": metrics,
                "notes": [] if self.metrics is None else list(self.metrics.notes),
            },
            "params": {}
            if params is None
            else {name: getattr(params, name) for name in params.sources},
            "dataset": None
            if self.dataset is None
            else self.dataset.model_dump(exclude={"statistics", "extra"}, exclude_none=True),
            "deepchecks": None
            if self.deepchecks is None
            else {suite: len(checks) for suite, checks in self.deepchecks.results.items()},
            "warnings": list(self.warnings),
        }
